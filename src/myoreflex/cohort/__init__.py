"""Cohorts: many subjects through simulate, assess or fit, on one machine or on a Dask cluster.

Three verbs share one engine:

- :func:`cohort_simulate`: virtual subjects (condition, severity, body) run through a virtual test
  and measured, like a recording would be;
- :func:`cohort_assess`: recordings, one file per subject, measured;
- :func:`cohort_fit`: recordings, one or several files per subject (e.g. one stretch per
  velocity), each subject's recordings given to a fitting function
  (:class:`myoreflex.cohort.StretchFitter` for ``myoreflex cohort fit``).

Subjects come as rows (dicts): from :func:`read_manifest` (a CSV file), from
:func:`myoreflex.cohort.population.sample_population`, or built by hand.

Manifest
--------
A CSV file with a ``subject`` column (unique ids) and either

- ``file``: a recording per subject, or for :func:`cohort_fit` several separated by ``;``
  (``s01_30.csv;s01_90.csv;s01_180.csv``); relative paths are resolved against the manifest's
  folder and must stay inside it (``../`` or an absolute path elsewhere is an error in that row,
  naming the path, unless ``allow_outside=True``); a missing or unreadable file is an error in that
  subject's row, not for the run; or
- ``condition, severity, body_mass_kg, height_m``: a virtual subject (condition from
  :data:`myoreflex.conditions.CONDITIONS`, severity in [0, 1], body mass in kg, height in m).

Optional columns: ``seed`` (an integer, recorded as provenance) and, for virtual subjects, any
dotted parameter path (``motoneuron.gain``; see ``myoreflex params``), which overrides that
parameter for the row after the condition is applied (an empty cell keeps the preset). Other
columns are carried into the results unchanged. A malformed manifest raises
:class:`~myoreflex.errors.ParameterError` naming the file, row, column and what was expected.

How a run goes
--------------
0. Before any work: the manifest's columns (a model-variant column such as ``spindle_model``, or
   a structural parameter, is refused), the protocol, the scheduler (None, ``"local"``, an address
   or a ``distributed.Client``) and the output are checked. ``out`` must be a ``.csv`` or
   ``.parquet`` path in an existing, writable folder, not a directory and not one of the inputs
   (the manifest, every recording): :func:`myoreflex.io.results.check_output`. Rows read from a
   manifest (a path, or the :class:`Manifest` :func:`read_manifest` returns) know its file, so
   ``cohort_simulate(read_manifest("m.csv"), out="m.csv")`` stops there too.
1. The rows are split into balanced chunks of at most ``chunk_size`` subjects. Every chunk has the
   same batch shape (the last one is padded by repeating its last subject, whose copies are
   dropped), so one compilation serves the whole cohort.
2. Each chunk is one task. For ``simulate``: the chunk's parameter sets are built as one batch
   (:func:`build_params`), simulated in one batched call (:func:`myoreflex.simulate_batch`,
   recording only the channels the protocol's measure needs, ``protocol.measured``) and every
   member is measured by the protocol's measure (``protocol.measure``). Without a scheduler the tasks run in this
   process; with ``scheduler="local"`` (a ``distributed.LocalCluster`` of two single-threaded worker
   processes) or a scheduler address they are Dask tasks and their rows come back to this process.
3. This process writes each finished chunk to ``<out>.parts/chunk-<i>-<key>.json`` (a temporary
   name, then a rename). The key is a SHA-256 of the chunk's rows (and, for recordings, each file's
   size and modification time), the settings and the myoreflex version. Each part also records
   its row count and a SHA-256 of its rows; a run restarted with the same arguments after an
   interruption (even ``kill -9``) reuses every finished chunk whose part matches its key, its
   subjects, its row count and its checksum, and computes the rest (a part that does not match
   is recomputed, never trusted; ``CohortResult.rejected_chunks`` counts them). Temporary files
   a killed run left (``.chunk-*.tmp``, ``.<table>-*``) are removed.
4. The table is assembled in manifest order and written atomically (``.csv`` or ``.parquet``,
   :func:`myoreflex.io.results.write_table`), then a provenance record beside it
   (``<out>.provenance.json``). The parts folder is then removed unless ``keep_parts=True``. A
   full disk or a permission error during a write is one :class:`~myoreflex.errors.OutputError`
   line, nothing is half-written, and the rerun resumes. CSV text cells that a spreadsheet would
   run as a formula (``=``, ``+``, ``-``, ``@``) are written with a leading quote;
   :func:`read_results` removes it.

Result columns
--------------
The input columns; ``status``: ``OK``, ``NONFINITE`` (the simulation produced NaN or inf) or
``ERROR`` (reading, measuring or fitting raised; the message is in ``error``); the fields of
the protocol's measure record (``protocol.measure(trial).as_dict()``, units in their names); and the
provenance columns ``myoreflex_version``, ``protocol``, ``dt_s`` (simulation step, or a
recording's sampling interval) and ``seed``.

The package: :mod:`~myoreflex.cohort.manifest` (rows, checks, batched parameters),
:mod:`~myoreflex.cohort.engine` (chunks, resume, Dask, assembly),
:mod:`~myoreflex.cohort.population` (virtual populations) and this module's verbs.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.cohort.engine import (
    CohortResult,
    ProgressCallback,
    Task,
    protocol_instance,
    protocol_name,
    run,
)
from myoreflex.cohort.fitters import PendulumFitter, StretchFitter
from myoreflex.cohort.manifest import (
    FILE_SEPARATOR,
    Manifest,
    as_rows,
    build_params,
    read_manifest,
    validate_rows,
)
from myoreflex.cohort.population import sample_population
from myoreflex.cohort.tables import read_table
from myoreflex.cohort.trial import TrialResult, cohort_trial, trial_figure
from myoreflex.errors import ParameterError, ProtocolError, describe, require_extra
from myoreflex.io.results import unescape_cell
from myoreflex.protocols import Protocol

__all__ = [
    "CohortResult",
    "Manifest",
    "PendulumFitter",
    "StretchFitter",
    "TrialResult",
    "build_params",
    "cohort_assess",
    "cohort_fit",
    "cohort_simulate",
    "cohort_trial",
    "read_manifest",
    "read_results",
    "read_table",
    "sample_population",
    "trial_figure",
    "validate_rows",
]


def cohort_simulate(
    rows: Sequence[Mapping[str, Any]] | str | os.PathLike,
    *,
    out: str | os.PathLike,
    protocol: str | Protocol = "pendulum",
    joint: str = "knee",
    dt: float | None = None,
    record_every: int | None = None,
    chunk_size: int = 250,
    scheduler=None,
    progress: ProgressCallback | None = None,
    keep_parts: bool = False,
    lenient: bool = False,
) -> CohortResult:
    """Simulate a protocol on every virtual subject and measure it; one results row per subject.

    Parameters
    ----------
    rows : virtual-subject rows (``subject, condition, severity, body_mass_kg, height_m``; from
        :func:`sample_population` or by hand) or the path of a manifest CSV.
    out : results table, ``.parquet`` (``parquet`` extra) or ``.csv``; the provenance record goes to
        ``<out>.provenance.json`` and unfinished work to ``<out>.parts/``.
    protocol : a protocol instance (``PendulumTest(duration=3.0)``,
        ``MotorizedStretch(velocity=100 * DEG)``) or the name of one in
        :data:`myoreflex.protocols.PROTOCOLS` with its default settings (``"pendulum"``: 20 s).
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
    lenient : measure a subject whose trial fails a quality gate of the protocol's measure (a leg
        still swinging at the end of a pendulum test) and name the gate in its ``warnings`` column;
        by default such a subject gets an ``ERROR`` row naming the gate.

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
    >>> import tempfile
    >>> from myoreflex import PendulumTest
    >>> rows = sample_population(4, seed=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     result = cohort_simulate(rows, out=f"{folder}/cohort.csv", protocol=PendulumTest(duration=10.0))
    ...     columns = list(read_results(result.table)[0])
    >>> result.n_subjects, sum(result.status_counts.values()), columns[:2], "r1" in columns
    (4, 4, ['subject', 'condition'], True)

    A subject whose leg still swings at the end of the test gets an ``ERROR`` row naming the
    pendulum's ``plateau_settled`` quality gate instead of a number (``lenient=True``: its numbers,
    the gate named in ``warnings``).
    """
    lenient = _check_flag("lenient", lenient)
    rows = as_rows(rows, joint)
    if any("file" in row for row in rows):
        raise ParameterError(describe("cohort simulate rows", "virtual subjects (condition, severity, "
                                      "body_mass_kg, height_m)", "recordings (a `file` column)",
                                      "use cohort_assess for recordings"))
    instance = protocol_instance(protocol)
    instance.drive(joint)  # checks the joint and the protocol's settings before any chunk runs
    dt = instance.default_dt if dt is None else dt
    if not dt > 0:
        raise ProtocolError(describe("dt", "a step > 0 s", dt))
    if record_every is None:
        interval = instance.measure_interval_s
        record_every = 1 if interval is None else max(1, int(round(interval / dt)))
    if isinstance(record_every, bool) or not isinstance(record_every, (int, np.integer)) or record_every < 1:
        raise ParameterError(describe("record_every", "an integer >= 1", repr(record_every)))
    task = Task("simulate", instance, joint=joint, dt=float(dt), record_every=int(record_every), lenient=lenient)
    return run(rows, task, out=out, chunk_size=chunk_size, scheduler=scheduler, progress=progress,
               keep_parts=keep_parts, inputs=_inputs(rows))


def _file_rows(rows, kind: str) -> list[dict]:
    rows = as_rows(rows, "knee")
    if not all("file" in row for row in rows):
        raise ParameterError(describe(f"cohort {kind} rows", "recordings (a `file` column)",
                                      "virtual subjects",
                                      "use cohort_simulate for virtual subjects"))
    return rows


def _inputs(rows) -> list[str]:
    """Every file a run reads: the manifest (when the rows came from one) and the recordings."""
    files = [str(rows.path)] if isinstance(rows, Manifest) else []
    for row in rows:
        if row.get("file"):
            files.extend(str(row["file"]).split(FILE_SEPARATOR))
    return files


def _root(rows) -> str | None:
    return str(rows.folder) if isinstance(rows, Manifest) else None


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(describe(name, "True or False", repr(value)))
    return value


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
    allow_outside: bool = False,
    lenient: bool = False,
) -> CohortResult:
    """Measure every subject's recording (one file per subject); one results row per subject.

    Parameters
    ----------
    rows : rows with ``subject`` and ``file`` or the path of a manifest CSV (relative files are
        resolved beside it).
    out : results table (``.parquet`` or ``.csv``), as in :func:`cohort_simulate`.
    protocol : whose measure reads the recordings: a name in :data:`myoreflex.protocols.PROTOCOLS`
        (``"pendulum"``, ``"stretch"``, ``"perturbation"``, ...).
    reader_options : keyword arguments for :func:`myoreflex.io.read_trial` (e.g. ``angle_sign``).
    chunk_size, scheduler, progress, keep_parts : as in :func:`cohort_simulate`. On a cluster the
        files must be readable by the workers at the same paths.
    allow_outside : read recordings outside the manifest's folder too (``../``, absolute paths
        elsewhere, links leading out); by default such a row is an error naming the path. Rows
        given by hand (not from a manifest file) are not restricted.
    lenient : measure a recording that fails a quality gate of the protocol's measure and name the
        gate in the row's ``warnings`` column (by default the row is an ``ERROR`` naming the gate).

    Returns
    -------
    CohortResult. A file that is missing, unreadable, outside the manifest's folder or cannot be
    measured gives a row with ``status = "ERROR"`` and the message in ``error``; the run goes on.
    """
    allow_outside, lenient = _check_flag("allow_outside", allow_outside), _check_flag("lenient", lenient)
    rows = _file_rows(rows, "assess")
    name = protocol_name(protocol)
    task = Task("assess", name, reader_options=tuple(sorted((reader_options or {}).items())), root=_root(rows),
                allow_outside=allow_outside, lenient=lenient)
    return run(rows, task, out=out, chunk_size=chunk_size, scheduler=scheduler, progress=progress,
               keep_parts=keep_parts, inputs=_inputs(rows))


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
    allow_outside: bool = False,
) -> CohortResult:
    """Fit every subject's recordings with ``fitter(trials, row) -> {column: value}``.

    ``fitter`` is any function of the subject's :class:`~myoreflex.trial.Trial` list (one per
    file of its ``file`` cell, every segment of a multi-segment file) and its row that returns
    flat result columns (e.g. ``{"gain": ..., "gain_ci95_low": ..., "converged": ...}``), such
    as :class:`myoreflex.cohort.StretchFitter`. On a cluster it must be importable by the workers (a
    module-level function or a frozen dataclass instance). A dataclass fitter's fields are its
    settings: they enter the resume key and the provenance, so changing one recomputes every
    chunk. Everything else (chunks, resume, Dask, per-row errors, ``allow_outside``) is as in
    :func:`cohort_assess`. A fitter with a ``check()`` method (:class:`myoreflex.cohort.StretchFitter`,
    :class:`~myoreflex.cohort.PendulumFitter`: their free parameters) is checked before any work.
    A recording that fails a quality gate is an ``ERROR`` row unless the fitter is lenient
    (``PendulumFitter(lenient=True)``: the fit, the gate named in the ``warnings`` column).

    Examples
    --------
    >>> from myoreflex.cohort import StretchFitter
    >>> result = cohort_fit("stretches.csv", out="fits.parquet",
    ...                     fitter=StretchFitter(joint="elbow"))  # doctest: +SKIP
    >>> result.status_counts  # doctest: +SKIP
    {'OK': 2}
    """
    if not callable(fitter):
        raise ParameterError(describe("fitter", "a function (trials, row) -> dict of result columns",
                                      repr(fitter)))
    allow_outside = _check_flag("allow_outside", allow_outside)
    rows = _file_rows(rows, "fit")
    if callable(getattr(fitter, "check", None)):
        fitter.check()
    task = Task("fit", None, reader_options=tuple(sorted((reader_options or {}).items())), fitter=fitter,
                root=_root(rows), allow_outside=allow_outside)
    return run(rows, task, out=out, chunk_size=chunk_size, scheduler=scheduler, progress=progress,
               keep_parts=keep_parts, inputs=_inputs(rows))


def read_results(path: str | os.PathLike) -> list[dict]:
    """Read a cohort results table back as rows (Parquet keeps types; CSV cells are strings, with
    the quote that guards text cells against formula injection removed, see
    :mod:`myoreflex.io.results`)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        require_extra("pyarrow", "parquet")
        import pyarrow.parquet as parquet

        return parquet.read_table(path).to_pylist()
    with open(path, newline="") as stream:
        return [{unescape_cell(key): unescape_cell(value) for key, value in row.items()}
                for row in csv.DictReader(stream)]
