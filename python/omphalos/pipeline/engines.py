"""Warehouse engines a run can use: DuckDB (embedded, the default), PostgreSQL (server) and
Apache Spark (dbt-spark, local session or a cluster).

An engine loads admitted inputs in bulk, tells dbt where to build, and hands results back as Arrow
tables. Exports never come from the engine's own writer: they go through omphalos.pipeline.export, so the
same rows give the same bytes whatever the engine.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from omphalos.errors import OmphalosError
from omphalos.pipeline.admit import SPECS, AdmittedInput
from omphalos.pipeline.export import contracts
from omphalos.pipeline.limits import duckdb_memory_limit, fraction_of
from omphalos.pipeline.paths import project_root

ENGINES = ("duckdb", "postgres", "spark")
#: Rows per batch when an engine streams a mart to the exporter (``Engine.stream``).
STREAM_BATCH_ROWS = 65_536


class EngineError(OmphalosError, RuntimeError):
    """The engine cannot be reached or used."""


class Engine(Protocol):
    target: str

    def load_raw(self, records: list[AdmittedInput]) -> None: ...

    def load_table(self, name: str, parquet: Path) -> None: ...

    def dbt_env(self) -> dict[str, str]: ...

    def dbt_vars(self) -> dict[str, str]: ...

    def dbt_argv(self, argv: list[str]) -> list[str]: ...

    def dbt_workdir(self) -> tuple[Path, dict[str, str]]: ...

    def fetch(
        self, layer: str, name: str, schema: pa.Schema | None = None, key: Sequence[str] = ()
    ) -> pa.Table:
        """The rows of ``layer.name``; in ``key`` order when the engine can sort them (the
        caller sorts again when they are not)."""
        ...

    def stream(self, layer: str, name: str, key: Sequence[str]) -> pa.RecordBatchReader | None:
        """The rows of ``layer.name`` in ``key`` order as a stream of batches, so that a mart
        larger than memory is exported without being held; None when the engine cannot stream
        them in that order (the caller fetches the table and sorts it)."""
        ...

    def count(self, layer: str, name: str) -> int | None: ...

    def describe(self) -> dict[str, Any]: ...

    def finish(self) -> None: ...


class DuckDBEngine:
    """The warehouse is a DuckDB file inside the run directory (a procedural artifact)."""

    target = "duckdb"

    def __init__(self, warehouse: Path, threads: int, memory_limit: str | None = None) -> None:
        self.warehouse = warehouse
        self.threads = threads
        self.memory_limit = memory_limit or duckdb_memory_limit()
        # A scratch folder outside the run directory, removed by finish(), never part of a run:
        # spill files of queries larger than memory_limit (spill/), and dbt's working directory,
        # where `warehouse` links to the run's warehouse folder. dbt then sees the same relative
        # paths in every run, so its saved parse of the project (omphalos.pipeline.parse_cache) stays valid
        # from one run to the next.
        self.scratch = Path(tempfile.mkdtemp(prefix="omphalos-dbt-"))
        self.spill_dir = self.scratch / "spill"
        self.spill_dir.mkdir()
        self._ro: duckdb.DuckDBPyConnection | None = None
        self._relations: set[tuple[str, str]] | None = None  # (schema, name), listed by count

    def _connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(
            str(self.warehouse),
            read_only=read_only,
            config={
                "threads": self.threads,
                # after dbt, the reader shares the memory with the exporter's Arrow batches,
                # Parquet row group and CSV writers: half the limit, its sorts spilling sooner
                # (a 10M run's export peaked at 3.9 GB with the whole limit, 2.6 GB with half)
                "memory_limit": fraction_of(self.memory_limit, 0.5)
                if read_only
                else self.memory_limit,
                "temp_directory": str(self.spill_dir),
                "preserve_insertion_order": False,
            },
        )

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-write connection to the warehouse under the run's settings (those of dbt's
        profile): for a replayed dbt plan (omphalos.pipeline.plan). Close it before reading."""
        return self._connect()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """One read-only connection for every fetch and count after dbt (opening a connection
        per call cost about 1 s in a run of 55 counts); closed by finish()."""
        if self._ro is None:
            self._ro = self._connect(read_only=True)
        return self._ro

    def load_raw(self, records: list[AdmittedInput]) -> None:
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect()
        try:
            con.execute("create schema if not exists raw")
            for rec in records:
                con.execute(
                    f"create or replace table raw.{rec.name} as select * from read_parquet(?)",
                    [str(rec.parquet)],
                )
        finally:
            con.close()

    def load_table(self, name: str, parquet: Path) -> None:
        """One more raw table from a Parquet file (the review sources, docs/review.md)."""
        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect()
        try:
            con.execute("create schema if not exists raw")
            con.execute(
                f"create or replace table raw.{name} as select * from read_parquet(?)",
                [str(parquet)],
            )
        finally:
            con.close()

    def dbt_env(self) -> dict[str, str]:
        return {
            "OMPHALOS_DUCKDB_PATH": str(self.warehouse),
            "OMPHALOS_TARGET": "duckdb",
            "OMPHALOS_DUCKDB_MEMORY_LIMIT": self.memory_limit,
            "OMPHALOS_DUCKDB_TEMP_DIR": str(self.spill_dir),
        }

    def dbt_workdir(self) -> tuple[Path, dict[str, str]]:
        """dbt's working directory, the scratch folder, where `warehouse` links to the run's
        warehouse folder; and the profile's paths relative to it, the same in every run."""
        link = self.scratch / "warehouse"
        if not link.is_symlink():
            link.symlink_to(self.warehouse.parent.resolve(), target_is_directory=True)
        return self.scratch, {
            "OMPHALOS_DUCKDB_PATH": f"warehouse/{self.warehouse.name}",
            "OMPHALOS_DUCKDB_TEMP_DIR": self.spill_dir.name,
        }

    def dbt_vars(self) -> dict[str, str]:
        return {"raw_schema": "raw"}

    def dbt_argv(self, argv: list[str]) -> list[str]:
        return argv

    def _relation(self, layer: str, name: str) -> str:
        return f"main_{layer}.{name}" if layer else f"main.{name}"

    def fetch(
        self, layer: str, name: str, schema: pa.Schema | None = None, key: Sequence[str] = ()
    ) -> pa.Table:
        con = self._reader()
        order = " order by " + ", ".join(f'"{k}"' for k in key) if key else ""
        return con.sql(f"select * from {self._relation(layer, name)}{order}").to_arrow_table()

    def stream(self, layer: str, name: str, key: Sequence[str]) -> pa.RecordBatchReader | None:
        order = ", ".join(f'"{k}"' for k in key)
        query = f"select * from {self._relation(layer, name)} order by {order}"
        return self._reader().sql(query).to_arrow_reader(STREAM_BATCH_ROWS)

    def count(self, layer: str, name: str) -> int | None:
        con = self._reader()
        if self._relations is None:  # the reader opens after dbt: the relations are final
            listed = con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "union all select schema_name, view_name from duckdb_views() where not internal"
            ).fetchall()
            self._relations = {(str(s), str(t)) for s, t in listed}
        if (f"main_{layer}", name) not in self._relations:
            return None
        n = con.execute(f"select count(*) from {self._relation(layer, name)}").fetchall()
        return int(n[0][0])

    def describe(self) -> dict[str, Any]:
        return {
            "target": "duckdb",
            "threads": self.threads,
            "memory_limit": self.memory_limit,
            "warehouse": "warehouse/warehouse.duckdb",
        }

    def finish(self) -> None:
        try:
            if self._ro is not None:
                self._ro.close()
                self._ro = None
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)  # unlinks `warehouse`, never follows it


