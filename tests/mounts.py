"""Small file systems for the tests of full disks and read-only places: tmpfs mounts.

``mount -t tmpfs`` needs root (or CAP_SYS_ADMIN); without it the test skips, saying why.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def tmpfs(directory: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``directory`` (created), unmounted afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        mounted = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory))
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=30)


def read_only(directory: Path) -> None:
    """Remount the tmpfs at ``directory`` read-only (even root cannot write there then)."""
    result = _mount("-o", "remount,ro", str(directory))
    if result.returncode != 0:
        pytest.skip(f"cannot remount {directory} read-only: {result.stderr.strip()}")


def fill(directory: Path, leave: int) -> Path:
    """Fill the file system of ``directory`` until only about ``leave`` bytes are free."""
    path = directory / "filler"
    with path.open("wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65_536)
    with contextlib.suppress(OSError):  # the last partial block
        with path.open("ab", buffering=0) as handle:
            while True:
                handle.write(b"\0" * 4096)
    os.truncate(path, max(0, path.stat().st_size - leave))
    return path
