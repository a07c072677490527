"""One process for a Spark run: start the session, load the admitted inputs, run dbt, hand back.

`python -m omphalos.pipeline.spark_driver JOB_JSON -- <dbt arguments>` is what SparkEngine runs instead of
the `dbt` executable. dbt-spark's `session` method uses the SparkSession of the process it runs
in (SparkSession.builder.getOrCreate()), so loading the inputs, `dbt build` and reading the
results back all happen against one session and one catalog: nothing has to outlive the process
but the files it writes (the Spark warehouse directory, and the job's results directory).

The job file (written by SparkEngine) says: the Spark settings (master, warehouse directory,
catalog), the raw schema and the Parquet file of each admitted input, the target schema, and
where to write results: results/counts.json (rows of every table and view the build made, by
layer) and results/<table>.parquet for each table to fetch (through Arrow, see SparkEngine.fetch).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

LAYERS = ("staging", "intermediate", "marts", "eval", "reference")


def _session(settings: dict[str, str]) -> Any:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("omphalos")
    for key, value in sorted(settings.items()):
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _load(spark: Any, raw_schema: str, inputs: dict[str, str]) -> None:
    spark.sql(f"create database if not exists `{raw_schema}`")
    for name, path in sorted(inputs.items()):
        spark.sql(f"drop table if exists `{raw_schema}`.`{name}`")
        location = path.replace("\\", "\\\\").replace("'", "\\'")
        spark.sql(f"create table `{raw_schema}`.`{name}` using parquet location '{location}'")


def _results(spark: Any, schema: str, fetch: list[str], out: Path) -> None:
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    databases = {row[0] for row in spark.sql("show databases").collect()}
    for layer in LAYERS:
        database = f"{schema}_{layer}"
        if database not in databases:
            continue
        counts[layer] = {}
        for row in spark.sql(f"show tables in `{database}`").collect():
            if row.isTemporary:
                continue
            n = spark.sql(f"select count(*) from `{database}`.`{row.tableName}`").collect()[0][0]
            counts[layer][str(row.tableName)] = int(n)
    (out / "counts.json").write_text(json.dumps(counts, sort_keys=True, indent=1), encoding="utf-8")
    for item in fetch:
        layer, name = item.split(".", 1)
        table = spark.table(f"`{schema}_{layer}`.`{name}`").toArrow()
        pq.write_table(table, out / f"{layer}.{name}.parquet")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] != "--":
        print(
            "usage: python -m omphalos.pipeline.spark_driver JOB_JSON -- <dbt arguments>",
            file=sys.stderr,
        )
        return 2
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    dbt_args = argv[2:]
    spark = _session(job["settings"])
    try:
        _load(spark, job["raw_schema"], job["inputs"])
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(dbt_args)
        if result.exception is not None:
            print(f"dbt raised: {result.exception}", file=sys.stderr)
            return 2
        if not result.success:
            return 1
        _results(spark, job["schema"], list(job["fetch"]), Path(job["results"]))
        return 0
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
