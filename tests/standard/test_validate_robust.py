"""`validate` never crashes on a damaged folder: whatever is deleted or replaced, it returns problems."""

from __future__ import annotations

import random

import pytest

from lantern.errors import Problem
from lantern.standard.validate import REQUIRED_FILES, validate

from .conftest import read, write

REPLACEMENTS = [None, 3, "x", [], {}, [1, "a"], {"id": 5}, True]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:6]):
            yield from _paths(v, (*prefix, i))


def _mutate(doc, rng):
    paths = [p for p in _paths(doc) if p]
    path = rng.choice(paths)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.4 and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = rng.choice(REPLACEMENTS)
    return path


@pytest.mark.parametrize("seed", range(40))
def test_random_damage_gives_problems_not_crashes(draft, seed):
    rng = random.Random(seed)
    name = REQUIRED_FILES[seed % len(REQUIRED_FILES)]
    doc = read(draft, name)
    path = _mutate(doc, rng)
    write(draft, name, doc)
    problems = validate(draft)
    assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems), (name, path)
