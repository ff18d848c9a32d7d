"""A local Spark session configured for Splink (the alternative engine for very large lists).

On a cluster, build your own session (with Splink's similarity jar on ``spark.jars``) and pass it
to :func:`lantern.linkage.link_lists` as ``spark=``; this helper is for one machine and for tests.
"""

from __future__ import annotations


def local_spark_session(*, cores: int = 2, memory: str = "2g", checkpoint_dir: str | None = None):
    """Start (or reuse) a local-mode Spark session with Splink's Scala UDF jar (Jaro–Winkler etc.).

    Spark needs Java 17 (or 21) on the PATH. ANSI SQL mode stays on (Spark 4's default); the
    model's SQL uses only functions that are valid under it.
    """
    import tempfile

    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("lantern-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.default.parallelism", str(max(2, cores * 2)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(checkpoint_dir or tempfile.mkdtemp(prefix="lantern-spark-"))
    return spark
