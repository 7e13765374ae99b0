"""Adapters: the Google Workspace backend and the embedded local backend."""
