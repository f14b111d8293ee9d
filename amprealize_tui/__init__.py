"""amprealize-tui: a governed terminal chat app."""

__version__ = "0.1.0"