def pg_conninfo() -> str:
    """Connection settings from the same environment variables as profiles/profiles.yml."""
    parts = {
        "host": os.environ.get("OMPHALOS_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("OMPHALOS_PG_PORT", "5432"),
        "user": os.environ.get("OMPHALOS_PG_USER", "postgres"),
        "dbname": os.environ.get("OMPHALOS_PG_DATABASE", "test"),
        "connect_timeout": "5",
    }
    password = os.environ.get("OMPHALOS_PG_PASSWORD")
    if password:
        parts["password"] = password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def pg_schema_for(run_id: str) -> str:
    """A schema name of the run's own, within PostgreSQL's 63-byte identifier limit once dbt
    appends _intermediate."""
    slug = re.sub(r"[^a-z0-9]+", "_", run_id.lower()).strip("_")
    return ("omphalos_" + slug)[-48:].lstrip("_")


def pg_session_settings() -> dict[str, str]:
    """The memory settings of every session of a PostgreSQL run, explicit rather than the
    server's defaults: work_mem per sort or hash node (OMPHALOS_PG_WORK_MEM, default 64MB; the
    server default of 4MB makes the 1M-shipment scoring joins spill in batches) and the parallel
    workers per query (OMPHALOS_PG_PARALLEL_WORKERS, default 2, the server's default; each worker
    gets its own work_mem, and dbt runs `threads` models at once). Peak backend memory is then about threads x
    (1 + workers) x hash nodes x work_mem x hash_mem_multiplier (2)."""
    return {
        "work_mem": os.environ.get("OMPHALOS_PG_WORK_MEM", "64MB"),
        "max_parallel_workers_per_gather": os.environ.get("OMPHALOS_PG_PARALLEL_WORKERS", "2"),
    }


_PG_TYPES = {"text": "text", "date": "date", "decimal": "numeric(18, 2)"}


class PostgresEngine:
    """Each run builds in schemas of its own (`<schema>_raw`, `_staging`, `_intermediate`,
    `_marts`, `_reference`, `_udf`), so concurrent runs never collide. They are dropped when the
    run ends unless keep=True; the manifest says which."""

    target = "postgres"

    def __init__(self, run_id: str, threads: int, keep: bool = False) -> None:
        import psycopg

        self.schema = pg_schema_for(run_id)
        self.threads = threads
        self.keep = keep
        try:
            self.conn = psycopg.connect(pg_conninfo(), autocommit=True)
        except psycopg.OperationalError as exc:
            raise EngineError(f"cannot connect to PostgreSQL ({_safe_conninfo()}): {exc}") from exc
        row = self.conn.execute("show server_version").fetchone()
        self.server_version = str(row[0]) if row else "unknown"
        self.session_settings = pg_session_settings()
        for key, value in sorted(self.session_settings.items()):
            self.conn.execute("select set_config(%s, %s, false)", (key, value))

    def schemas(self) -> list[str]:
        return [
            f"{self.schema}{suffix}"
            for suffix in (
                "",
                "_raw",
                "_staging",
                "_intermediate",
                "_marts",
                "_reference",
                "_udf",
                "_eval",
            )
        ]

    def load_raw(self, records: list[AdmittedInput]) -> None:
        raw = f"{self.schema}_raw"
        self.conn.execute(f'create schema if not exists "{raw}"')
        for rec in records:
            spec = SPECS[rec.name]
            cols = ", ".join(f'"{c.name}" {_PG_TYPES.get(c.kind, "text")}' for c in spec.columns)
            self.conn.execute(f'drop table if exists "{raw}"."{rec.name}"')
            self.conn.execute(f'create table "{raw}"."{rec.name}" ({cols})')
            names = ", ".join(f'"{c}"' for c in spec.column_names)
            with self.conn.cursor().copy(
                f'copy "{raw}"."{rec.name}" ({names}) from stdin with (format csv)'
            ) as copy:
                # batch by batch: the input is never whole in memory
                for batch in pq.ParquetFile(rec.parquet).iter_batches(batch_size=65_536):
                    buf = io.BytesIO()
                    pacsv.write_csv(
                        batch, buf, write_options=pacsv.WriteOptions(include_header=False)
                    )
                    copy.write(buf.getvalue())

    def load_table(self, name: str, parquet: Path) -> None:
        """One more raw table from a Parquet file of text and integer columns."""
        raw = f"{self.schema}_raw"
        schema = pq.read_schema(parquet)
        types = {pa.int64(): "bigint", pa.int32(): "integer", pa.bool_(): "boolean"}
        cols = ", ".join(f'"{f.name}" {types.get(f.type, "text")}' for f in schema)
        self.conn.execute(f'create schema if not exists "{raw}"')
        self.conn.execute(f'drop table if exists "{raw}"."{name}"')
        self.conn.execute(f'create table "{raw}"."{name}" ({cols})')
        names = ", ".join(f'"{f.name}"' for f in schema)
        with self.conn.cursor().copy(
            f'copy "{raw}"."{name}" ({names}) from stdin with (format csv)'
        ) as copy:
            for batch in pq.ParquetFile(parquet).iter_batches(batch_size=65_536):
                buf = io.BytesIO()
                pacsv.write_csv(batch, buf, write_options=pacsv.WriteOptions(include_header=False))
                copy.write(buf.getvalue())

    def dbt_env(self) -> dict[str, str]:
        # libpq reads PGOPTIONS: dbt's connections get the run's explicit session settings
        options = " ".join(f"-c {k}={v}" for k, v in sorted(self.session_settings.items()))
        prior = os.environ.get("PGOPTIONS", "")
        return {
            "OMPHALOS_PG_SCHEMA": self.schema,
            "OMPHALOS_TARGET": "postgres",
            "PGOPTIONS": f"{prior} {options}".strip(),
        }

    def dbt_workdir(self) -> tuple[Path, dict[str, str]]:
        return project_root(), {}

    def dbt_vars(self) -> dict[str, str]:
        return {"raw_schema": f"{self.schema}_raw"}

    def dbt_argv(self, argv: list[str]) -> list[str]:
        return argv

    def fetch(
        self, layer: str, name: str, schema: pa.Schema | None = None, key: Sequence[str] = ()
    ) -> pa.Table:
        """Rows through COPY ... TO STDOUT (CSV), parsed with the declared Arrow schema (in the
        server's order: its collation need not be byte order, the caller sorts)."""
        relation = f'"{self.schema}_{layer}"."{name}"'
        buf = io.BytesIO()
        with self.conn.cursor().copy(
            f"copy (select * from {relation}) to stdout with (format csv, header true)"
        ) as copy:
            for chunk in copy:
                buf.write(chunk)
        buf.seek(0)
        convert = pacsv.ConvertOptions(
            column_types=dict(zip(schema.names, schema.types, strict=True))
            if schema is not None
            else None,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t", "true"],
            false_values=["f", "false"],
        )
        return pacsv.read_csv(
            buf,
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )

    def stream(self, layer: str, name: str, key: Sequence[str]) -> pa.RecordBatchReader | None:
        return None  # rows come back in the server's order: fetched whole and sorted

    def count(self, layer: str, name: str) -> int | None:
        exists = self.conn.execute(
            "select count(*) from information_schema.tables where table_schema = %s and table_name = %s",
            (f"{self.schema}_{layer}", name),
        ).fetchone()
        if not exists or exists[0] == 0:
            return None
        row = self.conn.execute(f'select count(*) from "{self.schema}_{layer}"."{name}"').fetchone()
        return int(row[0]) if row else None

    def describe(self) -> dict[str, Any]:
        return {
            "target": "postgres",
            "threads": self.threads,
            "server_version": self.server_version,
            "schemas": self.schemas(),
            "schemas_kept": self.keep,
            "session_settings": self.session_settings,
        }

    def finish(self) -> None:
        try:
            if not self.keep:
                for s in self.schemas():
                    self.conn.execute(f'drop schema if exists "{s}" cascade')
        finally:
            self.conn.close()


def _safe_conninfo() -> str:
    """Connection settings for messages: never the password."""
    return " ".join(p for p in pg_conninfo().split() if not p.startswith("password="))


def spark_available() -> bool:
    """Whether pyspark and dbt-spark are installed (the optional `spark` extra)."""
    import importlib.util

    try:
        return (
            importlib.util.find_spec("pyspark") is not None
            and importlib.util.find_spec("dbt.adapters.spark") is not None
        )
    except (ImportError, ValueError):
        return False


class SparkEngine:
    """Apache Spark through dbt-spark's `session` method.

    dbt-spark's session method uses the SparkSession of its own process, and a run calls dbt as a
    subprocess; so the subprocess is omphalos.pipeline.spark_driver, which starts the session, creates the
    raw tables over the admitted inputs (written here as Parquet), runs `dbt build` in-process,
    and writes back row counts and the tables to fetch (Parquet, through Arrow). One process, one
    session, one in-memory catalog: nothing outlives the run but files in the run directory
    (warehouse/spark/, procedural). The master comes from OMPHALOS_SPARK_MASTER (default
    local[<threads>]): a standalone cluster is `spark://host:7077`, and its workers must see the
    run directory (docs/spark.md)."""

    target = "spark"

    def __init__(self, run_dir: Path, run_id: str, threads: int) -> None:
        if not spark_available():
            raise EngineError(
                "the spark target needs pyspark and dbt-spark: pip install -e '.[spark]' "
                "(or make setup-spark)"
            )
        self.root = run_dir / "warehouse" / "spark"
        self.schema = pg_schema_for(run_id)
        self.threads = threads
        self.master = os.environ.get("OMPHALOS_SPARK_MASTER", f"local[{threads}]")
        self.inputs: dict[str, str] = {}
        self._counts: dict[str, dict[str, int]] | None = None

    def settings(self) -> dict[str, str]:
        extra = {}
        if os.environ.get("OMPHALOS_SPARK_DRIVER_HOST"):
            # the address executors of a cluster use to reach this driver
            extra["spark.driver.host"] = os.environ["OMPHALOS_SPARK_DRIVER_HOST"]
        return extra | {
            "spark.master": self.master,
            "spark.sql.warehouse.dir": str((self.root / "tables").resolve()),
            "spark.sql.catalogImplementation": "in-memory",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": os.environ.get(
                "OMPHALOS_SPARK_SHUFFLE_PARTITIONS", str(max(2, self.threads * 2))
            ),
            "spark.driver.memory": os.environ.get("OMPHALOS_SPARK_DRIVER_MEMORY", "2g"),
            # on a cluster: each executor's heap (the worker's --memory must hold it)
            "spark.executor.memory": os.environ.get("OMPHALOS_SPARK_EXECUTOR_MEMORY", "1g"),
            "spark.ui.enabled": "false",
            # the name-scoring query is deep (many CTEs): the analyzer's default 100 passes do
            # not resolve it
            "spark.sql.analyzer.maxIterations": "1000",
        }

    def load_raw(self, records: list[AdmittedInput]) -> None:
        """Write each admitted input as Parquet; the driver creates the raw tables over them."""
        raw_dir = self.root / "raw"
        raw_dir.mkdir(parents=True, exist_ok=True)
        for rec in records:
            path = raw_dir / rec.name / "part-0.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(rec.parquet, path)
            self.inputs[rec.name] = str(path.parent.resolve())

    def load_table(self, name: str, parquet: Path) -> None:
        """One more raw table: written beside the inputs, created by the driver."""
        path = self.root / "raw" / name / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parquet, path)
        self.inputs[name] = str(path.parent.resolve())

    def dbt_env(self) -> dict[str, str]:
        return {"OMPHALOS_SPARK_SCHEMA": self.schema, "OMPHALOS_TARGET": "spark"}

    def dbt_workdir(self) -> tuple[Path, dict[str, str]]:
        return project_root(), {}

    def dbt_vars(self) -> dict[str, str]:
        return {"raw_schema": f"{self.schema}_raw"}

    def dbt_argv(self, argv: list[str]) -> list[str]:
        job = {
            "settings": self.settings(),
            "raw_schema": f"{self.schema}_raw",
            "inputs": self.inputs,
            "schema": self.schema,
            "fetch": sorted(f"{c.layer}.{c.name}" for c in contracts().values()),
            "results": str((self.root / "results").resolve()),
        }
        job_path = self.root / "job.json"
        job_path.parent.mkdir(parents=True, exist_ok=True)
        job_path.write_text(json.dumps(job, sort_keys=True, indent=1), encoding="utf-8")
        return [
            sys.executable,
            "-m",
            "omphalos.pipeline.spark_driver",
            str(job_path),
            "--",
            *argv[1:],
        ]

    def fetch(
        self, layer: str, name: str, schema: pa.Schema | None = None, key: Sequence[str] = ()
    ) -> pa.Table:
        path = self.root / "results" / f"{layer}.{name}.parquet"
        if not path.exists():
            raise EngineError(f"the Spark run did not return {layer}.{name}")
        table = pq.read_table(path)
        if schema is not None:
            table = table.select(schema.names).cast(schema)
        return table

    def stream(self, layer: str, name: str, key: Sequence[str]) -> pa.RecordBatchReader | None:
        return None  # rows come back in the server's order: fetched whole and sorted

    def count(self, layer: str, name: str) -> int | None:
        if self._counts is None:
            path = self.root / "results" / "counts.json"
            if not path.exists():
                return None
            self._counts = json.loads(path.read_text(encoding="utf-8"))
        return self._counts.get(layer, {}).get(name)

    def describe(self) -> dict[str, Any]:
        master = self.master
        return {
            "target": "spark",
            "threads": self.threads,
            "master": master if master.startswith("local") else "cluster",
            "spark_version": _dist_version("pyspark"),
            "warehouse": "warehouse/spark",
            "session_settings": {
                k: v
                for k, v in self.settings().items()
                if k
                in (
                    "spark.driver.memory",
                    "spark.executor.memory",
                    "spark.sql.shuffle.partitions",
                )
            },
        }

    def finish(self) -> None:
        return None


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


