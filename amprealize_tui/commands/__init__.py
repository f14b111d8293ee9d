"""Sub-commands of the amprealize-tui CLI, one module each."""
