"""Privacy-preserving encodings: keyed, hardened Bloom filters and keyed tokens, per field.

Each agency runs :func:`encode_list` on its own machine with a secret shared by the agencies (not
by the linkage unit). Only the encoded file travels; the linker (:mod:`lantern.linkage.model`)
works on it alone, with the same model structure as in plaintext.

What is encoded, per field
--------------------------
* **names** (given, family) and extra text fields: a *Bloom filter* of the padded bigrams of the
  normalised value (``_ANNA_`` → ``_A, AN, NN, NA, A_``), plus a keyed token of the whole value
  (exact level and term-frequency adjustment) and of its phonetic code.
* **date of birth**: a Bloom filter of its *positional digits* (``0:1, 1:9, 2:9, 3:0, …``; one
  digit off → Dice ≈ 0.875), keyed tokens of the date, of the day/month-swap-free form and of the
  year, and the placeholder flag (1 January: a bool, not an identifier).
* **sex, citizenship**: keyed tokens.
* **blocking keys**: keyed tokens of the same composite keys as in plaintext
  (:data:`lantern.linkage.features.BLOCKING_KEYS`).

Construction
------------
* Keys: ``K_f = HMAC-SHA256(secret, "lantern-linkage/v1/" + purpose + field)`` — a separate key per
  field and purpose (**salting per field**: the same bigram sets unrelated bits in the name, date
  and address filters, so q-gram frequencies cannot be pooled across fields). Given and family
  name are one field for this purpose (one key): agencies record them in either order (up to
  12 % of records in the simulated lists), and only a shared key lets the linker compare a given
  name with a family name. The cost: q-gram statistics of the two name fields pool together.
* Bit positions by **keyed double hashing** (Kirsch & Mitzenmacher 2006 as used by Schnell et al.
  2009): ``d = HMAC-SHA256(K_f, q-gram)``; ``h1, h2`` = the first two 64-bit words of ``d``;
  positions ``(h1 + i·h2) mod m`` for ``i = 0..k-1``.
* Hardening by **balancing** (Schnell & Borgs 2016): the filter ``b`` (``m`` bits) becomes
  ``b ‖ ¬b`` with its ``2m`` bits permuted by a key-derived permutation, so every encoding has
  exactly ``m`` ones: the Hamming weight no longer reveals the length of the name, and single
  bit positions no longer stand alone for a frequent q-gram.
* The Dice coefficient of two balanced filters is ``|A∧B| / m = 1 − H(a, b) / m``, where ``H`` is
  the Hamming distance of the unbalanced filters: a monotone similarity that, unlike the plain
  Dice coefficient, does not scale with the length of the names; the model's similarity
  thresholds are set for it (:mod:`lantern.linkage.model`).
* Tokens: first 64 bits of ``HMAC-SHA256(K_token_f, value)`` as 16 hex characters.
* A *key check* value (``HMAC(secret, "lantern-linkage/v1/key-check")``, 64 bits) travels with
  the file so the linker can refuse lists encoded under different secrets; it does not reveal the
  secret (HMAC is a PRF) provided the secret has enough entropy (≥ 16 characters are required;
  use a random 32-byte value, e.g. ``python -c "import secrets; print(secrets.token_hex(32))"``).

Primitives: Python's standard :mod:`hmac`/:mod:`hashlib` (HMAC-SHA256) and :mod:`numpy` for the
bit matrices. clkhash and anonlink (the usual libraries) have been unmaintained since 2023; the
standard library's HMAC is maintained with CPython, constant-time where it matters, and needs no
new dependency. Speed: each *distinct* q-gram of a field is hashed once; filters are built for the
*distinct* values by array lookup and mapped back to the records.

Known attacks and limits (read before use)
------------------------------------------
* **Frequency attacks**: encodings are deterministic, so equal values give equal filters and
  tokens. Whoever holds the encoded file sees the frequency distribution of each field and can
  align the most frequent filters/tokens with public name frequencies (Kuzu et al. 2011; Christen
  et al. 2018). Low-cardinality fields (sex, year of birth, citizenship) are trivially re-identified
  this way: their tokens protect only against casual reading, not against an analyst.
* **Pattern-mining attacks** on bit positions (Niedermeyer et al. 2014 against double hashing;
  Vidanage et al. 2020 against hardened filters) can recover frequent q-grams from large files;
  per-field keys and balancing raise the cost, they do not remove the risk.
* The **secret must not reach the linkage unit**; with it, a dictionary attack on every field is
  trivial. The linkage unit sees only encodings and the record ids chosen by each agency.
* Treat the encoded files as personal data (pseudonymised, GDPR Art. 4(5)): restricted access,
  deletion after linkage.

References
----------
Schnell, R., Bachteler, T. & Reiher, J. (2009). Privacy-preserving record linkage using Bloom
filters. BMC Med Inform Decis Mak 9:41. — Schnell, R. & Borgs, C. (2016). Randomized response and
balanced Bloom filters for privacy preserving record linkage. ICDMW. — Christen, P., Ranbaduge, T.,
Vatsalan, D. & Schnell, R. (2018). Precise and fast cryptanalysis for Bloom filter based
privacy-preserving record linkage. IEEE TKDE.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lantern.errors import LanternError, Problem

VERSION = "lantern-linkage-bloom/1"
MIN_SECRET_LENGTH = 16
METADATA_KEY = b"lantern_encoding"


@dataclass(frozen=True)
class BloomParams:
    """Filter length ``m`` (bits before balancing) and hash count ``k``."""

    m: int = 512
    k: int = 20
    balanced: bool = True

    @property
    def words(self) -> int:
        bits = self.m * (2 if self.balanced else 1)
        return bits // 64


def read_secret(path: str | Path | None) -> bytes:
    """Read the shared secret (whole file, surrounding whitespace removed) and check its length."""
    if path is None:
        raise LanternError("a secret is required to encode or check encodings (--secret-file)", field="secret-file")
    path = Path(path)
    if not path.is_file():
        raise LanternError("the secret file does not exist", field="secret-file", record=str(path))
    secret = path.read_bytes().strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise LanternError(
            f"the secret is too short ({len(secret)} bytes; at least {MIN_SECRET_LENGTH} are required, "
            "e.g. 64 random hex characters)", field="secret-file", record=str(path))
    return secret


def _key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"lantern-linkage/v1/{purpose}".encode(), hashlib.sha256).digest()


def key_check(secret: bytes) -> str:
    """Public fingerprint of the secret, used to refuse lists encoded under different secrets."""
    return _key(secret, "key-check").hex()[:16]


def tokens(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed 64-bit tokens (hex) of the distinct values, mapped back; ``None`` stays ``None``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    base = hmac.new(key, digestmod=hashlib.sha256)  # keyed once; each value hashes on a copy

    def tok(v) -> str:
        h = base.copy()
        h.update(str(v).encode("utf-8"))
        return h.hexdigest()[:16]

    toks = np.array([tok(v) for v in uniques] + [None], dtype=object)
    return pd.Series(toks[codes], index=values.index, dtype=object)


def bigrams(value: str) -> list[str]:
    """Padded bigrams of a normalised value (spaces kept as boundaries)."""
    padded = f"_{value}_"
    return sorted({padded[i:i + 2] for i in range(len(padded) - 1)})


def positional_digits(value: str) -> list[str]:
    """``i:digit`` tokens of a ``YYYY-MM-DD`` date (8 tokens)."""
    digits = value.replace("-", "")
    return [f"{i}:{d}" for i, d in enumerate(digits)]


def bloom_words(values: pd.Series, *, key: bytes, perm_key: bytes, params: BloomParams, grams=bigrams) -> tuple[np.ndarray, np.ndarray]:
    """Bloom filters of ``values`` as ``(n, words)`` int64 and their popcounts (``-1`` for null).

    Each distinct q-gram is hashed once (HMAC-SHA256 keyed double hashing); each distinct value's
    filter is built by array lookup; rows map to their value's filter.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    n_u = len(uniques)
    gram_index: dict[str, int] = {}
    val_idx: list[int] = []
    gram_idx: list[int] = []
    for i, value in enumerate(uniques):
        for g in grams(str(value)):
            j = gram_index.setdefault(g, len(gram_index))
            val_idx.append(i)
            gram_idx.append(j)
    m, k = params.m, params.k
    pos = np.empty((len(gram_index), k), dtype=np.int64)
    steps = np.arange(k, dtype=np.uint64)
    for g, j in gram_index.items():
        digest = hmac.new(key, g.encode("utf-8"), hashlib.sha256).digest()
        h1 = np.uint64(int.from_bytes(digest[:8], "little"))
        h2 = np.uint64(int.from_bytes(digest[8:16], "little") | 1)
        with np.errstate(over="ignore"):
            pos[j] = ((h1 + steps * h2) % np.uint64(m)).astype(np.int64)
    bits = np.zeros((n_u, m), dtype=bool)
    if val_idx:
        rows = np.repeat(np.asarray(val_idx), k)
        cols = pos[np.asarray(gram_idx)].ravel()
        bits[rows, cols] = True
    if params.balanced:
        rng = np.random.Generator(np.random.PCG64(int.from_bytes(perm_key[:16], "little")))
        perm = rng.permutation(2 * m)
        bits = np.concatenate([bits, ~bits], axis=1)[:, perm]
    packed = np.ascontiguousarray(np.packbits(bits, axis=1, bitorder="little"))
    words_u = packed.view("<i8")
    counts_u = bits.sum(axis=1).astype(np.int64)
    words = np.zeros((len(values), words_u.shape[1]), dtype=np.int64)
    counts = np.full(len(values), -1, dtype=np.int64)
    valid = codes >= 0
    words[valid] = words_u[codes[valid]]
    counts[valid] = counts_u[codes[valid]]
    return words, counts


