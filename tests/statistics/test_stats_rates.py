"""Rates per 1,000 with Garwood intervals, against hand-computed values; bad denominators refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lantern.errors import LanternError
from lantern.statistics.rates import compute_rates, garwood_interval, load_denominators


def test_garwood_limits_match_published_table_values():
    # Garwood (1936) exact 95% limits, as tabulated e.g. in Ulm (1990) and reproduced by
    # R: poisson.test(10)$conf.int -> 4.795389 18.390356; poisson.test(0) -> 0 3.688879
    lo, hi = garwood_interval(np.array([0, 1, 10]))
    assert lo[0] == 0 and hi[0] == pytest.approx(3.688879, abs=1e-5)
    assert lo[1] == pytest.approx(0.025318, abs=1e-5) and hi[1] == pytest.approx(5.571643, abs=1e-5)
    assert lo[2] == pytest.approx(4.795389, abs=1e-5) and hi[2] == pytest.approx(18.390356, abs=1e-5)


def write(tmp_path, text, name="den.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def table_frame():
    return pd.DataFrame(
        {
            "table_id": "t", "period": ["2025", "2025", "2025"], "country": ["RO", "BG", "TOTAL"],
            "measure": "vulnerable", "value": pd.array([120, None, 150], dtype="Int64"),
            "status": ["published", "secondary", "published"], "display": ["120", "x", "150"], "standard_version": "1.0",
        }
    )


def test_rates_against_hand_computed_values(tmp_path):
    den = load_denominators(write(tmp_path, "geo,citizen,time,value\nRO,TOTAL,2025,40000\nBG,TOTAL,2025,10000\n"))
    out = compute_rates(table_frame(), den).set_index("country")
    assert out.loc["RO", "rate"] == pytest.approx(120 / 40000 * 1000)  # 3.0 per 1,000
    lo, hi = garwood_interval(np.array([120.0]))
    assert out.loc["RO", "rate_lower"] == pytest.approx(lo[0] / 40)
    assert out.loc["RO", "rate_upper"] == pytest.approx(hi[0] / 40)
    # a suppressed count gives no rate (rate x public denominator would reveal it)
    assert np.isnan(out.loc["BG", "rate"]) and out.loc["BG", "rate_note"] == "count suppressed"
    # the TOTAL denominator is the sum of the countries given
    assert out.loc["TOTAL", "denominator"] == 50000
    assert out.loc["TOTAL", "rate"] == pytest.approx(3.0)


def test_eurostat_aliases_and_missing_values(tmp_path):
    den = load_denominators(write(tmp_path, "freq,unit,geo,citizen,time,value\nA,NR,EL,NP,2025,:\nA,NR,RO,NP,2025,1 200\n"))
    assert set(den.geo) == {"GR", "RO"}
    assert np.isnan(den.loc[den.geo == "GR", "value"].item())
    assert den.loc[den.geo == "RO", "value"].item() == 1200


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("geo,time,value\nRO,2025,1\n", "citizen"),
        ("geo,citizen,time,value\nXX,NP,2025,10\n", "geo"),
        ("geo,citizen,time,value\nRO,NP,last year,10\n", "time"),
        ("geo,citizen,time,value\nRO,NP,2025,ten\n", "value"),
        ("geo,citizen,time,value\nRO,NP,2025,-3\n", "value"),
    ],
)
def test_bad_denominator_file_is_refused_with_the_line(tmp_path, text, field):
    with pytest.raises(LanternError) as err:
        load_denominators(write(tmp_path, text))
    assert err.value.problems[0].field == field
    assert "den.csv" in err.value.problems[0].record


def test_duplicate_denominators_refused(tmp_path):
    with pytest.raises(LanternError, match="repeat"):
        load_denominators(write(tmp_path, "geo,citizen,time,value\nRO,NP,2025,1\nRO,NP,2025,2\n"))


def test_rates_refuse_tables_with_other_dimensions(tmp_path):
    den = load_denominators(write(tmp_path, "geo,citizen,time,value\nRO,TOTAL,2025,4\n"))
    frame = table_frame().assign(sex="female")
    with pytest.raises(LanternError, match="sex"):
        compute_rates(frame, den)
