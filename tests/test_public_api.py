from __future__ import annotations

import entitylink


def test_all_is_sorted_and_complete() -> None:
    assert entitylink.__all__ == sorted(entitylink.__all__)
    public = {name for name in dir(entitylink) if not name.startswith("_")}
    modules = {"cli", "encoders", "errors", "index", "linker", "records", "store", "vectors"}
    assert public - modules - {"annotations", "vocabularies"} == set(entitylink.__all__) - {
        "__version__"
    }


def test_every_error_is_an_entitylink_error() -> None:
    for name in ("VocabularyError", "IndexFormatError", "IndexExistsError", "ModelLoadError"):
        assert issubclass(getattr(entitylink, name), entitylink.EntityLinkError)
    assert issubclass(entitylink.VocabularyError, ValueError)
    assert issubclass(entitylink.IndexExistsError, FileExistsError)