def key_domain(col: str) -> str:
    """The key a feature is encoded under: given and family name share one (``name``, ``name_ph``,
    ``name_tf``) so that swapped names can be compared; every other field has its own."""
    for prefix in ("gn", "fn"):
        if col == prefix or col.startswith(prefix + "_"):
            return "name" + col[len(prefix):]
    return col


BLOOM_FIELDS = {"gn": bigrams, "fn": bigrams, "dob": positional_digits}
TOKEN_FIELDS = ("gn", "fn", "gn_ph", "fn_ph", "gn_ph1", "fn_ph1", "dob", "dob_swap", "dob_y", "sex", "cit", "gn_tf", "fn_tf",
                "gn_phtf", "fn_phtf", "gn_ph1tf", "fn_ph1tf")


def encode_features(features: pd.DataFrame, secret: bytes, *, params: BloomParams | None = None) -> pd.DataFrame:
    """Encode plaintext features (:func:`lantern.linkage.features.prepare_features`).

    Returns ``list``, ``record_id`` and the encoded features (tokens, Bloom-filter words
    ``<f>_bf<i>`` and popcounts ``<f>_bfn``, the placeholder flag and blocking-key tokens); no
    plaintext identifier.
    """
    params = params or BloomParams()
    out = pd.DataFrame({"list": features["list"].to_numpy(), "record_id": features["record_id"].to_numpy()})
    extras = [c for c in features.columns if c.startswith("x_")]
    bloom_fields = dict(BLOOM_FIELDS) | {c: bigrams for c in extras}
    for col, grams in bloom_fields.items():
        kind = key_domain(col)
        words, counts = bloom_words(features[col], key=_key(secret, f"bloom/{kind}"), perm_key=_key(secret, f"perm/{kind}"),
                                    params=params, grams=grams)
        missing = counts < 0
        cols = {f"{col}_bf{i}": pd.arrays.IntegerArray(np.ascontiguousarray(words[:, i]), missing.copy())
                for i in range(words.shape[1])}
        cols[f"{col}_bfn"] = pd.arrays.IntegerArray(np.where(missing, 0, counts), missing.copy())
        out = pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)
    for col in [c for c in TOKEN_FIELDS if c in features.columns] + extras:
        out[col] = tokens(features[col], _key(secret, f"token/{key_domain(col)}")).to_numpy()
    out["dob_ph"] = features["dob_ph"].to_numpy()
    bk_key = _key(secret, "blocking")  # one key for all blocking keys: cross-key rules compare gn with fn keys
    for col in [c for c in features.columns if c.startswith("bk_")]:
        out[col] = tokens(features[col], bk_key).to_numpy()
    return out


