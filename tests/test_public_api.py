from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import entitylink


def test_all_is_sorted_and_complete() -> None:
    assert entitylink.__all__ == sorted(entitylink.__all__)
    for name in entitylink.__all__:  # loaded on first use (PEP 562), then kept
        getattr(entitylink, name)
    public = {
        name
        for name, value in vars(entitylink).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(entitylink.__all__) - {"__version__"}
    assert set(dir(entitylink)) >= set(entitylink.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        entitylink.nothing  # noqa: B018


def test_importing_the_package_is_light() -> None:
    script = (
        "import sys, entitylink\n"
        "from entitylink import Concept, VocabularyError\n"
        "print(sorted({'torch', 'transformers', 'faiss', 'pandas'} & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


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
