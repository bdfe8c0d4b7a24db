"""The errors of the alerts package (subclasses of :mod:`driftline.exceptions`)."""

from __future__ import annotations

from driftline.exceptions import DriftlineError, ParameterError

__all__ = ["DeliveryError", "UnsafeURLError"]


class DeliveryError(DriftlineError):
    """A notification could not be delivered.

    ``permanent`` means retrying cannot help (a 4xx answer other than 429, a refused
    redirect, an unsafe URL); ``retry_after`` is the receiver's ``Retry-After`` in seconds
    when it sent one.
    """

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class UnsafeURLError(DeliveryError, ParameterError):
    """A notification URL is refused by the SSRF guard (scheme, or a non-public address)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)
