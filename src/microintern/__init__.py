"""microintern: runs a district's micro-internship program on Google Workspace."""

__version__ = "0.1.0"
