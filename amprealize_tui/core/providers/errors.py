"""Typed provider errors. Messages say what happened and what to do; never key material."""

from __future__ import annotations


class ProviderError(Exception):
    """Base class. `retryable` tells the UI whether offering a retry makes sense."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProviderUnavailable(ProviderError):
    """No credential for the provider, or the endpoint cannot be reached."""


class ProviderTimeout(ProviderError):
    """Connect or read timed out (or the routing budget ran out)."""


class ProviderRateLimited(ProviderError):
    """429 after the bounded retries."""


class ProviderAuthError(ProviderError):
    """401 or 403: the key is invalid or lacks access."""

    retryable = False


class ProviderModelNotFound(ProviderError):
    """404: the model is not served to this account."""

    retryable = False


class ProviderHTTPError(ProviderError):
    """Any other non-success answer (5xx after retries, 400, a malformed body...)."""


class ProviderOutputTooLarge(ProviderError):
    """The answer exceeded the size bound the caller set."""

    retryable = False
