from __future__ import annotations

import inspect

import entitylink


def test_all_is_sorted_and_complete() -> None:
    assert entitylink.__all__ == sorted(entitylink.__all__)
    public = {
        name
        for name, value in vars(entitylink).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(entitylink.__all__) - {"__version__"}


def test_every_error_is_an_entitylink_error() -> None:
    for name in (
        "VocabularyError",
        "IndexFormatError",
        "IndexExistsError",
        "ModelLoadError",
        "BenchmarkFormatError",
        "TableFormatError",
        "MissingDependencyError",
    ):
        assert issubclass(getattr(entitylink, name), entitylink.EntityLinkError)
    assert issubclass(entitylink.VocabularyError, ValueError)
    assert issubclass(entitylink.IndexExistsError, FileExistsError)
    assert issubclass(entitylink.MissingDependencyError, ImportError)
