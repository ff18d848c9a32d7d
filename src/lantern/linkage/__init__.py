"""Record linkage of agency lists: probabilistic (Splink 5) and privacy-preserving (Bloom filters).

Link and deduplicate any number of lists in one unsupervised Fellegi–Sunter model, turn the
clusters into people and capture histories for :mod:`lantern.estimation`, and do the same on
keyed, hardened Bloom-filter encodings when agencies may not share names.

Start with :func:`link_lists` and :func:`link_to_histories`; :func:`encode_list` for the
privacy-preserving mode. See ``docs/linkage.md``.
"""

from lantern.linkage.bloom import BloomParams, encode_list, read_secret
from lantern.linkage.io import ColumnMap
from lantern.linkage.pipeline import (
    DEFAULT_THRESHOLD,
    LinkageResult,
    link_lists,
    link_to_histories,
    write_outputs,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "BloomParams",
    "ColumnMap",
    "LinkageResult",
    "encode_list",
    "link_lists",
    "link_to_histories",
    "read_secret",
    "write_outputs",
]
