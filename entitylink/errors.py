"""The one exception tree of entitylink; only the CLI catches it.

::

    EntityLinkError(Exception)
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
    └── TrainingError                      training cannot start or resume

Wrong arguments (``k < 1``, an unknown pooling) raise a plain ``ValueError`` naming valid values.
"""

from __future__ import annotations


class EntityLinkError(Exception):
    """Base class of every error entitylink raises on purpose."""


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
