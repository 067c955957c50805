"""Cohorts: many subjects through simulate, assess or fit, on one machine or on a Dask cluster.

Three verbs share one engine:

- :func:`cohort_simulate`: virtual subjects (condition, severity, body) run through a virtual test
  and measured, like a recording would be;
- :func:`cohort_assess`: recordings, one file per subject, measured;
- :func:`cohort_fit`: recordings, one or several files per subject (e.g. one stretch per
  velocity), each subject's recordings given to a fitting function
  (:class:`myoreflex.fit.StretchFitter` for ``myoreflex cohort fit``).

Subjects come as rows (dicts): from :func:`read_manifest` (a CSV file), from
:func:`myoreflex.cohort_population.sample_population`, or built by hand.

Manifest
--------
A CSV file with a ``subject`` column (unique ids) and either

- ``file``: a recording per subject, or for :func:`cohort_fit` several separated by ``;``
  (``s01_30.csv;s01_90.csv;s01_180.csv``); relative paths are resolved against the manifest's
  folder; a missing or unreadable file is an error in that subject's row, not for the run; or
- ``condition, severity, body_mass_kg, height_m``: a virtual subject (condition from
  :data:`myoreflex.conditions.CONDITIONS`, severity in [0, 1], body mass in kg, height in m).

Optional columns: ``seed`` (an integer, recorded as provenance) and, for virtual subjects, any
dotted parameter path (``motoneuron.gain``; see ``myoreflex params``), which overrides that
parameter for the row after the condition is applied (an empty cell keeps the preset). Other
columns are carried into the results unchanged. A malformed manifest raises
:class:`~myoreflex.errors.ParameterError` naming the file, row, column and what was expected.

How a run goes
--------------
1. The rows are split into balanced chunks of at most ``chunk_size`` subjects. Every chunk has the
   same batch shape (the last one is padded by repeating its last subject, whose copies are
   dropped), so one compilation serves the whole cohort.
2. Each chunk is one task. For ``simulate``: the chunk's parameter sets are built as one batch
   (:func:`build_params`), simulated in one batched call (:func:`myoreflex.simulate.simulate`,
   ``throw=False``) and every member is measured. Without a scheduler the tasks run in this
   process; with ``scheduler="local"`` (a ``distributed.LocalCluster`` of two single-threaded worker
   processes) or a scheduler address they are Dask tasks and their rows come back to this process.
3. This process writes each finished chunk to ``<out>.parts/chunk-<i>-<key>.json`` (a temporary
   name, then a rename). The key is a SHA-256 of the chunk's rows (and, for recordings, each file's
   size and modification time), the settings and the myoreflex version. A run restarted with the
   same arguments after an interruption (even ``kill -9``) reuses every finished chunk and
   computes only the rest.
4. The table is assembled in manifest order and written atomically (``.csv`` or ``.parquet``,
   :func:`myoreflex.io.results.write_table`), then a provenance record beside it
   (``<out>.provenance.json``). The parts folder is then removed unless ``keep_parts=True``.

Result columns
--------------
The input columns; ``status``: ``OK``, ``NONFINITE`` (the simulation produced NaN or inf) or
``ERROR`` (reading, measuring or fitting raised; the message is in ``error``); the measures
(:class:`~myoreflex.measures.pendulum.PendulumMetrics` or
:class:`~myoreflex.measures.stretch.StretchSummary` fields, units in their names); and the
provenance columns ``myoreflex_version``, ``protocol``, ``dt_s`` (simulation step, or a
recording's sampling interval) and ``seed``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np

from myoreflex import __version__
from myoreflex.cohort_population import sample_population
from myoreflex.conditions import CONDITIONS
from myoreflex.errors import (
    NotSupported,
    ParameterError,
    ProtocolError,
    RecordingError,
    Status,
    describe,
    require_extra,
)
from myoreflex.io.results import file_mode
from myoreflex.model import JOINTS, default_params
from myoreflex.params import get_param, parameter_table, with_overrides
from myoreflex.protocols.pendulum import PendulumTest
from myoreflex.protocols.stretch import MotorizedStretch
from myoreflex.simulate import simulate
from myoreflex.units import DEG

__all__ = [
    "BODY_MASS_RANGE_KG",
    "HEIGHT_RANGE_M",
    "PROTOCOLS",
    "CohortResult",
    "build_params",
    "cohort_assess",
    "cohort_fit",
    "cohort_simulate",
    "read_manifest",
    "read_results",
    "sample_population",
    "validate_rows",
]

VIRTUAL_COLUMNS = ("condition", "severity", "body_mass_kg", "height_m")
BODY_MASS_RANGE_KG = (20.0, 250.0)
"""Accepted body mass (kg): any adult or child; catches pounds and grams."""
HEIGHT_RANGE_M = (1.0, 2.3)
"""Accepted height (m): catches centimetres and inches."""
STATUS_ERROR = "ERROR"
FILE_SEPARATOR = ";"
"""Separates the recordings of one subject in a manifest's ``file`` cell (:func:`cohort_fit`)."""
PROVENANCE_COLUMNS = ("myoreflex_version", "protocol", "dt_s", "seed")
ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: subjects finished (reused chunks included) and the cohort size."""


# ---------------------------------------------------------------------------------------------
# Protocols: what to simulate, what to record, how to measure


def _measure_pendulum(trial) -> dict:
    from myoreflex.measures.pendulum import measure

    values = measure(trial).as_dict()
    values.pop("method")
    return values


def _measure_stretch(trial) -> dict:
    from myoreflex.measures.stretch import summarize

    return dataclasses.asdict(summarize(trial))


@dataclasses.dataclass(frozen=True)
class ProtocolSpec:
    """A protocol the cohort can run: its class, the channels it records and its measure."""

    name: str
    protocol: type
    record: tuple[str, ...]
    measure: Callable
    reference: str
    record_interval_s: float | None = None  # sampling interval of the measured channels; None: every step


PROTOCOLS: dict[str, ProtocolSpec] = {
    "pendulum": ProtocolSpec(
        "pendulum", PendulumTest, ("angle", "angular_velocity"), _measure_pendulum,
        "myoreflex.measures.pendulum: ANCHORS 4.1, Bajd & Bowman 1982",
        record_interval_s=0.01,  # 100 Hz, a goniometer's rate; the swing lasts seconds
    ),
    "motorized_stretch": ProtocolSpec(
        "motorized_stretch", MotorizedStretch, ("angle", "angular_velocity", "torque", "emg"),
        _measure_stretch,
        "myoreflex.measures.stretch: peak torque, EMG onset angle (DSRT, Levin & Feldman 1994)",
        record_interval_s=None,  # EMG onset to the step
    ),
}
_ALIASES = {"stretch": "motorized_stretch"}


def _protocol_name(protocol) -> str:
    for name, spec in PROTOCOLS.items():
        if isinstance(protocol, spec.protocol):
            return name
    if isinstance(protocol, str) and _ALIASES.get(protocol, protocol) in PROTOCOLS:
        return _ALIASES.get(protocol, protocol)
    raise ProtocolError(describe("protocol", f"one of {', '.join(PROTOCOLS)} or an instance of "
                                 "PendulumTest / MotorizedStretch", repr(protocol)))


def _protocol_instance(protocol):
    """A protocol object for simulation: ``"pendulum"`` means ``PendulumTest()`` (10 s)."""
    name = _protocol_name(protocol)
    if not isinstance(protocol, str):
        return protocol
    if name == "pendulum":
        return PendulumTest()
    raise ProtocolError(describe("protocol", "a MotorizedStretch(velocity=...) instance for a simulated "
                                 "stretch", repr(protocol), "the stretch velocity has no default"))


def _protocol_record(protocol) -> dict:
    if isinstance(protocol, str):
        return {"name": _protocol_name(protocol)}
    return {"name": _protocol_name(protocol), **dataclasses.asdict(protocol)}


def _trial_metadata(protocol, subject: str) -> dict:
    meta = {"source": f"subject {subject}", "subject": subject, "protocol": _protocol_name(protocol)}
    if isinstance(protocol, MotorizedStretch):
        meta.update(velocity_deg_s=protocol.velocity / DEG, stretch_onset_s=protocol.rest_before)
    return meta


# ---------------------------------------------------------------------------------------------
# Manifests and row validation


def _override_paths(columns) -> list[str]:
    return [c for c in columns if "." in c]


def _parameter_bounds(joint: str) -> dict[str, tuple[tuple[float, float], str]]:
    return {row.path: (row.bounds, row.unit) for row in parameter_table(default_params(joint))}


def _number(value, where: str, expected: str, *, low=-math.inf, high=math.inf) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(describe(where, expected, repr(value))) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ParameterError(describe(where, expected, repr(value)))
    return number


def validate_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    source: str = "rows",
    base: str | Path | None = None,
    joint: str = "knee",
    first_line: int | None = None,
) -> list[dict]:
    """Check cohort rows and return normalised copies (numbers as float, ``seed`` as int).

    Parameters
    ----------
    rows : dicts with ``subject`` and either ``file`` or ``condition, severity, body_mass_kg,
        height_m`` (see the module doc).
    source : name used in error messages (the manifest's file name).
    base : folder against which relative ``file`` paths are resolved (default: the working folder).
    joint : joint whose parameter table checks override columns.
    first_line : the file line of the first row (error messages then also give the line).

    Raises
    ------
    ParameterError naming the source, the row (1 = first data row), the column and what was
    expected.
    """
    if joint not in JOINTS:
        raise ParameterError(describe("joint", f"one of {', '.join(JOINTS)}", repr(joint)))
    rows = [dict(row) for row in rows]
    if not rows:
        raise ParameterError(describe(f"`{source}`", "at least one subject row", "none"))
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    if "subject" not in columns:
        raise ParameterError(describe(f"`{source}`", "a `subject` column", f"columns {columns}"))
    recordings = "file" in columns
    if not recordings:
        missing = [c for c in VIRTUAL_COLUMNS if c not in columns]
        if missing:
            raise ParameterError(describe(
                f"`{source}`", "a `file` column (recordings) or the columns "
                + ", ".join(f"`{c}`" for c in VIRTUAL_COLUMNS) + " (virtual subjects)",
                f"columns {columns}", f"missing {', '.join(missing)}"))
    overrides = _override_paths(columns) if not recordings else []
    bounds = _parameter_bounds(joint) if overrides else {}
    for path in overrides:
        if path not in bounds:
            get_param(default_params(joint), path)  # raises with close matches
    base = Path(base) if base is not None else None
    seen: dict[str, int] = {}
    out = []
    for number, row in enumerate(rows, start=1):
        line = f" (line {first_line + number - 1})" if first_line is not None else ""

        def where(column, number=number, line=line):
            return f"`{source}`, row {number}{line}, column `{column}`"

        subject = row.get("subject")
        subject = "" if subject is None else str(subject).strip()
        if not subject:
            raise ParameterError(describe(where("subject"), "a non-empty subject id",
                                          repr(row.get("subject"))))
        if subject in seen:
            raise ParameterError(describe(where("subject"), "a unique subject id",
                                          f"{subject!r}, already in row {seen[subject]}"))
        seen[subject] = number
        clean = {**row, "subject": subject}
        if recordings:
            file = row.get("file")
            names = [] if file is None else [name.strip() for name in str(file).split(FILE_SEPARATOR)]
            if not names or not all(names):
                raise ParameterError(describe(where("file"), "a recording path, or several separated by `;`",
                                              repr(file)))
            paths = [Path(name).expanduser() for name in names]
            if base is not None:
                paths = [path if path.is_absolute() else base / path for path in paths]
            clean["file"] = FILE_SEPARATOR.join(str(path) for path in paths)
        else:
            condition = row.get("condition")
            if condition not in CONDITIONS:
                raise ParameterError(describe(where("condition"), f"one of {', '.join(CONDITIONS)}",
                                              repr(condition)))
            clean["severity"] = _number(row.get("severity"), where("severity"), "a number in [0, 1]",
                                        low=0.0, high=1.0)
            low, high = BODY_MASS_RANGE_KG
            clean["body_mass_kg"] = _number(row.get("body_mass_kg"), where("body_mass_kg"),
                                            f"a body mass in kg in [{low:g}, {high:g}]", low=low, high=high)
            low, high = HEIGHT_RANGE_M
            clean["height_m"] = _number(row.get("height_m"), where("height_m"),
                                        f"a height in m in [{low:g}, {high:g}]", low=low, high=high)
            for path in overrides:
                value = row.get(path)
                if value is None or (isinstance(value, str) and not value.strip()):
                    clean[path] = None
                    continue
                (low, high), unit = bounds[path]
                clean[path] = _number(value, where(path), f"a value in [{low:g}, {high:g}] {unit}",
                                      low=low, high=high)
        seed = row.get("seed")
        if seed is None or (isinstance(seed, str) and not seed.strip()):
            clean["seed"] = None
        else:
            try:
                value = float(seed)
                if not (value.is_integer() and value >= 0):
                    raise ValueError
                clean["seed"] = int(value)
            except (TypeError, ValueError):
                raise ParameterError(describe(where("seed"), "an integer >= 0", repr(seed))) from None
        out.append(clean)
    return out


def read_manifest(path: str | Path, *, joint: str = "knee") -> list[dict]:
    """Read and validate a cohort manifest CSV (see the module doc); relative files resolve beside it.

    Examples
    --------
    >>> rows = read_manifest("cohort.csv")  # doctest: +SKIP
    >>> rows[0]["subject"], rows[0]["condition"]  # doctest: +SKIP
    ('virtual-000000', 'stroke')
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(describe(f"manifest `{path}`", "an existing CSV file", "no such file"))
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            header = reader.fieldnames
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ParameterError(describe(f"manifest `{path.name}`", "a UTF-8 CSV file", type(exc).__name__,
                                      str(exc))) from None
    if not header:
        raise ParameterError(describe(f"manifest `{path.name}`", "a header line with a `subject` column",
                                      "an empty file"))
    header = [name.strip() for name in header]
    if len(set(header)) != len(header) or "" in header:
        raise ParameterError(describe(f"manifest `{path.name}`, header", "unique, non-empty column names",
                                      header))
    clean = []
    for number, row in enumerate(rows, start=1):
        if None in row:  # more cells than header names
            raise ParameterError(describe(f"`{path.name}`, row {number} (line {number + 1})",
                                          f"{len(header)} cells like the header",
                                          f"{len(header) + len(row[None])}"))
        clean.append({name.strip(): (value.strip() if isinstance(value, str) else value)
                      for name, value in row.items()})
    if not clean:
        raise ParameterError(describe(f"manifest `{path.name}`", "at least one subject row", "a header only"))
    return validate_rows(clean, source=path.name, base=path.parent, joint=joint, first_line=2)


def _as_rows(rows, joint: str) -> list[dict]:
    if isinstance(rows, (str, os.PathLike)):
        return read_manifest(rows, joint=joint)
    return validate_rows(rows, joint=joint)


# ---------------------------------------------------------------------------------------------
# Parameters for a batch of virtual subjects


def build_params(rows: Sequence[Mapping[str, Any]], *, joint: str = "knee"):
    """One batched parameter tree (leading axis = subject) for validated virtual-subject rows.

    Each subject starts from ``default_params(joint, body_mass=, height=)``; the subjects' named
    conditions are then applied to the whole batch at once, each member at its own severity
    (members of other conditions are left exactly as they are), and finally the rows' dotted-path
    overrides. The result equals ``stack_params([apply_condition(default_params(...), c, s), ...])``
    (tested), without a tree rebuild per subject.
    """
    trees = [default_params(joint, body_mass=float(r["body_mass_kg"]), height=float(r["height_m"]))
             for r in rows]
    batch = jax.tree_util.tree_map(lambda *leaves: np.asarray(leaves, dtype=float), *trees)
    names = np.array([r["condition"] for r in rows])
    severity = np.array([float(r["severity"]) for r in rows])
    for name in dict.fromkeys(names.tolist()):
        mask = names == name
        changes = CONDITIONS[name].changes
        if not changes:
            continue
        weights = np.where(mask, severity, 0.0)
        overrides = {}
        for change in changes:
            value = np.asarray(get_param(batch, change.path))
            overrides[change.path] = np.where(mask, change.apply(value, weights), value)
        batch = with_overrides(batch, overrides, check=False)
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in _override_paths(row) if key not in columns)
    overrides = {}
    for path in columns:
        given = np.array([np.nan if r.get(path) is None else float(r[path]) for r in rows])
        value = np.asarray(get_param(batch, path))
        overrides[path] = np.where(np.isnan(given), value, given)
    return with_overrides(batch, overrides)


