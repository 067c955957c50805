"""The cohort engine: chunks of subjects as tasks, per-chunk parts for resuming, Dask, assembly.

Every verb of :mod:`myoreflex.cohort` builds a :class:`Task` and hands its rows to :func:`run`; see
the package doc for how a run goes.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jax
import numpy as np

from myoreflex import __version__
from myoreflex.cohort.manifest import FILE_SEPARATOR, build_params
from myoreflex.errors import (
    OutputError,
    ParameterError,
    ProtocolError,
    RecordingError,
    Status,
    describe,
    require_extra,
)
from myoreflex.io.results import (
    JSON_SUFFIXES,
    TABLE_SUFFIXES,
    check_output,
    file_mode,
    output_error,
    remove_stale_temporaries,
)
from myoreflex.protocols import PROTOCOLS, Protocol, from_settings
from myoreflex.protocols.base import measure_trial
from myoreflex.simulation import simulate_batch

STATUS_ERROR = "ERROR"
PROVENANCE_COLUMNS = ("myoreflex_version", "protocol", "dt_s", "seed")
ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: subjects finished (reused chunks included) and the cohort size."""

# ---------------------------------------------------------------------------------------------
# Protocols: the registry says what to simulate, what to record and how to measure


def protocol_instance(protocol) -> Protocol:
    """A protocol object: an instance as it is, a registry name with its default settings."""
    if isinstance(protocol, Protocol):
        return protocol
    if isinstance(protocol, str):
        return from_settings(PROTOCOLS.lookup(protocol), {})
    raise ProtocolError(describe("protocol", f"a name among {', '.join(PROTOCOLS)} or a Protocol instance",
                                 repr(protocol)))


def protocol_name(protocol) -> str:
    return protocol.name if isinstance(protocol, Protocol) else PROTOCOLS.lookup(protocol).name


def _protocol_record(protocol) -> dict:
    if isinstance(protocol, str):
        return {"name": protocol_name(protocol)}
    return {"name": protocol.name, **dataclasses.asdict(protocol)}


def _measured_values(protocol: Protocol | type[Protocol], trial, lenient: bool = False) -> dict:
    """A protocol's measures of one Trial as flat result columns (the record's ``method`` dropped;
    the failed quality gates of a lenient measure ``"; "``-joined in ``warnings``)."""
    values = measure_trial(protocol, trial, lenient=lenient).as_dict()
    values.pop("method", None)
    if "warnings" in values:
        values["warnings"] = "; ".join(values["warnings"])
    return values


# ---------------------------------------------------------------------------------------------
# Tasks: one chunk of subjects in, one row per subject out (pure; run here or on a Dask worker)


@dataclasses.dataclass(frozen=True)
class Task:
    kind: str  # "simulate" | "assess" | "fit"
    protocol: Any  # a protocol instance (simulate) or a protocol name (assess); None for fit
    joint: str = "knee"
    dt: float | None = None
    record_every: int = 1
    batch: int = 0  # padded chunk length (simulate)
    reader_options: tuple = ()
    fitter: Any = None
    root: str | None = None  # the manifest's folder: recordings must lie inside it (assess, fit)
    allow_outside: bool = False
    lenient: bool = False  # measure recordings that fail a quality gate, naming it (simulate, assess)

    def describe(self) -> dict:
        """The settings that decide a chunk's results (hashed into its key, and the provenance)."""
        fitter = fitter_settings = None
        if self.fitter is not None:
            module = getattr(self.fitter, "__module__", "?")
            name = getattr(self.fitter, "__qualname__", None) or type(self.fitter).__qualname__
            fitter = f"{module}.{name}"
            # A configured fitter (a frozen dataclass such as StretchFitter) is described by its
            # fields, so that its settings enter the resume key and the provenance.
            if dataclasses.is_dataclass(self.fitter) and not isinstance(self.fitter, type):
                fitter_settings = dataclasses.asdict(self.fitter)
        return {
            "kind": self.kind,
            "protocol": None if self.protocol is None else _protocol_record(self.protocol),
            "joint": self.joint if self.kind == "simulate" else None,
            "dt_s": self.dt,
            "record_every": self.record_every if self.kind == "simulate" else None,
            "batch": self.batch if self.kind == "simulate" else None,
            "reader_options": dict(self.reader_options),
            "fitter": fitter,
            "fitter_settings": fitter_settings,
            "root": self.root if self.kind != "simulate" else None,
            "allow_outside": self.allow_outside if self.kind != "simulate" else None,
            "lenient": self.lenient if self.kind != "fit" else None,
            "myoreflex_version": __version__,
        }


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _result_row(row: dict, outcome: str, error: str, values: Mapping[str, Any], *, protocol, dt) -> dict:
    """One output row: the input, the outcome, the measured values, the provenance columns.

    A measured or fitted value whose name is already taken (``status``, an input column) is kept
    as ``result_<name>`` instead of overwriting it.
    """
    out = {**row, "status": outcome, "error": error}
    reserved = set(out) | set(PROVENANCE_COLUMNS)
    out.update({(f"result_{key}" if key in reserved else key): value for key, value in values.items()})
    out.update(myoreflex_version=__version__, protocol=protocol, dt_s=dt, seed=row.get("seed"))
    return out