def _metadata(secret: bytes, params: BloomParams, roles: list[str], extras: list[str]) -> dict:
    return {"version": VERSION, "key_check": key_check(secret), "m": params.m, "k": params.k,
            "balanced": params.balanced, "roles": roles, "extras": extras,
            "hash": "HMAC-SHA256 keyed double hashing, per-field keys", "hardening": "balanced (Schnell & Borgs 2016)"}


def write_encoded(encoded: pd.DataFrame, out: str | Path, *, metadata: dict) -> Path:
    """Write an encoded list atomically (temp file in the same directory, then rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(encoded, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), METADATA_KEY: json.dumps(metadata).encode()})
    fd, tmp = tempfile.mkstemp(prefix=".lantern-enc-", dir=out.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def encode_list(path: str | Path, out: str | Path, *, secret: bytes, columns=None, params: BloomParams | None = None) -> Path:
    """Read one plaintext list, encode it and write ``out`` (Parquet with encoding metadata).

    Raises
    ------
    LanternError
        For a bad list (see :func:`lantern.linkage.io.read_lists`) or a short secret.
    """
    from lantern.linkage.features import prepare_features
    from lantern.linkage.io import read_lists

    if len(secret) < MIN_SECRET_LENGTH:
        raise LanternError(f"the secret is too short (at least {MIN_SECRET_LENGTH} bytes)", field="secret-file")
    params = params or BloomParams()
    raw, roles = read_lists([path], columns)
    features = prepare_features(raw, roles)
    encoded = encode_features(features, secret, params=params)
    extras = [c for c in features.columns if c.startswith("x_")]
    return write_encoded(encoded, out, metadata=_metadata(secret, params, roles, extras))


def read_encoded(paths: list[str | Path]) -> tuple[pd.DataFrame, dict]:
    """Read encoded lists, check they share one secret, parameters and schema; concatenate them."""
    import pyarrow.parquet as pq

    if not paths:
        raise LanternError("give at least one encoded list", field="LIST")
    problems: list[Problem] = []
    frames, metas = [], []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            problems.append(Problem(reason="the file does not exist", record=str(path)))
            continue
        try:
            schema = pq.read_schema(path)
        except Exception:
            problems.append(Problem(reason="not an encoded list (not a Parquet file written by 'lantern link encode'); "
                                    "do not mix encoded and plain lists", record=str(path)))
            continue
        meta_raw = (schema.metadata or {}).get(METADATA_KEY)
        if meta_raw is None:
            problems.append(Problem(reason="not an encoded list (no encoding metadata); do not mix encoded and plain lists",
                                    record=str(path)))
            continue
        meta = json.loads(meta_raw)
        df = pd.read_parquet(path)
        if len(df) == 0:
            problems.append(Problem(reason="the list is empty", record=str(path)))
            continue
        frames.append((path, df))
        metas.append((path, meta))
    if problems:
        raise LanternError(problems)
    ref_path, ref = metas[0]
    for path, meta in metas[1:]:
        if meta.get("key_check") != ref.get("key_check"):
            problems.append(Problem(reason=f"encoded with a different secret than {ref_path}; every agency must use the same secret",
                                    field="secret", record=str(path)))
        for key in ("version", "m", "k", "balanced", "roles", "extras"):
            if meta.get(key) != ref.get(key):
                problems.append(Problem(reason=f"encoding setting '{key}' differs from {ref_path} ({meta.get(key)} vs {ref.get(key)}); "
                                        "the lists have different schemas", field=key, record=str(path)))
    if problems:
        raise LanternError(problems)
    seen: dict[str, Path] = {}
    for path, df in frames:
        for key in df["list"].unique():
            if key in seen:
                problems.append(Problem(reason=f"list key '{key}' also appears in {seen[key]}", field="list", record=str(path)))
            seen[key] = path
    if problems:
        raise LanternError(problems)
    allf = pd.concat([df for _, df in frames], ignore_index=True)
    allf.insert(0, "uid", np.arange(len(allf), dtype=np.int64))
    return allf, ref


def check_secret(meta: dict, secret: bytes, *, record: str = "encoded lists") -> None:
    """Refuse a secret that is not the one the lists were encoded with (when the linker is given one)."""
    if key_check(secret) != meta.get("key_check"):
        raise LanternError("wrong secret: the lists were encoded with a different one", field="secret-file", record=record)
