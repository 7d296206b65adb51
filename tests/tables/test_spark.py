from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from entitylink import ConceptIndex, Encoder, Linker, link_dataframe

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark", reason="pyspark is not installed: pip install 'entitylink[spark]'")
if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
    pytest.skip("Spark needs Java (no java on PATH, no JAVA_HOME)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One local[2] Spark session for the module, its Python workers on this interpreter."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("entitylink-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "8")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_link_spark_equals_link_dataframe(
    spark: Any, minilm: Encoder, sample_index: ConceptIndex
) -> None:
    from entitylink.tables.spark import link_spark

    texts = ["heart attack", "asthma", None, "fever", "", "NIDDM", "heart attack", "cough"] * 3
    df = pd.DataFrame({"id": range(len(texts)), "mention": texts})
    sdf = spark.createDataFrame(df, "id long, mention string").repartition(2)
    linked = link_spark(sdf, sample_index.path, k=2)
    assert linked.schema.simpleString() == (
        "struct<id:bigint,mention:string,rank:bigint,concept_id:string,name:string,"
        "matched_name:string,score:double>"
    )
    got = linked.toPandas().sort_values(["id", "rank"], na_position="first")
    expected = link_dataframe(Linker.from_dir(sample_index.path), df, k=2)  # the defaults
    expected = expected.sort_values(["id", "rank"], na_position="first")
    assert got["concept_id"].fillna("-").tolist() == expected["concept_id"].fillna("-").tolist()
    np.testing.assert_allclose(got["score"], expected["score"], atol=1e-5)
    nested = link_spark(sdf, sample_index.path, k=2, nested=True).orderBy("id").collect()
    assert [len(row["candidates"]) for row in nested[:3]] == [2, 2, 0]
    assert nested[0]["candidates"][0]["concept_id"] == "C0027051"
