"""The one exception tree of entitylink; only the CLI catches it.

::

    EntityLinkError(Exception)
    ├── InputError(ValueError)             an API argument of the wrong type or range: a bare str,
    │                                      a non-str mention (names its position), k="5", NaN
    ├── VocabularyError(ValueError)        bad vocabulary input; the message names file and line
    ├── IndexFormatError                   missing, truncated or mismatched index directory
    ├── IndexExistsError(FileExistsError)  the output directory exists, overwrite not asked, or
    │                                      it holds something other than an index
    ├── OutputError(OSError)               an output cannot be written: no space, no permission,
    │                                      or a directory where a file should go
    ├── ModelLoadError                     a checkpoint cannot be loaded (hub unreachable, bad dir)
    ├── BenchmarkFormatError(ValueError)   a benchmark file cannot be read; names file and line
    ├── TableFormatError(ValueError)       a mention table cannot be read, or lacks its column
    ├── DocumentFormatError(ValueError)    a document file (PubTator, BioC, JSONL, text) cannot be
    │                                      read; names file and line
    ├── MissingDependencyError(ImportError) an optional extra (ray, spark) is not installed
    ├── TrainingError                      training cannot start or resume
    ├── ServiceStartError(OSError)         the service cannot listen: address in use, not ours
    └── ServiceError                       the service refuses a request (``status``: HTTP code)
        ├── RequestLimitError              a request beyond a limit (413/422, names the limit)
        ├── ForbiddenError                 an admin route asked from another host (403)
        ├── UnknownResourceError           no such index or concept (404)
        └── ServiceOverloadedError         queue full, timed out, loading or stopping (503)

Wrong arguments of ``Linker.link``, ``Annotator`` and ``Linker.from_dir`` raise
:class:`InputError` (a ``ValueError``); other wrong arguments (an unknown pooling) raise a plain
``ValueError`` naming valid values.
"""

from __future__ import annotations


class EntityLinkError(Exception):
    """Base class of every error entitylink raises on purpose."""


class InputError(EntityLinkError, ValueError):
    """An argument of the API is of the wrong type or out of range: mentions that are not a
    sequence of strings (the message names the position and type), ``k`` that is not a whole
    number of at least 1, a NaN or infinite ``threshold``, a path that is not a path."""


class VocabularyError(EntityLinkError, ValueError):
    """A vocabulary file or table cannot be read: bad field, empty name or ID, bad bytes."""


class IndexFormatError(EntityLinkError):
    """An index directory is missing files, truncated, or does not match its manifest or encoder."""


class IndexExistsError(EntityLinkError, FileExistsError):
    """The output index directory exists and ``overwrite`` was not given."""


class OutputError(EntityLinkError, OSError):
    """An output cannot be written (disk full, no permission, a directory in the way); what was
    being written is removed and what was there before is left as it was."""


class ModelLoadError(EntityLinkError):
    """An encoder checkpoint could not be loaded."""


class BenchmarkFormatError(EntityLinkError, ValueError):
    """A benchmark file cannot be read or found."""


class TableFormatError(EntityLinkError, ValueError):
    """A table of mentions cannot be read or written: unknown extension, missing column."""


class DocumentFormatError(EntityLinkError, ValueError):
    """A document file to annotate cannot be read: bad bytes, bad offsets, unknown structure."""


class MissingDependencyError(EntityLinkError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class TrainingError(EntityLinkError):
    """Training cannot start or resume: no pairs, an occupied output, a mismatched checkpoint."""


class ServiceStartError(EntityLinkError, OSError):
    """``entitylink serve`` cannot listen on its address: the port is in use, the host is not
    this machine's, or the port is privileged. Raised before any index is loaded."""


class ServiceError(EntityLinkError):
    """The service refuses a request; ``status`` is its HTTP status code, ``limit`` the name of
    the limit it went beyond (if any). Caught only by the service's error handler."""

    status = 400

    def __init__(self, message: str, *, limit: str | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class RequestLimitError(ServiceError):
    """A request beyond a limit: too many mentions, too long a text (422) or body (413)."""

    status = 422

    def __init__(self, message: str, *, limit: str, status: int = 422) -> None:
        super().__init__(message, limit=limit)
        self.status = status


class ForbiddenError(ServiceError):
    """A request the service answers only from elsewhere (an admin route asked from another
    host than loopback)."""

    status = 403


class UnknownResourceError(ServiceError):
    """No index or concept of that name is served."""

    status = 404


class ServiceOverloadedError(ServiceError):
    """The queue is full, the request timed out, or the service is loading or stopping; the
    client should retry after ``retry_after`` seconds."""

    status = 503

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