def _simulate_chunk(task: Task, rows: list[dict]) -> list[dict]:
    protocol = task.protocol
    padded = list(rows) + [rows[-1]] * max(0, task.batch - len(rows))
    params = build_params(padded, joint=task.joint)
    batch = simulate_batch(params, protocol, dt=task.dt, record=protocol.measured, record_every=task.record_every)
    results = []
    for i, row in enumerate(rows):
        status = Status(int(batch.status[i]))
        values: dict[str, Any] = {}
        if status is not Status.OK:  # NONFINITE or DIVERGED: the limit, the value and when
            outcome, error = status.name, batch.failure(i)
        else:
            try:
                trial = batch.trial(i, {"source": f"subject {row['subject']}", "subject": row["subject"]})
                values = _measured_values(protocol, trial, task.lenient)
                outcome, error = Status.OK.name, ""
            except Exception as exc:  # one subject's failure is data, not the run's
                outcome, error = STATUS_ERROR, _error_text(exc)
        results.append(_result_row(row, outcome, error, values, protocol=protocol.name, dt=task.dt))
    return results


def _files(row: Mapping[str, Any]) -> list[str]:
    return str(row["file"]).split(FILE_SEPARATOR)


def check_inside(row: Mapping[str, Any], root: str | None, allow_outside: bool) -> None:
    """A row's recording outside the manifest's folder (``..``, an absolute path elsewhere, or a
    link leading out) raises, naming the path, unless ``allow_outside``."""
    if root is None or allow_outside:
        return
    folder = Path(root).resolve()
    for path in _files(row):
        if not Path(path).resolve().is_relative_to(folder):
            raise RecordingError(describe(f"`{path}`", f"a recording inside the manifest's folder {folder}",
                                          "a path outside it", "pass allow_outside=True (command line: "
                                          "--allow-outside) to read recordings elsewhere"))


def _read_all(row: Mapping[str, Any], options: dict) -> list:
    """Every Trial of a row's recordings (all segments of a multi-segment file)."""
    from myoreflex.io import read_trials

    return [trial for path in _files(row) for trial in read_trials(path, **options)]


def _read_one(row: Mapping[str, Any], options: dict):
    trials = _read_all(row, options)
    if len(trials) != 1:
        names = ", ".join(f"`{Path(path).name}`" for path in _files(row))
        raise RecordingError(describe(names, "one recording (one file, one segment) per subject",
                                      f"{len(trials)} recordings"))
    return trials[0]


def _sampling_interval(trial) -> float:
    return float(np.median(np.diff(trial.time)))


