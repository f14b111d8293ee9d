"""Core services. Nothing below this package imports Textual (a test enforces it)."""
