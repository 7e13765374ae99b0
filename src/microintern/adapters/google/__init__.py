"""The Google Workspace backend: one module per service, one module that makes HTTP requests."""
