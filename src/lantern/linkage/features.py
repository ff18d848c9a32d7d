"""Comparison features derived from the raw identifiers (plaintext mode).

The model compares *features*, not raw columns, so the plaintext and the privacy-preserving modes
share one model structure (:mod:`lantern.linkage.model`): in plaintext a feature holds the
normalised value, in the encoded mode a keyed token or Bloom filter of that same value
(:mod:`lantern.linkage.bloom`).

Features (``None`` when unknown):

``gn``, ``fn``              normalised given / family name (:func:`~lantern.linkage.normalise.normalise_name`)
``gn_ph``, ``fn_ph``        phonetic code of each (:func:`~lantern.linkage.normalise.phonetic`)
``gn_ph1``, ``fn_ph1``      phonetic code of the first part of each
``dob``                     ``YYYY-MM-DD``
``dob_swap``                year + the day and month in sorted order: equal for day/month swaps
``dob_y``                   year (string)
``dob_ph``                  bool, the date is 1 January (placeholder)
``sex``, ``cit``            codes
``x_<col>``                 extra text columns, normalised
``gn_tf``, ``fn_tf``        citizenship + name: the key of the within-citizenship term frequency
``gn_phtf``, ``gn_ph1tf``…  citizenship + phonetic code (of the whole name / its first part): the
                            same for the phonetic levels
``bk_*``                    blocking keys (see :data:`BLOCKING_KEYS`)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lantern.linkage.normalise import (
    is_placeholder_dob,
    normalise_code,
    normalise_dob,
    normalise_name,
    normalise_text,
    phonetic,
)

#: Blocking keys: a pair of records is scored when any key is equal (and not null).
#: Together they must keep ≥ 99.5 % of true pairs (measured in tests and the benchmark).
BLOCKING_KEYS = {
    "bk_names_y": "phonetic codes of the first part of both names, order-free (catches given/family "
                  "swaps and dropped middle names), + year of birth",
    "bk_dob_fn": "date of birth + first letter of the family name (lists without citizenship)",
    "bk_dob_gn": "date of birth + first letter of the given name (lists without citizenship)",
    "bk_swap_fn": "day/month-order-free date of birth + phonetic family name",
    "bk_dob_initials": "date of birth + both initials, order-free (swapped names with typos)",
    "bk_dob_cit": "date of birth + citizenship (when citizenship is known)",
}

#: Cross-key rules ``l.a = r.b`` (and ``l.b = r.a``): a record whose date of birth is missing is
#: compared with every record sharing its order-free phonetic names (and citizenship, when known);
#: ``bk_names_nodob`` is null whenever the date is known, so the join stays proportional to the
#: records without one.
#: Records that lack a field the other keys need get their own cross rules, each proportional to
#: the records lacking it: without a date *and* a citizenship, phonetic names against everyone's
#: (``bk_names_nodob_nocit``/``bk_names_plain``); without a date, against records without a
#: citizenship (``bk_names_nodob_plain``/``bk_names_nocit``); with one name missing, the other
#: name's code + birth year against either name of everyone (``bk_one_y``/``bk_gn_y``, ``bk_fn_y``);
#: with a 1 January placeholder date, both initials (order-free) + year + citizenship against
#: everyone's (``bk_ini_y_cit_ph``/``bk_ini_y_cit``: typos in both names and only the year to go on).
CROSS_BLOCKING = (
    ("bk_names_nodob", "bk_names"),
    ("bk_names_nodob_nocit", "bk_names_plain"),
    ("bk_names_nodob_plain", "bk_names_nocit"),
    ("bk_one_y", "bk_gn_y"),
    ("bk_one_y", "bk_fn_y"),
    ("bk_ini_y_cit_ph", "bk_ini_y_cit"),
)


def _map_unique(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct value (names repeat a lot) and map back."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = pd.array([func(v) for v in uniques], dtype="object")
    out = pd.Series(pd.array([None] * len(series), dtype="object"), index=series.index)
    valid = codes >= 0
    out[valid] = mapped[codes[valid]]
    return out.astype("object")


def _join(*parts: pd.Series) -> pd.Series:
    """``a|b|…`` per row, ``None`` when any part is missing (vectorised)."""
    mask = np.ones(len(parts[0]), dtype=bool)
    for p in parts:
        mask &= p.notna().to_numpy()
    out = np.full(len(parts[0]), None, dtype=object)
    if mask.any():
        acc = parts[0].to_numpy(dtype=object)[mask].astype(str)
        for p in parts[1:]:
            acc = np.char.add(np.char.add(acc, "|"), p.to_numpy(dtype=object)[mask].astype(str))
        out[mask] = acc.astype(object)
    return pd.Series(out, index=parts[0].index, dtype=object)


def _first_letter(s: pd.Series) -> pd.Series:
    return s.str[:1].where(s.notna(), None)


def prepare_features(raw: pd.DataFrame, roles: list[str]) -> pd.DataFrame:
    """Turn the frame from :func:`lantern.linkage.io.read_lists` into plaintext features.

    Returns a frame with ``uid`` (0..n-1), ``list``, ``record_id`` and the features listed in the
    module docstring.
    """
    out = pd.DataFrame({"uid": range(len(raw)), "list": raw["list"].to_numpy(), "record_id": raw["record_id"].to_numpy()})
    out["gn"] = _map_unique(raw["given_name"], normalise_name).to_numpy()
    out["fn"] = _map_unique(raw["family_name"], normalise_name).to_numpy()
    out["gn_ph"] = _map_unique(out["gn"], phonetic)
    out["fn_ph"] = _map_unique(out["fn"], phonetic)
    for col in ("gn_ph", "fn_ph"):  # code of the first part (middle and compound names vary)
        first = out[col].str.split(" ").str[0]
        out[col + "1"] = first.where(first.notna(), None)
    dob = _map_unique(raw["date_of_birth"], normalise_dob).to_numpy()
    out["dob"] = dob
    out["dob_y"] = out["dob"].str[:4].where(out["dob"].notna(), None)
    month, day = out["dob"].str[5:7], out["dob"].str[8:10]
    first = month.where(month <= day, day)
    second = day.where(month <= day, month)
    out["dob_swap"] = _join(out["dob_y"], first, second)
    out["dob_ph"] = _map_unique(out["dob"], is_placeholder_dob).eq(True).to_numpy()
    if "sex" in roles:
        out["sex"] = _map_unique(raw["sex"], normalise_code).to_numpy()
    if "citizenship" in roles:
        out["cit"] = _map_unique(raw["citizenship"], normalise_code).to_numpy()
    extras = [c for c in raw.columns if c.startswith("x_")]
    for col in extras:
        out[col] = _map_unique(raw[col], normalise_text).to_numpy()
    if "cit" in out.columns:
        # term-frequency keys: a name's frequency *within its citizenship* (see model.term_frequencies)
        cit = out["cit"].fillna("?")
        out["gn_tf"] = _join(cit, out["gn"])
        out["fn_tf"] = _join(cit, out["fn"])
        for col in ("gn_ph", "fn_ph", "gn_ph1", "fn_ph1"):  # phonetic codes' frequency within citizenship
            out[col + "tf"] = _join(cit, out[col])
    add_blocking_keys(out, extras)
    return out


def add_blocking_keys(out: pd.DataFrame, extras: list[str]) -> None:
    """Add the ``bk_*`` columns (plaintext values; the encoder replaces them by keyed tokens)."""
    gn1, fn1 = _first_letter(out["gn"]), _first_letter(out["fn"])
    # first part of each name only: middle names and compound names come and go between lists
    g, f = out["gn_ph1"], out["fn_ph1"]
    order = (g.fillna("") <= f.fillna("")).to_numpy()
    names = _join(g.where(order, f), f.where(order, g))
    out["bk_names_y"] = _join(names, out["dob_y"])
    nodob = out["dob"].isna()
    names_cit = _join(names, out["cit"]) if "cit" in out.columns else names
    out["bk_names"] = names_cit
    out["bk_names_nodob"] = names_cit.where(nodob, None)
    nocit = out["cit"].isna() if "cit" in out.columns else pd.Series(True, index=out.index)
    out["bk_names_plain"] = names
    out["bk_names_nodob_nocit"] = names.where(nodob & nocit, None)
    out["bk_names_nodob_plain"] = names.where(nodob, None)
    out["bk_names_nocit"] = names.where(nocit, None)
    out["bk_gn_y"] = _join(g, out["dob_y"])
    out["bk_fn_y"] = _join(f, out["dob_y"])
    one = _join(g.where(g.notna(), f), out["dob_y"])  # the name that is there, when one is missing
    out["bk_one_y"] = one.where(g.isna() ^ f.isna(), None)
    if "cit" not in out.columns:
        # with a citizenship, "date of birth + citizenship" covers these (at a third of the pairs)
        out["bk_dob_fn"] = _join(out["dob"], fn1)
        out["bk_dob_gn"] = _join(out["dob"], gn1)
    out["bk_swap_fn"] = _join(out["dob_swap"], f)
    io = (gn1.fillna("") <= fn1.fillna("")).to_numpy()
    out["bk_dob_initials"] = _join(out["dob"], gn1.where(io, fn1), fn1.where(io, gn1))
    if "cit" in out.columns:
        out["bk_dob_cit"] = _join(out["dob"], out["cit"])
        out["bk_ini_y_cit"] = _join(gn1.where(io, fn1), fn1.where(io, gn1), out["dob_y"], out["cit"])
        out["bk_ini_y_cit_ph"] = out["bk_ini_y_cit"].where(out["dob_ph"], None)
    for col in extras:
        out[f"bk_{col}"] = _join(out[col], fn1)
        out[f"bk_{col}_gn"] = _join(out[col], gn1)
        out[f"bk_{col}_ini"] = _join(out[col], gn1.where(io, fn1), fn1.where(io, gn1))  # initials, order-free
        out[f"bk_{col}_dob"] = _join(out[col], out["dob"])
