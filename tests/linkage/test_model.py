"""Structure of the comparisons: the phonetic levels weigh a code by its frequency within citizenship."""

import pandas as pd

from lantern.linkage.features import prepare_features
from lantern.linkage.model import ModelSpec, settings_dict, term_frequencies

ROLES = ["record_id", "list", "given_name", "family_name", "date_of_birth", "sex", "citizenship"]


def _features(has_cit: bool):
    raw = pd.DataFrame({
        "record_id": ["1", "2", "3", "4"], "list": ["a", "a", "b", "b"],
        "given_name": ["Inna", "Yana", "Inna", "Rekha"], "family_name": ["Petrenko", "Fedorenko", "Petrenko", "Regmi"],
        "date_of_birth": [None, "1980-01-02", None, None], "sex": ["F"] * 4, "citizenship": ["UA", "UA", "UA", "NP"],
    })
    roles = ROLES if has_cit else ROLES[:-1]
    return prepare_features(raw if has_cit else raw.drop(columns="citizenship"), roles)


def _phonetic_levels(settings):
    return [lvl for c in settings["comparisons"] if c["output_column_name"] in ("given_name", "family_name")
            for lvl in c["comparison_levels"] if lvl["label_for_charts"].startswith("same phonetic code")]


def test_phonetic_levels_are_tf_adjusted_within_citizenship():
    feats = _features(True)
    # INNA and YANA share the code "5" and PETRENKO/FEDORENKO theirs: the keys carry the citizenship
    assert feats.loc[0, "gn_phtf"] == feats.loc[1, "gn_phtf"] == "UA|5"
    assert feats.loc[0, "fn_phtf"] == feats.loc[1, "fn_phtf"]
    levels = _phonetic_levels(settings_dict(ModelSpec.from_features(feats), "duckdb"))
    assert len(levels) == 4
    assert all(lvl["disable_tf_exact_match_detection"] and lvl["tf_adjustment_column"].endswith("tf") for lvl in levels)
    tf = term_frequencies(feats, "gn_phtf").set_index("gn_phtf")["tf_gn_phtf"]
    assert tf["UA|5"] == 1.0 and tf["NP|62"] == 1.0  # every UA record here codes "5"; shares are within citizenship


def test_no_phonetic_tf_without_citizenship():
    feats = _features(False)
    assert "gn_phtf" not in feats.columns
    levels = _phonetic_levels(settings_dict(ModelSpec.from_features(feats), "duckdb"))
    assert levels and not any("tf_adjustment_column" in lvl for lvl in levels)


def test_scaled_phonetic_tf_is_relative_to_the_average_code():
    import math

    from lantern.linkage.model import _scaled_phonetic_tf

    feats = pd.DataFrame({"cit": ["UA"] * 10, "gn_phtf": ["UA|5"] * 8 + ["UA|62", "UA|41"]})
    raw = term_frequencies(feats, "gn_phtf")
    scaled = _scaled_phonetic_tf(raw, "gn_phtf", feats, u_level=0.01).set_index("gn_phtf")["tf_gn_phtf"]
    u_base = 0.8 ** 2 + 0.1 ** 2 + 0.1 ** 2  # chance that two UA records share a code
    adj = {k: math.log2(0.01) - math.log2(v) for k, v in scaled.items()}  # what Splink adds to the level
    assert math.isclose(adj["UA|62"], math.log2(u_base / 0.1))
    assert adj["UA|62"] > 0 > adj["UA|5"]  # a rare code counts for more, a common one for less
