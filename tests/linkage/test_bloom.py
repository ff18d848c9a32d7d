"""Privacy-preserving encodings: no plaintext in the output, keyed, balanced, refused when mixed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lantern.errors import LanternError
from lantern.linkage.bloom import (
    BloomParams,
    bigrams,
    bloom_words,
    encode_list,
    key_check,
    read_encoded,
    read_secret,
)
from lantern.linkage.normalise import normalise_dob, normalise_name


def _write_list(path, n=300, seed=0, list_name="ngo"):
    rng = np.random.default_rng(seed)
    given = ["Olena", "Mohammed", "Ayşe", "Raúl", "Priya", "Юлия", "Tigist", "Nguyen Van"]
    family = ["Kovalchuk", "Al-Hassan", "Öztürk", "García", "Sharma", "Петренко", "Bekele", "Tran"]
    df = pd.DataFrame({
        "record_id": [f"r{i}" for i in range(n)],
        "list": list_name,
        "given_name": rng.choice(given, n),
        "family_name": rng.choice(family, n),
        "date_of_birth": [f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(rng.integers(1960, 2005, n), rng.integers(1, 13, n),
                                                                       rng.integers(1, 29, n), strict=True)],
        "sex": rng.choice(["F", "M"], n),
        "citizenship": rng.choice(["UA", "SY", "TR"], n),
    })
    df.to_csv(path, index=False)
    return df


def test_encoded_file_contains_no_plaintext_identifier(tmp_path, secret):
    df = _write_list(tmp_path / "ngo.csv")
    out = encode_list(tmp_path / "ngo.csv", tmp_path / "ngo.enc", secret=secret)
    blob = out.read_bytes()
    tokens = set()
    for col in ("given_name", "family_name"):
        for value in df[col].unique():
            tokens |= {value, normalise_name(value), value.upper(), value.lower()}
            tokens |= {p for p in normalise_name(value).split(" ") if len(p) >= 3}
    for value in df["date_of_birth"].unique():
        tokens |= {value, value.replace("-", ""), normalise_dob(value)}
    tokens = {t for t in tokens if t and len(t) >= 3}
    assert len(tokens) > 100
    found = [t for t in tokens if t.encode("utf-8") in blob]
    assert found == []
    enc, meta = read_encoded([out])
    assert meta["key_check"] == key_check(secret)
    assert not {"given_name", "family_name", "date_of_birth"} & set(enc.columns)


def test_filters_are_keyed_and_balanced():
    values = pd.Series(["ANNA", "ANNE", "MOHAMMED", None])
    params = BloomParams(m=256, k=10)
    w1, c1 = bloom_words(values, key=b"k1" * 16, perm_key=b"p1" * 16, params=params)
    w2, _ = bloom_words(values, key=b"k2" * 16, perm_key=b"p1" * 16, params=params)
    assert w1.shape == (4, params.words)
    assert not np.array_equal(w1[:3], w2[:3])  # another key, other bits
    assert list(c1[:3]) == [256, 256, 256] and c1[3] == -1  # balanced: constant weight; null marked
    # similar names share more bits than unrelated ones
    def common(i, j):
        return sum(bin(int(a) & int(b) & 0xFFFFFFFFFFFFFFFF).count("1") for a, b in zip(w1[i], w1[j], strict=True))
    assert common(0, 1) > common(0, 2)
    assert bigrams("ANNA") == ["AN", "A_", "NA", "NN", "_A"]


def test_lists_under_different_secrets_are_refused(tmp_path, secret):
    _write_list(tmp_path / "a.csv", list_name="a")
    _write_list(tmp_path / "b.csv", seed=1, list_name="b")
    pa = encode_list(tmp_path / "a.csv", tmp_path / "a.enc", secret=secret)
    pb = encode_list(tmp_path / "b.csv", tmp_path / "b.enc", secret=secret + b"-other")
    with pytest.raises(LanternError) as exc:
        read_encoded([pa, pb])
    assert "different secret" in str(exc.value) and "b.enc" in str(exc.value)


def test_plain_list_among_encoded_ones_is_refused(tmp_path, secret):
    _write_list(tmp_path / "a.csv", list_name="a")
    pa = encode_list(tmp_path / "a.csv", tmp_path / "a.enc", secret=secret)
    with pytest.raises(LanternError, match="not an encoded list"):
        read_encoded([pa, tmp_path / "a.csv"])


def test_secret_file_checks(tmp_path):
    with pytest.raises(LanternError, match="required"):
        read_secret(None)
    with pytest.raises(LanternError, match="does not exist"):
        read_secret(tmp_path / "nope")
    (tmp_path / "short").write_text("abc\n")
    with pytest.raises(LanternError, match="too short"):
        read_secret(tmp_path / "short")
    (tmp_path / "ok").write_text("x" * 40 + "\n")
    assert read_secret(tmp_path / "ok") == b"x" * 40
