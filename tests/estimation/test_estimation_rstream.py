"""R's random stream, reproduced: uniforms, binomials and multinomials equal to recorded R output.

The reference file ``data/r_stream.txt`` holds R 4.2.2's own output (the generating R script is in its
header). The binomial cases cover both of R's algorithms: inversion (n min(p, 1-p) < 30) and BTPE in
all its regions (triangle, parallelograms, both exponential tails, the explicit ratio, the squeeze
and the Stirling test), and p above and below 1/2.
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.estimation.rstream import RStream, r_multinomial_resamples

REF = Path(__file__).parent / "data" / "r_stream.txt"


def _records():
    out = {"rbinom": [], "rmultinom": []}
    for line in REF.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        kind, *rest = line.split()
        if kind == "runif":
            out["runif"] = (int(rest[0]), [float(x) for x in rest[1:]])
        elif kind == "rbinom":
            out["rbinom"].append((int(rest[0]), int(rest[1]), float(rest[2]), [int(x) for x in rest[3:]]))
        elif kind == "prob":
            out["prob"] = [float(x) for x in rest]
        elif kind == "rmultinom":
            out["rmultinom"].append([int(x) for x in rest[2:]])
    return out


RECORDS = _records()


def test_uniforms_equal_r_after_set_seed():
    seed, values = RECORDS["runif"]
    s = RStream(seed)
    assert [s.unif_rand() for _ in values] == values  # bit for bit


@pytest.mark.parametrize("seed,n,p,values", RECORDS["rbinom"], ids=[f"n{r[1]}-p{r[2]:g}" for r in RECORDS["rbinom"]])
def test_binomial_draws_equal_r(seed, n, p, values):
    s = RStream(seed)
    assert [s.rbinom(n, p) for _ in values] == values


def test_multinomial_draws_equal_r_column_by_column():
    expected = np.array(RECORDS["rmultinom"])
    s = RStream(7)
    got = np.vstack([s.rmultinom(2197, RECORDS["prob"]) for _ in expected])  # size 2197; prob sums to 2726
    np.testing.assert_array_equal(got, expected)


def test_resamples_of_counts_keep_the_total():
    counts = np.array([5, 0, 3, 12, 1])
    got = r_multinomial_resamples(counts, 30, seed=3)
    assert got.shape == (30, 5) and (got.sum(axis=1) == 21).all() and (got[:, 1] == 0).all()
    np.testing.assert_array_equal(got, r_multinomial_resamples(counts, 30, seed=3))


def test_negative_and_largest_seeds_as_r():
    """R 4.2.2: set.seed(-5); runif(3) and set.seed(2147483647); rbinom(5, 100, 0.4)."""
    s = RStream(-5)
    assert [s.unif_rand() for _ in range(3)] == [0.73459476791322231, 0.33969277143478394, 0.19104528566822410]
    s = RStream(2147483647)
    assert [s.rbinom(100, 0.4) for _ in range(5)] == [37, 39, 36, 37, 37]


def test_stream_is_continuous_across_buffer_refills():
    """More than one 4096-word block: draws after a refill continue R's sequence (binomials with a
    changing size, as rmultinom makes them, exercise the parameter cache too)."""
    a = RStream(99)
    first = [a.unif_rand() for _ in range(5000)]
    b = RStream(99)
    b._BLOCK = 7  # refill every seven words: the same sequence
    assert [b.unif_rand() for _ in range(5000)] == first


def test_invalid_parameters_are_refused():
    s = RStream(1)
    with pytest.raises(ValueError, match="rbinom"):
        s.rbinom(10, 1.5)
    with pytest.raises(ValueError, match="rmultinom"):
        s.rmultinom(10, [0, 0])
    assert s.rbinom(0, 0.3) == 0 and s.rbinom(10, 0.0) == 0 and s.rbinom(10, 1.0) == 10



@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 400), min_size=2, max_size=40).filter(lambda c: sum(c) > 0),
       seed=st.integers(-(2**31) + 1, 2**31 - 1))
def test_resamples_are_multinomial_draws_of_the_counts(counts, seed):
    """Any counts, any seed: every resample keeps the total, never fills an empty cell, and the
    stream is a pure function of the seed."""
    got = r_multinomial_resamples(counts, 5, seed)
    c = np.asarray(counts)
    assert (got >= 0).all() and (got.sum(axis=1) == c.sum()).all()
    assert (got[:, c == 0] == 0).all()
    np.testing.assert_array_equal(got, r_multinomial_resamples(counts, 5, seed))
