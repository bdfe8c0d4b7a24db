"""Every error driftline raises on purpose, in one tree.

Catch :class:`DriftlineError` to handle anything driftline raises deliberately;
catch a subclass to handle one kind of problem. Each class also derives from the
closest built-in exception, so code written against ``ValueError``, ``LookupError``,
``TimeoutError`` or ``ImportError`` keeps working.

::

    DriftlineError
    ├── ParameterError          (ValueError)    an argument or option has a bad value
    │   └── PolicyError                         a gate policy file is invalid
    ├── DataError               (ValueError)    the data cannot be used as given
    │   ├── UnsupportedInputError (TypeError)   the data's type or file format is not accepted
    │   ├── SchemaMismatchError                 columns or kinds differ from what was expected
    │   └── InsufficientDataError               too few usable rows for a sound result
    ├── NotFittedError          (ValueError, AttributeError)
    │                                           an object is used before ``fit``
    ├── SerializationError      (ValueError)    bytes are corrupt or of an incompatible version
    ├── MissingDependencyError  (ImportError)   an optional extra is not installed
    ├── NotFoundError           (LookupError)   a named object does not exist (or is not
    │                                           visible to the caller)
    ├── AuditIntegrityError                     the audit log's stored state does not add up
    │                                           (nothing more is appended until it is verified)
    ├── ApiError                                the monitoring API refused a request or could
    │   │                                       not be reached (status, code, details)
    │   └── ApiNotFoundError    (NotFoundError) the API answered 404
    ├── ClientTimeoutError      (TimeoutError)  the SDK still had rows to send at a deadline
    └── DeliveryError                           an alert notification could not be delivered
        └── UnsafeURLError      (ParameterError)  the SSRF guard refuses the URL

The server raises its own HTTP error type (``driftline.server``'s, a Starlette
``HTTPException``), which derives from :class:`ApiError`; the SDK raises
:class:`ApiError` and :class:`ApiNotFoundError` with the server's status, code, message and
details, so a caller of either side catches the same class.

    DataWarning                 (UserWarning)   the data was read, but probably not as meant

Messages say what was wrong, what was received and how to fix it, so that the
CLI can print them as a single line.

>>> from driftline.exceptions import ApiError, ApiNotFoundError, DataError, DriftlineError
>>> issubclass(DataError, (DriftlineError, ValueError))
True
>>> err = ApiNotFoundError("No model named 'm'.", status=404, code="not_found")
>>> isinstance(err, ApiError), isinstance(err, LookupError), str(err)
(True, True, "No model named 'm'. (HTTP 404, not_found)")
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "ApiNotFoundError",
    "AuditIntegrityError",
    "ClientTimeoutError",
    "DataError",
    "DataWarning",
    "DeliveryError",
    "DriftlineError",
    "InsufficientDataError",
    "MissingDependencyError",
    "NotFittedError",
    "NotFoundError",
    "ParameterError",
    "PolicyError",
    "SchemaMismatchError",
    "SerializationError",
    "UnsafeURLError",
    "UnsupportedInputError",
]


class DriftlineError(Exception):
    """Base class of every error driftline raises on purpose."""


class ParameterError(DriftlineError, ValueError):
    """An argument or option has a value that is not allowed."""


class PolicyError(ParameterError):
    """A gate policy file is invalid; the message names the field and line."""


class DataError(DriftlineError, ValueError):
    """The data cannot be used as given."""


class UnsupportedInputError(DataError, TypeError):
    """The data's type or file format is not one driftline accepts."""


class SchemaMismatchError(DataError):
    """Columns or column kinds differ from what was expected."""


class InsufficientDataError(DataError):
    """Too few usable rows to compute a sound result."""


class NotFittedError(DriftlineError, ValueError, AttributeError):
    """An estimator-like object was used before ``fit`` was called."""


class SerializationError(DriftlineError, ValueError):
    """Serialized bytes are corrupt or were written by an incompatible version."""


class MissingDependencyError(DriftlineError, ImportError):
    """An optional dependency is not installed; the message gives the ``pip`` command."""


class NotFoundError(DriftlineError, LookupError):
    """A named object (project, model, version, window, rule, token...) does not exist, or
    is not visible to the caller."""


class AuditIntegrityError(DriftlineError):
    """The audit log's stored state does not add up (its entries and its latest signed tree
    head disagree), so nothing more is appended: run ``driftline audit verify``."""


class ApiError(DriftlineError):
    """The monitoring API refused a request, or could not be reached.

    ``status`` is the HTTP status (``None`` when no response arrived), ``code`` the
    server's error code (``"connection_error"`` when unreachable), ``message`` the server's
    message and ``details`` its details, if any; ``method`` and ``url`` name the request
    (client side).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "error",
        details: Any = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.details = details
        self.method = method
        self.url = url
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{message} ({where}, {code})")


class ApiNotFoundError(ApiError, NotFoundError):
    """The API answered 404: the object does not exist or is not visible to this token."""


class ClientTimeoutError(DriftlineError, TimeoutError):
    """Rows were still waiting to be delivered when a deadline passed.

    ``pending`` maps ``"model/version"`` (suffixed ``" labels"`` for labels) to the number
    of rows not yet acknowledged by the server.
    """

    def __init__(self, message: str, pending: dict[str, int]) -> None:
        self.pending = pending
        super().__init__(message)


class DeliveryError(DriftlineError):
    """An alert notification could not be delivered.

    ``permanent`` means retrying cannot help (a 4xx answer other than 429, a refused
    redirect, an unsafe URL); ``retry_after`` is the receiver's ``Retry-After`` in seconds
    when it sent one. The message names the channel by its masked URL and never carries
    what the receiver answered beyond its status code.
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


class DataWarning(UserWarning):
    """The data could be read, but probably not as its author meant (a warning, not an
    error): a column that looks numeric read as categorical, values that could not be
    read as their column's kind. The CLI prints each one as a ``warning:`` line."""
