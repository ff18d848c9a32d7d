"""Fixtures for the data-standard tests: the packaged standard and an editable copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lantern.standard import load_standard
from lantern.standard.loader import version_dir


@pytest.fixture(scope="session")
def std():
    return load_standard()


@pytest.fixture()
def draft(tmp_path: Path) -> Path:
    """A copy of the packaged v1 folder that a test may break."""
    folder = tmp_path / "v1"
    shutil.copytree(version_dir("1.0"), folder)
    return folder


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def read(folder: Path, name: str) -> dict:
    with (folder / f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER)  # noqa: S506 (safe loader)


def write(folder: Path, name: str, doc: dict) -> None:
    with (folder / f"{name}.yaml").open("w", encoding="utf-8") as fh:
        yaml.dump(doc, fh, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