def _file_chunk(task: Task, rows: list[dict]) -> list[dict]:
    options = dict(task.reader_options)
    protocol = None if task.protocol is None else PROTOCOLS.lookup(task.protocol)
    results = []
    for row in rows:
        values: dict[str, Any] = {}
        dt = None
        try:
            check_inside(row, task.root, task.allow_outside)
            if task.kind == "assess":
                trial = _read_one(row, options)
                dt = _sampling_interval(trial)
                values = _measured_values(protocol, trial, task.lenient)
            else:
                trials = _read_all(row, options)
                dt = _sampling_interval(trials[0])
                values = dict(task.fitter(trials, dict(row)))
            outcome, error = Status.OK.name, ""
        except Exception as exc:  # a bad file is reported in its row, not fatal
            outcome, error = STATUS_ERROR, _error_text(exc)
        results.append(_result_row(row, outcome, error, values, protocol=protocol.name if protocol else None,
                                   dt=dt))
    return results


def _run_task(task: Task, rows: list[dict]) -> list[dict]:
    """Entry point of one chunk (a Dask task on a cluster)."""
    if task.kind == "simulate":
        return _simulate_chunk(task, rows)
    return _file_chunk(task, rows)


# ---------------------------------------------------------------------------------------------
# The engine: chunks, parts, resume, Dask, assembly


@dataclasses.dataclass(frozen=True)
class CohortResult:
    """What a cohort run wrote and how it went."""

    table: Path
    provenance: Path
    n_subjects: int
    status_counts: dict
    n_chunks: int
    computed_chunks: int
    reused_chunks: int
    wall_s: float
    rejected_chunks: int = 0  # part files found but not trusted (rows or checksum did not match)

    @property
    def subjects_per_s(self) -> float:
        """Throughput of this call (reused subjects count as done)."""
        return self.n_subjects / self.wall_s if self.wall_s > 0 else math.inf


def _chunks(rows: list, chunk_size: int) -> list[list]:
    """Balanced chunks of at most ``chunk_size`` rows; lengths differ by at most one."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ParameterError(describe("chunk_size", "an integer >= 1", repr(chunk_size)))
    n_chunks = -(-len(rows) // int(chunk_size))
    size = -(-len(rows) // n_chunks)
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _digest(value) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()


def _file_stamp(path: str):
    try:
        stat = os.stat(path)
        return [stat.st_size, stat.st_mtime_ns]
    except OSError:
        return None


def _chunk_key(task: Task, settings: dict, rows: list[dict]) -> str:
    if task.kind == "simulate":
        return _digest({"settings": settings, "rows": rows, "files": None})
    stamps = [[_file_stamp(path) for path in _files(row)] for row in rows]
    return _digest({"settings": settings, "rows": rows, "files": stamps})


def _write_json_atomic(value, path: Path) -> Path:
    """Write JSON to ``path`` through a temporary file in the same folder (``.<stem>-*.tmp``) and a
    rename; an ``OSError`` (full disk, permission) removes the temporary file and becomes one
    :class:`~myoreflex.errors.OutputError` line."""
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(value, stream, default=str)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
    return path


def _rows_checksum(rows: list[dict]) -> str:
    """SHA-256 of a chunk's rows as JSON (the same before and after a round trip through the file)."""
    return _digest(rows)


def _load_part(path: Path, key: str, subjects: list) -> list[dict] | None:
    """A part's rows when they can be trusted: the chunk's key, the row count and the checksum
    recorded when it was written, and the chunk's subjects in order; else None (recompute)."""
    try:
        with open(path) as stream:
            part = json.load(stream)
    except (OSError, ValueError):
        return None
    if not isinstance(part, dict) or part.get("key") != key:
        return None
    rows = part.get("rows")
    if not isinstance(rows, list) or part.get("n_rows") != len(rows) or len(rows) != len(subjects):
        return None
    if not all(isinstance(row, dict) for row in rows) or [row.get("subject") for row in rows] != subjects:
        return None
    return rows if part.get("sha256") == _rows_checksum(rows) else None


