"""Blocking keys for records that lack the fields the main keys need (each pair here shares no
main key, so only the cross rules for missing fields can bring it together)."""

import numpy as np
import pandas as pd

from lantern.linkage.clusters import blocking_recall
from lantern.linkage.features import prepare_features
from lantern.linkage.model import ModelSpec, blocking_rules

ROLES = ["record_id", "list", "given_name", "family_name", "date_of_birth", "sex", "citizenship"]


def _raw(rows):
    df = pd.DataFrame(rows, columns=["given_name", "family_name", "date_of_birth", "citizenship"])
    df.insert(0, "list", ["a", "b"] * (len(df) // 2))
    df.insert(0, "record_id", [str(i) for i in range(len(df))])
    df["sex"] = "M"
    return df


def _recall(rows, has_cit=True):
    raw = _raw(rows)
    roles = ROLES if has_cit else [r for r in ROLES if r != "citizenship"]
    if not has_cit:
        raw = raw.drop(columns="citizenship")
    feats = prepare_features(raw, roles)
    truth = np.repeat(np.arange(len(raw) // 2), 2)
    return blocking_recall(feats, truth)["recall"], feats


def test_missing_date_and_citizenship_still_blocked():
    # same person: one record has neither a date of birth nor a citizenship
    rec, _ = _recall([["Umesh", "Magar", "1987-06-11", "NP"], ["Umesh", "Magar", None, None],
                      ["Polina", "Smirnowa", "1989-08-05", None], ["Polina", "Smirnova", None, "UA"]])
    assert rec == 1.0


def test_missing_name_blocked_by_other_name_and_year():
    # given name missing on one side, placeholder vs full date: no key needs both names any more
    rec, _ = _recall([[None, "Alidrisi", "1991-01-01", "MA"], ["Omar Ali", "Alidrisi", "1991-09-22", "MA"],
                      ["Nimal", None, "1982-05-01", "LK"], ["Nimal", "Munasimha", "1982-01-05", "LK"]])
    assert rec == 1.0


def test_placeholder_date_with_typos_in_both_swapped_names():
    rec, feats = _recall([["Adhikaarwe", "Sunil", "1996-01-01", "NP"], ["Sunil", "Adhikari", "1996-09-15", "NP"]])
    assert rec == 1.0
    assert feats["bk_ini_y_cit_ph"].notna().tolist() == [True, False]  # only the placeholder side


def test_blocking_rules_follow_the_columns():
    _, with_cit = _recall([["A", "B", "1990-01-02", "NP"], ["A", "B", "1990-01-02", "NP"]])
    _, no_cit = _recall([["A", "B", "1990-01-02", "NP"], ["A", "B", "1990-01-02", "NP"]], has_cit=False)
    r_cit = blocking_rules(ModelSpec.from_features(with_cit))
    r_no = blocking_rules(ModelSpec.from_features(no_cit))
    assert "l.bk_ini_y_cit_ph = r.bk_ini_y_cit" in r_cit and "l.bk_names_nodob_plain = r.bk_names_nocit" in r_cit
    assert not any("ini_y_cit" in r or "nocit" in r for r in r_no)
    for rules, feats in ((r_cit, with_cit), (r_no, no_cit)):  # every rule refers to columns that exist
        cols = {c for r in rules for side in r.split(" = ") for c in [side.split(".", 1)[1]]}
        assert cols <= set(feats.columns)
