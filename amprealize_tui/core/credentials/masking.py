"""Masks for display: a short prefix of long keys, nothing of short ones."""

MASK_DOTS = "••••"
_PREFIX_MIN_LENGTH = 16
_PREFIX_CHARS = 8


def mask_key(key: str) -> str:
    """At most the first 8 characters of a key of 16 or more characters; none of a shorter one."""
    if len(key) >= _PREFIX_MIN_LENGTH:
        return key[:_PREFIX_CHARS] + MASK_DOTS
    return MASK_DOTS