# ---------------------------------------------------------------------------------------------
# Tasks: one chunk of subjects in, one row per subject out (pure; run here or on a Dask worker)


@dataclasses.dataclass(frozen=True)
class _Task:
    kind: str  # "simulate" | "assess" | "fit"
    protocol: Any  # a protocol instance (simulate) or a protocol name (assess); None for fit
    joint: str = "knee"
    dt: float | None = None
    record_every: int = 1
    batch: int = 0  # padded chunk length (simulate)
    reader_options: tuple = ()
    fitter: Any = None

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


def _drive(protocol, joint: str):
    """The protocol's Drive: a pendulum test is always at the knee, a stretch at ``joint``."""
    return protocol.drive() if isinstance(protocol, PendulumTest) else protocol.drive(joint)


def _simulate_chunk(task: _Task, rows: list[dict]) -> list[dict]:
    spec = PROTOCOLS[_protocol_name(task.protocol)]
    padded = list(rows) + [rows[-1]] * max(0, task.batch - len(rows))
    params = build_params(padded, joint=task.joint)
    batch = simulate(params, _drive(task.protocol, task.joint), dt=task.dt, record=spec.record,
                     record_every=task.record_every, throw=False)
    results = []
    for i, row in enumerate(rows):
        status = Status(int(batch.status[i]))
        values: dict[str, Any] = {}
        if status is not Status.OK:
            outcome, error = status.name, describe("simulation", "finite values", "NaN or inf",
                                                   "check the row's parameters or reduce dt")
        else:
            try:
                values = spec.measure(batch.trial(i, _trial_metadata(task.protocol, row["subject"])))
                outcome, error = Status.OK.name, ""
            except Exception as exc:  # one subject's failure is data, not the run's
                outcome, error = STATUS_ERROR, _error_text(exc)
        results.append(_result_row(row, outcome, error, values, protocol=spec.name, dt=task.dt))
    return results


