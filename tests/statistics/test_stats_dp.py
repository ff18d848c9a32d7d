"""Differential privacy: accuracy shown before release, ledger refusing over-budget queries."""

from __future__ import annotations

import polars as pl
import pytest

from lantern.errors import LanternError
from lantern.statistics.dp import BudgetExceeded, DuckDBLedger, dp_count


@pytest.fixture()
def persons():
    return pl.DataFrame({"sex": ["female"] * 300 + ["male"] * 700, "vulnerable": [True, False] * 500})


def test_accuracy_is_known_before_release_and_nothing_is_spent(persons):
    ledger = DuckDBLedger()
    ledger.open_release("r", 1.0)
    q = dp_count(persons, ledger=ledger, release_id="r", epsilon=0.5, by=["sex"], keys={"sex": ["female", "male"]})
    # integer Laplace, scale 1/epsilon = 2: the 95% half-width is about 6 (OpenDP's summarize)
    assert q.scale == pytest.approx(2.0)
    assert 5 < q.accuracy < 8
    assert ledger.spent("r") == 0


def test_release_charges_the_ledger_and_counts_are_close(persons):
    ledger = DuckDBLedger()
    ledger.open_release("r", 10.0)
    q = dp_count(persons, ledger=ledger, release_id="r", epsilon=5.0, by=["sex"], keys={"sex": ["female", "male", "other"]})
    out = q.release().sort("sex")
    counts = dict(zip(out["sex"], out["count"], strict=True))
    assert abs(counts["female"] - 300) <= 3 * q.accuracy
    assert abs(counts["male"] - 700) <= 3 * q.accuracy
    assert "other" in counts  # public keys: empty groups are reported too
    assert ledger.spent("r") == pytest.approx(5.0)
    with pytest.raises(LanternError, match="already released"):
        q.release()


def test_ledger_refuses_a_query_past_the_budget_and_records_nothing(persons, tmp_path):
    path = tmp_path / "ledger.duckdb"
    ledger = DuckDBLedger(path)
    ledger.open_release("r", 1.0)
    dp_count(persons, ledger=ledger, release_id="r", epsilon=0.6).release()
    with pytest.raises(BudgetExceeded) as err:
        dp_count(persons, ledger=ledger, release_id="r", epsilon=0.5, where=pl.col("vulnerable")).release()
    assert "only ε=0.4 left" in str(err.value)
    assert len(ledger.charges("r")) == 1
    ledger.close()
    # the budget is kept in the file: a new session sees what was spent
    again = DuckDBLedger(path)
    assert again.spent("r") == pytest.approx(0.6)
    assert again.remaining("r") == pytest.approx(0.4)
    with pytest.raises(LanternError, match="never raised"):
        again.open_release("r", 5.0)


def test_grouping_needs_public_keys_and_a_known_release(persons):
    ledger = DuckDBLedger()
    with pytest.raises(LanternError, match="no such release"):
        dp_count(persons, ledger=ledger, release_id="nope", epsilon=0.1)
    ledger.open_release("r", 1.0)
    with pytest.raises(LanternError, match="public key"):
        dp_count(persons, ledger=ledger, release_id="r", epsilon=0.1, by=["sex"])
