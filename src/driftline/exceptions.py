"""Every error driftline raises on purpose, in one tree.

Catch :class:`DriftlineError` to handle anything driftline raises deliberately;
catch a subclass to handle one kind of problem. Each class also derives from the
closest built-in exception, so code written against ``ValueError`` or
``ImportError`` keeps working.

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
    └── MissingDependencyError  (ImportError)   an optional extra is not installed

    DataWarning                 (UserWarning)   the data was read, but probably not as meant

Messages say what was wrong, what was received and how to fix it, so that the
CLI can print them as a single line.

>>> from driftline.exceptions import DataError, DriftlineError
>>> issubclass(DataError, (DriftlineError, ValueError))
True
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "DataWarning",
    "DriftlineError",
    "InsufficientDataError",
    "MissingDependencyError",
    "NotFittedError",
    "ParameterError",
    "PolicyError",
    "SchemaMismatchError",
    "SerializationError",
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


class DataWarning(UserWarning):
    """The data could be read, but probably not as its author meant (a warning, not an
    error): a column that looks numeric read as categorical, values that could not be
    read as their column's kind. The CLI prints each one as a ``warning:`` line."""
