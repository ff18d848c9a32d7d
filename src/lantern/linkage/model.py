"""The Fellegi–Sunter model on Splink 5: comparisons, blocking, unsupervised training, scoring.

One model links and deduplicates all lists at once (Splink ``link_and_dedupe``): every pair of
records that shares a blocking key is scored, whether both records come from the same list or not.

Comparisons (each has a null level and an "else" level):

* **given name**, **family name**: exact with the same citizenship (term-frequency adjusted with
  the within-citizenship frequency, :func:`term_frequencies`) · exact, other citizenship ·
  swapped with the other name field · the name found in the other record's other field when that
  field is missing there · similarity ≥ high · same phonetic code · same code of the
  first part (middle names) · swapped and similar · similarity ≥ low. Similarity is Jaro–Winkler on the normalised names in plaintext, the Dice
  coefficient of the Bloom filters in encoded mode.
* **date of birth**: exact on a full date · exact on a placeholder (1 January) · day and month
  swapped · same year when one side is a placeholder (before the next level: a placeholder says
  only the year) · one digit apart (Levenshtein ≤ 1; encoded: Dice of positional-digit filters
  ≥ :data:`DOB_DIGIT_DICE`) · same year.
* **sex**, **citizenship** (when present): exact · else; agreement gets weight 0 (u := m) because
  the names already carry it, disagreement counts against a match.
* **extra columns** (e.g. addresses): exact (TF) · similarity ≥ high · ≥ low.

Training is unsupervised (:func:`train_and_score`): λ from a deterministic rule with an assumed
recall, *u* from random sampling, *m* by expectation maximisation in two sessions — names, sex,
citizenship and extras within pairs sharing a date of birth; the date of birth within pairs
sharing family name and citizenship, with *u* free for that session only — assembled into the
scoring model by :func:`_assemble_model`.

Assumptions and caveats
-----------------------
* Conditional independence of comparisons given match status (the Fellegi–Sunter assumption);
  names and phonetic codes are therefore put into the *same* comparison, not separate ones.
* A pair that shares no blocking key is never scored; the recall of the blocking keys is measured
  (:func:`lantern.linkage.clusters.blocking_recall`), not assumed.
* EM can converge to a poor optimum when matches are very rare in the training blocks; the
  training blocks are chosen so that matches are a sizeable share of them.

References
----------
Fellegi, I. P. & Sunter, A. B. (1969). A theory for record linkage. JASA 64(328), 1183–1210.
Splink 5 documentation, https://moj-analytical-services.github.io/splink/
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from lantern.errors import LanternError
from lantern.linkage.features import BLOCKING_KEYS, CROSS_BLOCKING

ENGINES = ("duckdb", "spark")

#: similarity thresholds (high, low): Jaro–Winkler for plaintext names, Dice for Bloom filters
NAME_THRESHOLDS_PLAIN = (0.94, 0.86)
NAME_THRESHOLDS_BLOOM = (0.85, 0.7)
EXTRA_THRESHOLDS_PLAIN = (0.92, 0.8)
EXTRA_THRESHOLDS_BLOOM = (0.8, 0.6)
#: Dice of the balanced positional-digit filters of two dates: one digit apart ≈ 0.94, two ≈ 0.89,
#: three ≈ 0.83 (balancing adds the shared complement half, so Dice runs high); 0.91 keeps one digit
DOB_DIGIT_DICE = 0.91


def _jw(engine: str, a: str, b: str) -> str:
    return f"jaro_winkler_similarity({a}, {b})" if engine == "duckdb" else f"jaro_winkler({a}, {b})"


@dataclass
class ModelSpec:
    """What the data offers: optional roles present, extras, encoded or plaintext, filter width."""

    has_sex: bool
    has_citizenship: bool
    extras: tuple[str, ...]
    encoded: bool = False
    words: int = 0  # 64-bit words per Bloom filter (encoded mode)

    @classmethod
    def from_features(cls, features: pd.DataFrame) -> ModelSpec:
        words = sum(1 for c in features.columns if c.startswith("gn_bf") and c[5:].isdigit())
        return cls(
            has_sex="sex" in features.columns,
            has_citizenship="cit" in features.columns,
            extras=tuple(c for c in features.columns if c.startswith("x_") and not c.endswith(("_bfn",)) and "_bf" not in c),
            encoded=words > 0,
            words=words,
        )


def _dice(spec: ModelSpec, col: str, other: str | None = None) -> str:
    """Dice similarity of the Bloom filters of ``col`` (left) and ``other`` (right, default ``col``).

    ``2·|A∧B| / (|A|+|B|)`` over ``spec.words`` signed 64-bit columns; ``<col>_bfn`` holds each filter's
    precomputed popcount. Only ``bit_count`` and ``&``, which DuckDB and Spark SQL both provide.
    """
    other = other or col
    w = spec.words
    inter = " + ".join(f"CAST(bit_count({col}_bf{i}_l & {other}_bf{i}_r) AS INT)" for i in range(w))
    return f"(2.0 * ({inter}) / nullif({col}_bfn_l + {other}_bfn_r, 0))"


def _phonetic_tf(spec: ModelSpec, col: str) -> dict:
    """Term-frequency adjustment of a phonetic level by the code's frequency within citizenship.

    Agreeing on the code of a rare name is strong evidence, on a short common code (``INNA`` and
    ``YANA`` both code ``5``) weak; one u for the whole level cannot say so. The level keeps its
    own u (``disable_tf_exact_match_detection``), so its weight becomes log2(m / tf(code)).
    """
    if not spec.has_citizenship:
        return {}
    return {"tf_adjustment_column": f"{col}tf", "tf_adjustment_weight": 1.0, "disable_tf_exact_match_detection": True}


def _name_comparison(spec: ModelSpec, engine: str, col: str, other: str, label: str) -> dict:
    hi, lo = NAME_THRESHOLDS_BLOOM if spec.encoded else NAME_THRESHOLDS_PLAIN
    tf_col = f"{col}_tf" if spec.has_citizenship else col
    sim = _dice(spec, col) if spec.encoded else _jw(engine, f"{col}_l", f"{col}_r")
    if spec.encoded:  # names share one key (see bloom.py), so cross-field similarity is meaningful
        swap_a, swap_b = _dice(spec, col, other), _dice(spec, other, col)
    else:
        swap_a, swap_b = _jw(engine, f"{col}_l", f"{other}_r"), _jw(engine, f"{other}_l", f"{col}_r")
    return {
        "output_column_name": label,
        "comparison_description": f"{label}: exact, swapped, similar, phonetic",
        "comparison_levels": [
            {"sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL", "label_for_charts": "null", "is_null_level": True},
            {"sql_condition": f"{tf_col}_l = {tf_col}_r", "label_for_charts": "exact", "tf_adjustment_column": tf_col,
             "tf_adjustment_weight": 1.0},
            *([{"sql_condition": f"{col}_l = {col}_r", "label_for_charts": "exact, other citizenship"}]
              if tf_col != col else []),
            {"sql_condition": f"{col}_l = {other}_r AND {other}_l = {col}_r", "label_for_charts": "swapped with the other name"},
            # one record holds the other's family name as its given name (or the reverse) and lacks the
            # other name: the other comparison is null, so without this level the pair only disagrees
            {"sql_condition": f"({col}_l = {other}_r AND {other}_l IS NULL) OR ({other}_l = {col}_r AND {other}_r IS NULL)",
             "label_for_charts": "swapped, the other name missing"},
            {"sql_condition": f"{sim} >= {hi}", "label_for_charts": f"similarity >= {hi}"},
            {"sql_condition": f"{col}_ph_l = {col}_ph_r", "label_for_charts": "same phonetic code", **_phonetic_tf(spec, f"{col}_ph")},
            {"sql_condition": f"{col}_ph1_l = {col}_ph1_r", "label_for_charts": "same phonetic code of the first part",
             **_phonetic_tf(spec, f"{col}_ph1")},
            {"sql_condition": f"({swap_a} >= {lo} AND {swap_b} >= {lo}) OR ({col}_ph_l = {other}_ph_r AND {other}_ph_l = {col}_ph_r)",
             "label_for_charts": "swapped with the other name, similar"},
            {"sql_condition": f"{sim} >= {lo}", "label_for_charts": f"similarity >= {lo}"},
            {"sql_condition": "ELSE", "label_for_charts": "else"},
        ],
    }


def _dob_comparison(spec: ModelSpec, engine: str) -> dict:
    near = f"{_dice(spec, 'dob')} >= {DOB_DIGIT_DICE}" if spec.encoded else "levenshtein(dob_l, dob_r) <= 1"
    return {
        "output_column_name": "date_of_birth",
        "comparison_description": "date of birth: exact, placeholder, swapped, one digit, year",
        "comparison_levels": [
            {"sql_condition": "dob_l IS NULL OR dob_r IS NULL", "label_for_charts": "null", "is_null_level": True},
            {"sql_condition": "dob_l = dob_r AND NOT dob_ph_l", "label_for_charts": "exact (full date)", "m_probability": 0.85},
            {"sql_condition": "dob_l = dob_r", "label_for_charts": "exact (1 January placeholder)", "m_probability": 0.02},
            {"sql_condition": "dob_swap_l = dob_swap_r", "label_for_charts": "day and month swapped", "m_probability": 0.02},
            # a placeholder says only the year: judge such a pair by the year before "one digit apart"
            # (1996-01-05 against the placeholder 1996-01-01 is no typo)
            {"sql_condition": "dob_y_l = dob_y_r AND (dob_ph_l OR dob_ph_r)", "label_for_charts": "same year, one is a placeholder",
             "m_probability": 0.04},
            {"sql_condition": near, "label_for_charts": "one digit apart", "m_probability": 0.03},
            {"sql_condition": "dob_y_l = dob_y_r", "label_for_charts": "same year", "m_probability": 0.02},
            {"sql_condition": "ELSE", "label_for_charts": "else", "m_probability": 0.02},
        ],
    }


def _exact_comparison(col: str, label: str, tf: bool) -> dict:
    exact: dict[str, object] = {"sql_condition": f"{col}_l = {col}_r", "label_for_charts": "exact"}
    if tf:
        exact |= {"tf_adjustment_column": col, "tf_adjustment_weight": 1.0}
    return {
        "output_column_name": label,
        "comparison_levels": [
            {"sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL", "label_for_charts": "null", "is_null_level": True},
            exact,
            {"sql_condition": "ELSE", "label_for_charts": "else"},
        ],
    }


def _extra_comparison(spec: ModelSpec, engine: str, col: str) -> dict:
    hi, lo = EXTRA_THRESHOLDS_BLOOM if spec.encoded else EXTRA_THRESHOLDS_PLAIN
    sim = _dice(spec, col) if spec.encoded else _jw(engine, f"{col}_l", f"{col}_r")
    return {
        "output_column_name": col,
        "comparison_levels": [
            {"sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL", "label_for_charts": "null", "is_null_level": True},
            {"sql_condition": f"{col}_l = {col}_r", "label_for_charts": "exact", "tf_adjustment_column": col,
             "tf_adjustment_weight": 1.0},
            {"sql_condition": f"{sim} >= {hi}", "label_for_charts": f"similarity >= {hi}"},
            {"sql_condition": f"{sim} >= {lo}", "label_for_charts": f"similarity >= {lo}"},
            {"sql_condition": "ELSE", "label_for_charts": "else"},
        ],
    }


DOB_KEYS = ("bk_dob_fn", "bk_dob_gn", "bk_dob_cit")  # the first two without citizenship, the last with
CIT_KEYS = ("bk_dob_cit",)  # only when citizenship is a column


def blocking_rules(spec: ModelSpec) -> list[str]:
    """Blocking rules as SQL: one equality per blocking key (``bk_*`` feature)."""
    wanted_dob = {"bk_dob_cit"} if spec.has_citizenship else {"bk_dob_fn", "bk_dob_gn"}
    keys = [k for k in BLOCKING_KEYS if (k not in DOB_KEYS or k in wanted_dob)
            and (k not in CIT_KEYS or spec.has_citizenship)]
    keys += [k for c in spec.extras for k in (f"bk_{c}", f"bk_{c}_gn", f"bk_{c}_ini", f"bk_{c}_dob")]
    rules = [f"l.{k} = r.{k}" for k in keys]
    for a, b in CROSS_BLOCKING:
        if b == "bk_names_nocit" and not spec.has_citizenship:
            continue  # without citizenship, bk_names_nodob already compares names alone
        if a in ("bk_names_nodob_nocit", "bk_ini_y_cit_ph") and not spec.has_citizenship:
            continue
        rules += [f"l.{a} = r.{b}", f"l.{b} = r.{a}"]
    return rules


def settings_dict(spec: ModelSpec, engine: str, *, link_type: str = "link_and_dedupe") -> dict:
    """The Splink settings for the data described by ``spec``."""
    comparisons = [
        _name_comparison(spec, engine, "gn", "fn", "given_name"),
        _name_comparison(spec, engine, "fn", "gn", "family_name"),
        _dob_comparison(spec, engine),
    ]
    if spec.has_sex:
        comparisons.append(_exact_comparison("sex", "sex", tf=False))
    if spec.has_citizenship:
        comparisons.append(_exact_comparison("cit", "citizenship", tf=True))
    comparisons += [_extra_comparison(spec, engine, c) for c in spec.extras]
    return {
        "link_type": link_type,
        "unique_id_column_name": "uid",
        "source_dataset_column_name": "source_dataset",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [{"blocking_rule": r} for r in blocking_rules(spec)],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "probability_two_random_records_match": 1e-4,
        "max_iterations": 20,
        "em_convergence": 1e-4,
    }


def make_db_api(engine: str, *, spark=None):
    """A Splink database API for ``engine`` (a fresh in-memory DuckDB, or a Spark session)."""
    if engine not in ENGINES:
        raise LanternError(f"unknown engine; choose one of {', '.join(ENGINES)}", field="engine", record=str(engine))
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = false")
        return DuckDBAPI(connection=con)
    from splink import SparkAPI

    if spark is None:
        from lantern.linkage.spark import local_spark_session

        spark = local_spark_session()
    # Splink writes every intermediate table to Parquet by default ("parquet"), which keeps a
    # cluster's lineage short but dominates the run time in local mode; persist in memory there.
    local = spark.sparkContext.master.startswith("local")
    return SparkAPI(spark_session=spark, break_lineage_method="persist" if local else None,
                    num_partitions_on_repartition=4 if local else None)


#: Floor for m and u probabilities estimated by EM (see :func:`_em_floor`).
M_U_FLOOR = 1e-6


@contextmanager
def _em_floor(floor: float = M_U_FLOOR):
    """Keep EM's m and u estimates at or above ``floor`` while training.

    Splink 5.0.0 refuses an m or u probability of exactly 0 (splink PR #2851) and aborts the whole
    EM session when, on small or clean data, every pair at some level gets a match probability
    that underflows to 0 in the E-step. A floor of 1e-6 keeps such a level strongly against a
    match (weight ≈ −20) instead of crashing; it changes nothing where EM estimates are above it.
    The patch is applied only for the duration of training and then removed.
    """
    import splink.internals.expectation_maximisation as em

    original = em.m_u_records_to_lookup_dict

    def floored(records):
        lookup = original(records)
        for levels in lookup.values():
            for values in levels.values():
                for key in ("m_probability", "u_probability"):
                    v = values.get(key)
                    if isinstance(v, (int, float)) and v < floor:
                        values[key] = floor
        return lookup

    em.m_u_records_to_lookup_dict = floored
    try:
        yield
    finally:
        em.m_u_records_to_lookup_dict = original


#: Comparisons whose agreement is implied by agreement on names (names carry sex and country of
#: origin), so agreement adds no evidence; disagreement still counts against a match.
IMPLIED_BY_NAMES = ("sex", "citizenship")


def _levels(model: dict) -> dict[tuple[str, str], dict]:
    return {(c["output_column_name"], lvl["label_for_charts"]): lvl
            for c in model["comparisons"] for lvl in c["comparison_levels"]}


def _assemble_model(base: dict, dob_session: dict, name_session: dict) -> dict:
    """The scoring model: u from random sampling (``base``), m from the session suited to each
    comparison, λ from the deterministic estimate.

    The "swapped with the other name" level gets the u of the exact level of its comparison: a
    swap is as common among non-matches as an exact agreement (naming systems where a father's
    given name becomes a family name make it so), whereas random sampling almost never meets
    one and would leave u ≈ 0 and an unbounded weight.
    """
    import copy

    final = copy.deepcopy(dob_session)
    final["probability_two_random_records_match"] = base["probability_two_random_records_match"]
    base_levels, name_levels = _levels(base), _levels(name_session)
    for comp in final["comparisons"]:
        name = comp["output_column_name"]
        exact_u = None
        for lvl in comp["comparison_levels"]:
            key = (name, lvl["label_for_charts"])
            if lvl.get("is_null_level"):
                continue
            if "u_probability" in base_levels.get(key, {}):
                lvl["u_probability"] = base_levels[key]["u_probability"]
            if name == "date_of_birth" and "m_probability" in name_levels.get(key, {}):
                lvl["m_probability"] = name_levels[key]["m_probability"]
            if lvl["label_for_charts"] == "exact":
                exact_u = lvl.get("u_probability")
            if lvl["label_for_charts"].startswith("swapped") and exact_u is not None:
                lvl["u_probability"] = max(lvl.get("u_probability") or 0.0, exact_u)
            if name in IMPLIED_BY_NAMES and lvl["label_for_charts"] == "exact":
                lvl["u_probability"] = lvl["m_probability"]
    return final


def term_frequencies(features: pd.DataFrame, col: str) -> pd.DataFrame:
    """Within-citizenship term frequencies for the key column ``col`` (``gn_tf``/``fn_tf``).

    Splink's default term frequency of a name is its share among *all* records. Names cluster by
    country of origin, so a name that is rare overall can be common among the people of one
    citizenship, and two different people from the same country share it far more often than the
    overall frequency says (a violation of conditional independence between names and
    citizenship). The frequency used instead is the name's share among the records of the same
    citizenship; Splink's term-frequency adjustment then uses it as the u probability of an exact
    agreement on that name. Works on plaintext keys and on keyed tokens alike.
    """
    cit = features["cit"].fillna("?")
    keys = features[col]
    valid = keys.notna()
    counts = pd.DataFrame({"cit": cit[valid], "key": keys[valid]}).value_counts().rename("n").reset_index()
    totals = cit[valid].value_counts()
    counts["tf"] = counts["n"] / counts["cit"].map(totals)
    return pd.DataFrame({col: counts["key"].to_numpy(), f"tf_{col}": counts["tf"].to_numpy()})


#: phonetic TF key column -> (comparison, level) whose own u the adjustment is relative to
PHONETIC_TF_LEVELS = {
    "gn_phtf": ("given_name", "same phonetic code"),
    "gn_ph1tf": ("given_name", "same phonetic code of the first part"),
    "fn_phtf": ("family_name", "same phonetic code"),
    "fn_ph1tf": ("family_name", "same phonetic code of the first part"),
}


def _scaled_phonetic_tf(table: pd.DataFrame, col: str, features: pd.DataFrame, u_level: float) -> pd.DataFrame:
    """Rescale a phonetic code's within-citizenship frequency for Splink's TF adjustment.

    Splink adds ``log2(u_level) − log2(tf)`` to the level's weight ``log2(m/u_level)``. The level's u
    is P(same code, names not more alike | non-match), smaller than P(same code | non-match), so the
    raw frequency would push every phonetic agreement down. With
    ``tf' = tf · u_level / u_base``, where ``u_base`` is the probability that two records of the
    same citizenship share a code (Σ over citizenships of (n_c² / Σ n²) · Σ_code tf²), the
    adjustment becomes ``log2(u_base / tf)``: zero for a code of average frequency, positive for a
    rare one, negative for a common one — the same rule Splink applies to exact levels.
    """
    key = features[col]
    cit = features["cit"].fillna("?")[key.notna()]
    n = cit.value_counts()
    w = (n ** 2) / float((n ** 2).sum())
    tf = term_frequencies(features, col)
    tf["cit"] = features.loc[key.notna(), "cit"].fillna("?").groupby(key[key.notna()].to_numpy()).first().reindex(tf[col]).to_numpy()
    per_cit = tf.groupby("cit")[f"tf_{col}"].apply(lambda v: float((v ** 2).sum()))
    u_base = float((w.reindex(per_cit.index).fillna(0) * per_cit).sum())
    out = table.copy()
    if u_base > 0 and u_level and u_level > 0:
        out[f"tf_{col}"] = out[f"tf_{col}"] * (u_level / u_base)
    return out


def _register_tf(linker, db_api, features: pd.DataFrame, spec: ModelSpec, cache: dict, model: dict | None = None) -> None:
    """Register the within-citizenship TF tables; with ``model`` (trained u values), the phonetic
    tables are rescaled relative to their level's u (:func:`_scaled_phonetic_tf`)."""
    if not spec.has_citizenship:
        return
    levels = _levels(model) if model is not None else {}
    for col in ("gn_tf", "fn_tf", *PHONETIC_TF_LEVELS):
        if col not in features.columns:
            continue
        u_level = levels.get(PHONETIC_TF_LEVELS[col], {}).get("u_probability") if col in PHONETIC_TF_LEVELS else None
        name = f"{col}_scaled" if u_level else col
        if name not in cache:
            table = term_frequencies(features, col)
            if u_level:
                table = _scaled_phonetic_tf(table, col, features, u_level)
            cache[name] = db_api.register(table, table_name=f"lantern_tf_{name}")
        linker.table_management.register_term_frequency_lookup(cache[name], col)


def _register_lists(db_api, features: pd.DataFrame):
    lists = list(dict.fromkeys(features["list"]))
    frames = features.rename(columns={"list": "source_dataset"})
    if len(lists) == 1:
        return [db_api.register(frames, table_name="lantern_records")], "dedupe_only"
    sdfs = [
        db_api.register(frames[frames["source_dataset"] == name].reset_index(drop=True), table_name=f"lantern_list_{i}")
        for i, name in enumerate(lists)
    ]
    return sdfs, "link_and_dedupe"


def _predict(linker, keep_above: float) -> pd.DataFrame:
    predictions = linker.inference.predict(threshold_match_probability=keep_above, warning_mode="never")
    pairs = predictions.as_pandas_dataframe()
    pairs = pairs[["uid_l", "uid_r", "match_weight", "match_probability"]].copy()
    pairs["uid_l"] = pairs["uid_l"].astype("int64")
    pairs["uid_r"] = pairs["uid_r"].astype("int64")
    swap = pairs["uid_l"] > pairs["uid_r"]
    pairs.loc[swap, ["uid_l", "uid_r"]] = pairs.loc[swap, ["uid_r", "uid_l"]].to_numpy()
    return pairs.sort_values(["uid_l", "uid_r"]).reset_index(drop=True)


def score_with_model(features: pd.DataFrame, model: dict, *, engine: str = "duckdb", keep_above: float = 0.001,
                     spark=None) -> pd.DataFrame:
    """Score the blocked pairs of ``features`` with an already trained ``model`` (no training).

    Used to run a model trained on one engine on another (the Spark tests compare engines this
    way) or to re-score lists with a saved ``model.json``.
    """
    from splink import Linker

    logging.getLogger("splink").setLevel(logging.ERROR)
    db_api = make_db_api(engine, spark=spark)
    sdfs, link_type = _register_lists(db_api, features)
    spec = ModelSpec.from_features(features)
    # rebuild the comparisons in the target engine's SQL dialect, then carry the parameters over
    settings = settings_dict(spec, engine, link_type=link_type)
    trained = _levels(model)
    for comp in settings["comparisons"]:
        for lvl in comp["comparison_levels"]:
            src = trained.get((comp["output_column_name"], lvl["label_for_charts"]), {})
            for key in ("m_probability", "u_probability"):
                if key in src:
                    lvl[key] = src[key]
    settings["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    linker = Linker(sdfs, settings, log_level=None)
    _register_tf(linker, db_api, features, spec, {}, model=settings)
    return _predict(linker, keep_above)


@dataclass
class TrainedModel:
    """Scored pairs and what was learned."""

    pairs: pd.DataFrame  # uid_l, uid_r, match_weight, match_probability
    lambda_: float
    model_json: dict
    stages: dict


def train_and_score(
    features: pd.DataFrame,
    *,
    engine: str = "duckdb",
    seed: int = 42,
    u_max_pairs: float = 1e6,
    em_max_pairs: float | None = 5e5,
    keep_above: float = 0.001,
    spark=None,
) -> TrainedModel:
    """Train the model unsupervised on ``features`` and score every blocked pair.

    Parameters
    ----------
    features : pandas.DataFrame
        Plaintext features (:func:`lantern.linkage.features.prepare_features`) or encodings
        (:func:`lantern.linkage.bloom.encode_features`); one row per record, ``uid`` unique.
    engine : {"duckdb", "spark"}
    seed : int
        Seed of the random sampling for *u*.
    keep_above : float
        Pairs with a match probability below this are dropped from the output (they cannot
        matter at any threshold in the reported band).
    """
    from splink import Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    spec = ModelSpec.from_features(features)
    db_api = make_db_api(engine, spark=spark)
    import time

    clock = time.perf_counter()
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 2)
        clock = now

    sdfs, link_type = _register_lists(db_api, features)
    settings = settings_dict(spec, engine, link_type=link_type)
    linker = Linker(sdfs, settings, log_level=None)
    tf_cache: dict = {}
    _register_tf(linker, db_api, features, spec, tf_cache)

    # 1. λ from a near-certain deterministic rule (recall assumed 0.7: noise breaks exact agreement)
    #    and u from random pairs, which are non-matches almost surely.
    lap("register")
    linker.training.estimate_probability_two_random_records_match(
        ["l.gn = r.gn AND l.fn = r.fn AND l.dob = r.dob"], recall=0.7
    )
    lap("lambda")
    # one chunk on Spark: each chunk is a round of Spark jobs, and the probe phase saves nothing there
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed,
                                                     num_chunks=1 if engine == "spark" else 10)
    base = linker.misc.save_model_to_json()
    lap("u_sampling")
    with _em_floor():
        # 2. m of names, sex, citizenship (and extras) by EM within pairs sharing a date of birth:
        #    there the non-matches are random pairs with respect to names, so u stays fixed.
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("dob"), estimate_without_term_frequencies=True, max_pairs=em_max_pairs
        )
        after_dob_block = linker.misc.save_model_to_json()
        lap("em_dob_block")
        # 3. m of the date of birth by EM within pairs sharing family name and citizenship, with
        #    u estimated too: non-matches there are not random pairs (same surname pool), so this is
        #    a latent-class model on given name, date of birth and sex, identified because given
        #    name and date of birth are both informative and independent among non-matches. Only
        #    the date-of-birth m values are kept from this session; u for scoring stays the
        #    random-sampling estimate. (Blocking on both names instead leaves only uninformative
        #    comparisons free and EM then cannot tell matches from namesakes.)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("fn", "cit") if spec.has_citizenship else block_on("fn"),
            estimate_without_term_frequencies=False, max_pairs=em_max_pairs, fix_u_probabilities=False,
        )
        after_name_block = linker.misc.save_model_to_json()
        lap("em_name_block")
    final = _assemble_model(base, after_dob_block, after_name_block)
    linker = Linker(sdfs, final, log_level=None)
    _register_tf(linker, db_api, features, spec, tf_cache, model=final)
    pairs = _predict(linker, keep_above)
    lap("predict")
    model_json = linker.misc.save_model_to_json()
    return TrainedModel(
        pairs=pairs.reset_index(drop=True),
        lambda_=float(linker._settings_obj._probability_two_random_records_match),
        model_json=model_json,
        stages=stages,
    )
