"""The same model on Spark (local mode): a model trained on DuckDB scores identically on Spark.

Full training on Spark works too (``link_lists(..., engine="spark")``) but costs about 90 s of
Spark job overhead on a 2-core machine even for tiny lists, so it runs in the benchmark
(``benchmarks/bench_linkage.py``), not here.
"""

from __future__ import annotations

import numpy as np
import pytest

from lantern.linkage import link_lists
from lantern.linkage.features import prepare_features
from lantern.linkage.io import read_lists
from lantern.linkage.model import score_with_model

from ._gen import make_lists

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_duckdb_model_scores_the_same_on_spark(tmp_path):
    pytest.importorskip("pyspark")
    paths, _ = make_lists(tmp_path, people=120)
    result = link_lists(paths, seed=3)
    raw, roles = read_lists(paths)
    features = prepare_features(raw, roles)
    from lantern.linkage.spark import local_spark_session

    spark = local_spark_session(cores=2, memory="1g")
    pairs = score_with_model(features, result.model, engine="spark", spark=spark)
    ref = result.pairs.sort_values(["uid_l", "uid_r"]).reset_index(drop=True)
    assert len(pairs) == len(ref) > 50
    assert (pairs[["uid_l", "uid_r"]].to_numpy() == ref[["uid_l", "uid_r"]].to_numpy()).all()
    assert np.allclose(pairs["match_weight"], ref["match_weight"], atol=1e-6)