class SparkCluster:
    """A Spark standalone master and `workers` workers on 127.0.0.1, started from the pyspark
    installation (`bin/spark-class`), each with `cores` cores and `memory` of executor memory;
    logs and worker directories under `work`. Used by the distributed test and `make bench`:
    `master` is the URL to put in OMPHALOS_SPARK_MASTER, `pids()` the processes started here (the
    executors are children of the workers). stop() ends exactly those processes."""

    def __init__(self, work: Path, workers: int = 2, cores: int = 1, memory: str = "1g") -> None:
        import pyspark

        self.home = Path(pyspark.__file__).parent
        self.work = work
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.executor_memory = memory  # one executor per worker, the worker's whole memory
        self.procs: list[Any] = []
        self.port = _free_port()
        self.ui_port = _free_port()
        self.master = f"spark://127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str]) -> None:
        import subprocess

        env = {**os.environ, "SPARK_HOME": str(self.home), "SPARK_LOCAL_IP": "127.0.0.1"}
        log = (self.work / f"{name}.log").open("wb")
        try:
            self.procs.append(
                subprocess.Popen(
                    [str(self.home / "bin" / "spark-class"), *args],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.work,
                )
            )
        finally:
            log.close()  # the child keeps its own descriptor

    def alive_workers(self) -> int:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=2) as resp:
            return int(json.loads(resp.read()).get("aliveworkers", 0))

    def start(self, timeout: float = 90.0) -> SparkCluster:
        import socket

        self.work.mkdir(parents=True, exist_ok=True)
        try:
            self._start(
                "master",
                [
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--webui-port",
                    str(self.ui_port),
                ],
            )

            def master_listens() -> bool:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    return True

            _wait_for(master_listens, "the Spark master", timeout)
            for i in range(self.workers):
                self._start(
                    f"worker{i}",
                    [
                        "org.apache.spark.deploy.worker.Worker",
                        self.master,
                        "--host",
                        "127.0.0.1",
                        "--cores",
                        str(self.cores),
                        "--memory",
                        self.memory,
                        "--webui-port",
                        str(_free_port()),
                        "--work-dir",
                        str(self.work / f"worker{i}"),
                    ],
                )
            _wait_for(lambda: self.alive_workers() >= self.workers, "the Spark workers", timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.poll() is None]

    def stop(self) -> None:
        import subprocess

        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def __enter__(self) -> SparkCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(check: Any, what: str, timeout: float) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(1.0)
    raise EngineError(f"Spark standalone cluster: timed out waiting for {what}")