def _check_out(out, inputs=()) -> Path:
    if out is None:
        raise OutputError(describe("out", "a .csv or .parquet path for the results", None))
    out = check_output(out, inputs=inputs, suffixes=TABLE_SUFFIXES, what="results table")
    if out.suffix.lower() == ".parquet":
        require_extra("pyarrow", "parquet")
    check_output(_provenance_path(out), inputs=inputs, suffixes=JSON_SUFFIXES, what="provenance record")
    parts = parts_path(out)
    if parts.exists() and not parts.is_dir():
        raise OutputError(describe(f"parts folder `{parts.name}`", "a folder for the finished chunks",
                                   "a file of that name", "move the file away"))
    return out


def _provenance_path(out: Path) -> Path:
    return out.with_name(out.name + ".provenance.json")


def parts_path(out: Path) -> Path:
    return out.parent / f"{out.name}.parts"


_ADDRESS = re.compile(r"(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[A-Za-z0-9_.\-\[\]:%]+:\d{1,5}/?")
SCHEDULER_CHOICES = ('None (this process), "local" (a LocalCluster), a scheduler address such as '
                     "tcp://host:8786, or a distributed.Client")


def check_scheduler(scheduler) -> None:
    """Refuse, before any work, a scheduler that is not None, ``"local"``, an address or a Client."""
    if scheduler is None:
        return
    if isinstance(scheduler, str):
        if scheduler != "local" and not _ADDRESS.fullmatch(scheduler.strip()):
            raise ParameterError(describe("scheduler", SCHEDULER_CHOICES, repr(scheduler)))
        require_extra("distributed", "cluster")
        return
    if hasattr(scheduler, "submit"):
        distributed = require_extra("distributed", "cluster")
        if isinstance(scheduler, distributed.Client):
            return
    raise ParameterError(describe("scheduler", SCHEDULER_CHOICES, repr(scheduler)))


def _configure_workers(client) -> None:
    """Run :func:`myoreflex.runtime.configure` on every worker when this process ran it: the same
    compiler options on both sides give the same numbers to the last bit (a worker that has already
    started JAX keeps its own, as JAX does)."""
    from myoreflex import runtime

    if runtime.is_configured():
        client.run(runtime.configure)


def _connect(scheduler):
    """(client, close, description) for a scheduler choice; ``client`` is None for in-process."""
    if scheduler is None:
        return None, lambda: None, "in-process"
    distributed = require_extra("distributed", "cluster")
    if isinstance(scheduler, distributed.Client):
        return scheduler, lambda: None, f"client of {scheduler.scheduler.address}"
    if scheduler == "local":
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
        _configure_workers(client)

        def close():
            client.close()
            cluster.close()

        return client, close, "LocalCluster(n_workers=2, threads_per_worker=1, processes=True)"
    if isinstance(scheduler, str) and scheduler:
        try:
            client = distributed.Client(scheduler.strip())
        except (OSError, TimeoutError, ValueError) as exc:
            raise ParameterError(describe("scheduler", "a reachable Dask scheduler", repr(scheduler),
                                          f"{type(exc).__name__}: {exc}")) from None
        _configure_workers(client)
        return client, client.close, f"scheduler {scheduler}"
    raise ParameterError(describe("scheduler", SCHEDULER_CHOICES, repr(scheduler)))


def _assemble(rows_in_order: list[dict]) -> list[dict]:
    columns: list[str] = []
    for row in rows_in_order:
        columns.extend(key for key in row if key not in columns)
    columns = [c for c in columns if c not in PROVENANCE_COLUMNS] + list(PROVENANCE_COLUMNS)
    return [{c: row.get(c) for c in columns} for row in rows_in_order]


def _environment() -> dict:
    return {
        "myoreflex_version": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "jax": jax.__version__,
        "platform": platform.platform(),
    }