def _files(row: Mapping[str, Any]) -> list[str]:
    return str(row["file"]).split(FILE_SEPARATOR)


def _read_all(row: Mapping[str, Any], options: dict) -> list:
    """Every Trial of a row's recordings (all segments of a multi-segment file)."""
    from myoreflex.io import read_trial

    trials = []
    for path in _files(row):
        got = read_trial(path, **options)
        trials.extend(got if isinstance(got, list) else [got])
    return trials


def _read_one(row: Mapping[str, Any], options: dict):
    trials = _read_all(row, options)
    if len(trials) != 1:
        names = ", ".join(f"`{Path(path).name}`" for path in _files(row))
        raise RecordingError(describe(names, "one recording (one file, one segment) per subject",
                                      f"{len(trials)} recordings"))
    return trials[0]


def _sampling_interval(trial) -> float:
    return float(np.median(np.diff(trial.time)))


def _file_chunk(task: _Task, rows: list[dict]) -> list[dict]:
    options = dict(task.reader_options)
    spec = PROTOCOLS[_protocol_name(task.protocol)] if task.protocol is not None else None
    results = []
    for row in rows:
        values: dict[str, Any] = {}
        dt = None
        try:
            if task.kind == "assess":
                trial = _read_one(row, options)
                dt = _sampling_interval(trial)
                values = spec.measure(trial)
            else:
                trials = _read_all(row, options)
                dt = _sampling_interval(trials[0])
                values = dict(task.fitter(trials, dict(row)))
            outcome, error = Status.OK.name, ""
        except Exception as exc:  # a bad file is reported in its row, not fatal
            outcome, error = STATUS_ERROR, _error_text(exc)
        results.append(_result_row(row, outcome, error, values, protocol=spec.name if spec else None, dt=dt))
    return results


