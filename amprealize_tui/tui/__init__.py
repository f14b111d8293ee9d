"""Textual user interface: talks to core services only."""
