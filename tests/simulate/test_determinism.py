"""Same seed, same bytes; different seed, different world."""

from __future__ import annotations

import hashlib
import json

import pytest

from lantern.simulate import simulate


def _digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_byte_identical_files(tmp_path, fmt):
    a = simulate("romania", people=4_000, seed=42).write(tmp_path / "a", format=fmt)
    b = simulate("romania", people=4_000, seed=42).write(tmp_path / "b", format=fmt)
    da, db = _digest(a), _digest(b)
    assert da == db
    assert f"truth/people.{fmt}" in da and f"lists/ngo_a.{fmt}" in da and f"assessments.{fmt}" in da
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["files"][f"truth/people.{fmt}"]["sha256"] == da[f"truth/people.{fmt}"]
    assert manifest["seed"] == 42 and manifest["people"] == 4_000 and manifest["synthetic"] is True


def test_different_seed_gives_a_different_world():
    a = simulate("romania", people=2_000, seed=1)
    b = simulate("romania", people=2_000, seed=2)
    assert not a.people.equals(b.people)
    # but the same structure
    assert a.people.columns == b.people.columns


def test_write_is_atomic_and_refuses_foreign_directories(tmp_path):
    from lantern.errors import LanternError

    w = simulate("romania", people=500, seed=1)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(LanternError, match="not an earlier simulator output"):
        w.write(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"
    out = w.write(tmp_path / "sim")
    w2 = simulate("romania", people=300, seed=2)
    w2.write(out)  # replaces an earlier output
    assert json.loads((out / "manifest.json").read_text())["people"] == 300
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind


@pytest.mark.parametrize("people", [1, 2, 37])
def test_tiny_worlds_work_and_keep_their_schema(tmp_path, people):
    big = simulate("romania", people=2_000, seed=3)
    w = simulate("romania", people=people, seed=3)
    assert w.people.height == people
    assert w.people.schema == big.people.schema
    assert w.assessments.schema == big.assessments.schema
    for name, lst in w.lists.items():
        assert lst.schema == big.lists[name].schema
    w.write(tmp_path / "tiny")


def test_same_bytes_with_one_polars_thread(tmp_path):
    """Output does not depend on the number of threads (the child runs with POLARS_MAX_THREADS=1)."""
    import os
    import subprocess
    import sys

    here = simulate("romania", people=3_000, seed=8).write(tmp_path / "here")
    code = ("import sys; from lantern.simulate import simulate; "
            "simulate('romania', people=3000, seed=8).write(sys.argv[1])")
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "child")], check=True, env=env)
    assert _digest(here) == _digest(tmp_path / "child")