def _run_task(task: _Task, rows: list[dict]) -> list[dict]:
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


def _chunk_key(task: _Task, settings: dict, rows: list[dict]) -> str:
    if task.kind == "simulate":
        return _digest({"settings": settings, "rows": rows, "files": None})
    stamps = [[_file_stamp(path) for path in _files(row)] for row in rows]
    return _digest({"settings": settings, "rows": rows, "files": stamps})


def _write_json_atomic(value, path: Path) -> Path:
    """Write JSON to ``path`` through a temporary file in the same folder and a rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(value, stream, default=str)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


def _load_part(path: Path, key: str) -> list[dict] | None:
    try:
        with open(path) as stream:
            part = json.load(stream)
    except (OSError, ValueError):
        return None
    return part["rows"] if isinstance(part, dict) and part.get("key") == key else None


def _check_out(out) -> Path:
    if out is None:
        raise ParameterError(describe("out", "a .csv or .parquet path for the results", None))
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise NotSupported(describe(f"results table `{out.name}`", "a .csv or .parquet file", repr(suffix)))
    if suffix == ".parquet":
        require_extra("pyarrow", "parquet")
    return out


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

        def close():
            client.close()
            cluster.close()

        return client, close, "LocalCluster(n_workers=2, threads_per_worker=1, processes=True)"
    if isinstance(scheduler, str) and scheduler:
        client = distributed.Client(scheduler)
        return client, client.close, f"scheduler {scheduler}"
    raise ParameterError(describe("scheduler", 'None (this process), "local" (a LocalCluster), a scheduler '
                                  "address such as tcp://host:8786, or a distributed.Client",
                                  repr(scheduler)))


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


def _run(
    rows: list[dict],
    task: _Task,
    *,
    out,
    chunk_size: int,
    scheduler,
    progress: ProgressCallback | None,
    keep_parts: bool,
) -> CohortResult:
    start = time.perf_counter()
    out = _check_out(out)
    if not (scheduler is None or (isinstance(scheduler, str) and scheduler) or hasattr(scheduler, "submit")):
        _connect(scheduler)  # raises the message listing the choices
    chunks = _chunks(rows, chunk_size)
    if task.kind == "simulate":
        task = dataclasses.replace(task, batch=len(chunks[0]))
    settings = task.describe()
    keys = [_chunk_key(task, settings, chunk) for chunk in chunks]
    parts = out.parent / f"{out.name}.parts"
    parts.mkdir(parents=True, exist_ok=True)
    for leftover in parts.glob(".chunk-*.tmp"):  # a temporary file of a killed run: never a result
        leftover.unlink(missing_ok=True)
    names = [parts / f"chunk-{i:05d}-{key[:16]}.json" for i, key in enumerate(keys)]
    results: dict[int, list[dict]] = {}
    for i, (name, key) in enumerate(zip(names, keys)):
        if name.exists() and (loaded := _load_part(name, key)) is not None:
            results[i] = loaded
    reused = len(results)
    total = len(rows)
    done = sum(len(chunks[i]) for i in results)
    if progress is not None:
        progress(done, total)
    pending = [i for i in range(len(chunks)) if i not in results]

    def finish(i: int, chunk_rows: list[dict]):
        nonlocal done
        _write_json_atomic({"key": keys[i], "chunk": i, "rows": chunk_rows}, names[i])
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

    provenance_path = out.with_name(out.name + ".provenance.json")
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
                        n_chunks=len(chunks), computed_chunks=len(pending), reused_chunks=reused, wall_s=wall)


# ---------------------------------------------------------------------------------------------
# The verbs


def cohort_simulate(
    rows: Sequence[Mapping[str, Any]] | str | os.PathLike,
    *,
    out: str | os.PathLike,
    protocol: str | PendulumTest | MotorizedStretch = "pendulum",
    joint: str = "knee",
    dt: float | None = None,
    record_every: int | None = None,
    chunk_size: int = 250,
    scheduler=None,
    progress: ProgressCallback | None = None,
    keep_parts: bool = False,
) -> CohortResult:
    """Simulate a protocol on every virtual subject and measure it; one results row per subject.

    Parameters
    ----------
    rows : virtual-subject rows (``subject, condition, severity, body_mass_kg, height_m``; from
        :func:`sample_population` or by hand) or the path of a manifest CSV.
    out : results table, ``.parquet`` (``parquet`` extra) or ``.csv``; the provenance record goes to
        ``<out>.provenance.json`` and unfinished work to ``<out>.parts/``.
    protocol : ``"pendulum"`` (``PendulumTest()``, 10 s), a :class:`PendulumTest` or a
        :class:`MotorizedStretch` instance.
    joint : the joint of every subject (a pendulum test needs the knee).
    dt : integration step in s; None: the protocol's own (pendulum 8 ms, stretch 1 ms).
    record_every : keep every k-th step for the measures; None: the protocol's choice (pendulum
        100 Hz like a goniometer, which keeps memory small in large chunks; stretch every step,
        for the EMG onset).
    chunk_size : most subjects per batched simulation; chunks are balanced to one shape.
    scheduler : None (this process), ``"local"`` (a ``distributed.LocalCluster`` of 2 worker
        processes with 1 thread each; ``cluster`` extra), a scheduler address
        (``"tcp://host:8786"``) or a ``distributed.Client``. Results are the same for every choice.
    progress : ``progress(done, total)`` in subjects, called after each chunk (and once at the start).
    keep_parts : keep the per-chunk files after the table is written.

    Returns
    -------
    CohortResult (paths, status counts, chunks computed and reused, wall time).

    Notes
    -----
    A subject whose simulation produces NaN or inf gets ``status = "NONFINITE"`` in its row
    (``throw=False``); one whose measure fails gets ``"ERROR"`` and the message. Neither stops the
    run. Interrupted runs resume (module doc).

    Examples
    --------
    >>> rows = sample_population(4, seed=0)
    >>> short = PendulumTest(duration=3.0)
    >>> result = cohort_simulate(rows, out="cohort.parquet", protocol=short)  # doctest: +SKIP
    >>> result.status_counts  # doctest: +SKIP
    {'OK': 4}
    """
    rows = _as_rows(rows, joint)
    if any("file" in row for row in rows):
        raise ParameterError(describe("cohort simulate rows", "virtual subjects (condition, severity, "
                                      "body_mass_kg, height_m)", "recordings (a `file` column)",
                                      "use cohort_assess for recordings"))
    instance = _protocol_instance(protocol)
    if isinstance(instance, PendulumTest) and joint != "knee":
        raise ProtocolError(describe("pendulum test joint", "knee", joint))
    drive = _drive(instance, joint)  # also checks the protocol's settings before any chunk runs
    dt = drive.step if dt is None else dt
    if not dt > 0:
        raise ProtocolError(describe("dt", "a step > 0 s", dt))
    if record_every is None:
        interval = PROTOCOLS[_protocol_name(instance)].record_interval_s
        record_every = 1 if interval is None else max(1, int(round(interval / dt)))
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ParameterError(describe("record_every", "an integer >= 1", repr(record_every)))
    task = _Task("simulate", instance, joint=joint, dt=float(dt), record_every=int(record_every))
    return _run(rows, task, out=out, chunk_size=chunk_size, scheduler=scheduler, progress=progress,
                keep_parts=keep_parts)


def _file_rows(rows, kind: str) -> list[dict]:
    rows = _as_rows(rows, "knee")
    if not all("file" in row for row in rows):
        raise ParameterError(describe(f"cohort {kind} rows", "recordings (a `file` column)",
                                      "virtual subjects",
                                      "use cohort_simulate for virtual subjects"))
    return rows


def cohort_assess(
    rows: Sequence[Mapping[str, Any]] | str | os.PathLike,
    *,
    out: str | os.PathLike,
    protocol: str = "pendulum",
    reader_options: Mapping[str, Any] | None = None,
    chunk_size: int = 50,
    scheduler=None,
    progress: ProgressCallback | None = None,
    keep_parts: bool = False,
) -> CohortResult:
    """Measure every subject's recording (one file per subject); one results row per subject.

    Parameters
    ----------
    rows : rows with ``subject`` and ``file`` or the path of a manifest CSV (relative files are
        resolved beside it).
    out : results table (``.parquet`` or ``.csv``), as in :func:`cohort_simulate`.
    protocol : which measure: ``"pendulum"`` or ``"stretch"``.
    reader_options : keyword arguments for :func:`myoreflex.io.read_trial` (e.g. ``angle_sign``).
    chunk_size, scheduler, progress, keep_parts : as in :func:`cohort_simulate`. On a cluster the
        files must be readable by the workers at the same paths.

    Returns
    -------
    CohortResult. A file that is missing, unreadable or cannot be measured gives a row with
    ``status = "ERROR"`` and the message in ``error``; the run goes on.
    """
    rows = _file_rows(rows, "assess")
    name = _protocol_name(protocol)
    task = _Task("assess", name, reader_options=tuple(sorted((reader_options or {}).items())))
    return _run(rows, task, out=out, chunk_size=chunk_size, scheduler=scheduler, progress=progress,
                keep_parts=keep_parts)


def cohort_fit(
    rows: Sequence[Mapping[str, Any]] | str | os.PathLike,
    *,
    out: str | os.PathLike,
    fitter: Callable[[Any, dict], Mapping[str, Any]],
    reader_options: Mapping[str, Any] | None = None,
    chunk_size: int = 10,
    scheduler=None,
    progress: ProgressCallback | None = None,
    keep_parts: bool = False,
) -> CohortResult:
    """Fit every subject's recordings with ``fitter(trials, row) -> {column: value}``.

    ``fitter`` is any function of the subject's :class:`~myoreflex.trial.Trial` list (one per
    file of its ``file`` cell, every segment of a multi-segment file) and its row that returns
    flat result columns (e.g. ``{"gain": ..., "gain_ci95_low": ..., "converged": ...}``), such
    as :class:`myoreflex.fit.StretchFitter`. On a cluster it must be importable by the workers (a
    module-level function or a frozen dataclass instance). A dataclass fitter's fields are its
    settings: they enter the resume key and the provenance, so changing one recomputes every
    chunk. Everything else (chunks, resume, Dask, per-row errors) is as in :func:`cohort_assess`.

    Examples
    --------
    >>> from myoreflex.fit import StretchFitter
    >>> result = cohort_fit("stretches.csv", out="fits.parquet",
    ...                     fitter=StretchFitter(joint="elbow"))  # doctest: +SKIP
    >>> result.status_counts  # doctest: +SKIP
    {'OK': 2}
    """
    if not callable(fitter):
        raise ParameterError(describe("fitter", "a function (trials, row) -> dict of result columns",
                                      repr(fitter)))
    rows = _file_rows(rows, "fit")
    task = _Task("fit", None, reader_options=tuple(sorted((reader_options or {}).items())), fitter=fitter)
    return _run(rows, task, out=out, chunk_size=chunk_size, scheduler=scheduler, progress=progress,
                keep_parts=keep_parts)


def read_results(path: str | os.PathLike) -> list[dict]:
    """Read a cohort results table back as rows (Parquet keeps types; CSV cells are strings)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        require_extra("pyarrow", "parquet")
        import pyarrow.parquet as parquet

        return parquet.read_table(path).to_pylist()
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))
