"""Benchmarks run by `make bench` (never by `make test`).

Each ``bench_*.py`` module here defines ``run(quick: bool = False) -> list[dict]``: one dict per figure,
with at least ``name``, ``median_s`` (or another measured value), ``target`` and ``ok``.
"""