def run(
    rows: list[dict],
    task: Task,
    *,
    out,
    chunk_size: int,
    scheduler,
    progress: ProgressCallback | None,
    keep_parts: bool,
    inputs=(),
) -> CohortResult:
    """Run ``task`` on every chunk of ``rows`` and write the table (the package doc says how).

    Before any work: ``out`` is checked (:func:`myoreflex.io.results.check_output`: folder,
    extension, not a directory, not one of ``inputs``), the scheduler and ``chunk_size`` too; the
    temporary files a killed run left beside ``out`` and in its parts folder are removed.
    """
    start = time.perf_counter()
    out = _check_out(out, inputs)
    check_scheduler(scheduler)
    chunks = _chunks(rows, chunk_size)
    if task.kind == "simulate":
        task = dataclasses.replace(task, batch=len(chunks[0]))
    settings = task.describe()
    keys = [_chunk_key(task, settings, chunk) for chunk in chunks]
    parts = parts_path(out)
    provenance_path = _provenance_path(out)
    remove_stale_temporaries(out)
    remove_stale_temporaries(provenance_path, suffix=".tmp")
    try:
        parts.mkdir(exist_ok=True)
        for leftover in parts.glob(".chunk-*.tmp"):  # a temporary file of a killed run: never a result
            leftover.unlink(missing_ok=True)
    except OSError as exc:
        raise output_error(parts, exc) from None
    names = [parts / f"chunk-{i:05d}-{key[:16]}.json" for i, key in enumerate(keys)]
    results: dict[int, list[dict]] = {}
    rejected = []
    for i, (name, key) in enumerate(zip(names, keys)):
        if name.exists():
            loaded = _load_part(name, key, [row["subject"] for row in chunks[i]])
            if loaded is None:
                rejected.append(name.name)
            else:
                results[i] = loaded
    reused = len(results)
    total = len(rows)
    done = sum(len(chunks[i]) for i in results)
    if progress is not None:
        progress(done, total)
    pending = [i for i in range(len(chunks)) if i not in results]

    def finish(i: int, chunk_rows: list[dict]):
        nonlocal done
        _write_json_atomic({"key": keys[i], "chunk": i, "n_rows": len(chunk_rows),
                            "sha256": _rows_checksum(chunk_rows), "rows": chunk_rows}, names[i])
        results[i] = chunk_rows
        done += len(chunk_rows)
        if progress is not None:
            progress(done, total)

    client, close, where = _connect(scheduler if pending else None)
    try:
        if client is None:
            for i in pending:
                finish(i, _run_task(task, chunks[i]))
        else:
            from distributed import as_completed

            futures = {client.submit(_run_task, task, chunks[i], key=f"myoreflex-{task.kind}-{keys[i]}",
                                     pure=False): i for i in pending}
            for future in as_completed(list(futures)):
                finish(futures[future], future.result())
                future.release()
    finally:
        close()
    table = _assemble([row for i in range(len(chunks)) for row in results[i]])
    counts: dict[str, int] = {}
    for row in table:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    from myoreflex.io.results import write_table

    wall = time.perf_counter() - start
    provenance = {
        **_environment(),
        "command": f"cohort {task.kind}",
        "settings": settings,
        "chunk_size": int(chunk_size),
        "n_chunks": len(chunks),
        "n_subjects": total,
        "status_counts": counts,
        "manifest_sha256": _digest(rows),
        "seeds": sorted({row["seed"] for row in rows if row.get("seed") is not None}),
        "scheduler": where if pending else "none (all chunks reused)",
        "computed_chunks": len(pending),
        "reused_chunks": reused,
        "rejected_parts": rejected,
        "wall_s": wall,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "table": out.name,
        "columns": list(table[0]),
    }
    write_table(table, out)  # the commit point: parts are removed only after both writes
    _write_json_atomic(provenance, provenance_path)
    if keep_parts:
        current = {name.name for name in names}
        for stale in parts.glob("chunk-*.json"):
            if stale.name not in current:
                stale.unlink()
    else:
        shutil.rmtree(parts, ignore_errors=True)
    return CohortResult(table=out, provenance=provenance_path, n_subjects=total, status_counts=counts,
                        n_chunks=len(chunks), computed_chunks=len(pending), reused_chunks=reused, wall_s=wall,
                        rejected_chunks=len(rejected))


