"""Virtual trials: a treatment against control in a virtual population, with the effect and its interval.

:func:`cohort_trial` gives every enrolled virtual subject both arms: *control* (the subject's own
preset: body, condition and severity, as :func:`myoreflex.cohort.cohort_simulate` builds it) and
*treated* (the same parameters after :func:`myoreflex.treatments.apply_treatment`). The protocol is
simulated and measured in both arms, and the outcome (a field of the protocol's measure record,
``r2n`` of the pendulum by default) is compared within each subject.

Design: paired, every subject its own control
---------------------------------------------
A virtual subject can receive both arms with none of the threats that make a crossover trial
delicate for patients: each simulation starts from the same state, so there is no carry-over, no
period effect and no order to randomise (the issues the CONSORT extension for randomised crossover
trials asks to be reported; Dwan et al. 2019 BMJ 366:l4378). Both potential outcomes are observed,
so the mean paired difference estimates the average treatment effect in the population without the
between-subject spread that a parallel-group design (randomised arms, CONSORT 2010 item 3a) pays for
in width: with the same number of simulations its interval is far wider and answers the same
question worse. Randomised arms are therefore not offered; nothing here is allocated by chance, so
there is nothing to conceal or blind.

What is reported, following CONSORT 2010's flow and outcome items (13, 17a):

- the flow: subjects enrolled (the population, or those of ``condition`` among them), the subjects
  excluded and why (``failed``: each by name with both arms' status and the error: a simulation
  that diverged or became non-finite, a measure whose quality gate failed such as a leg still
  swinging at the end of the pendulum test, an outcome that is not defined), and ``n`` analysed.
  The analysis is complete-case: a subject with a failed arm is excluded from both arms. Failures
  are listed per arm so that a treatment that *causes* failures is seen, not hidden;
- the effect: the mean paired difference ``d = treated - control`` (outcome units) with its 95 %
  t-interval ``mean(d) +- t(0.975, n - 1) sd(d) / sqrt(n)`` (Student 1908), a percentile bootstrap
  interval (``resamples`` resamples of the subjects with a fixed seed; Efron & Tibshirani 1993,
  ch. 13) which does not lean on normality, and the standardised effect Cohen's ``d_z = mean(d) /
  sd(d)`` (Cohen 1988; Lakens 2013 Front Psychol 4:863). ``d_z`` is the paired design's effect size:
  it is not the between-group ``d`` of a parallel trial and grows as the two arms correlate;
- the arms' means of the outcome in the analysed subjects.

What the interval means: the uncertainty of the population's mean effect from having simulated
``n`` subjects drawn from the population's distributions (:mod:`myoreflex.cohort.population`). The
model itself is taken as given: a treatment's size at full effect and its dose-response are
assumptions (:mod:`myoreflex.treatments`), there is no placebo response and no measurement noise
unless the protocol adds it, so a narrow interval says the simulation was large enough, not that
the treatment works as the model says.

Files
-----
``out`` (``.csv`` or ``.parquet``): one row per enrolled subject in population order: the input
columns, ``control_<outcome>``, ``treated_<outcome>``, ``difference_<outcome>`` (treated - control),
``included``, ``control_status``, ``treated_status``, ``error``, and the provenance columns
``treatment``, ``dose``, ``dose_unit``, ``outcome``, ``protocol``, ``myoreflex_version``. Beside it:

- ``<stem>.arms<suffix>``: both arms as a :func:`~myoreflex.cohort.cohort_simulate` table (one row per
  subject and arm, ``subject`` is ``<id>:control`` or ``<id>:treated``, with the columns
  ``trial_subject``, ``arm`` and, in the treated rows, the treated parameter values as override
  columns), written by the cohort engine: chunks of whole pairs, atomic parts, resumable after an
  interruption (even ``kill -9``), on a Dask cluster with the same numbers, with its own
  provenance record. The parts are kept until the analysis has succeeded, so a run that stops at
  the analysis (an outcome the measure does not have) is rerun without simulating again;
- ``<out>.provenance.json``: the trial's settings, the result (:meth:`TrialResult.as_dict`), the
  treatment's parameter changes and the arms table's provenance record.

References: Moher et al. 2010 BMJ 340:c869 (CONSORT 2010 explanation); Dwan et al. 2019 BMJ
366:l4378 (CONSORT for crossover trials); Student 1908 Biometrika 6:1; Efron & Tibshirani 1993 An
Introduction to the Bootstrap; Cohen 1988 Statistical Power Analysis; Lakens 2013 Front Psychol 4:863.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex import __version__
from myoreflex.cohort.engine import PROVENANCE_COLUMNS, ProgressCallback, parts_path, protocol_name
from myoreflex.cohort.manifest import Manifest, as_rows, build_params
from myoreflex.cohort.population import DEFAULT_CONDITIONS, sample_population
from myoreflex.conditions import CONDITIONS
from myoreflex.errors import ParameterError, describe
from myoreflex.io.results import JSON_SUFFIXES, TABLE_SUFFIXES, atomic_path, check_output, write_table
from myoreflex.params import get_param
from myoreflex.protocols import Protocol
from myoreflex.treatments import TREATMENTS, apply_treatment, parse_treatment, treatments_json

ARMS = ("control", "treated")
CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 10_000
"""Bootstrap resamples of the subjects (the percentile interval's Monte Carlo error is then well
under a hundredth of its width)."""
DESIGN = "paired: every subject simulated in both arms (control: its preset; treated: the preset after the treatment)"
_NOT_OUTCOMES = {"status", "error", "warnings", "arm", "trial_subject", *PROVENANCE_COLUMNS}


# ---------------------------------------------------------------------------------------------
# The statistics of paired differences


@dataclasses.dataclass(frozen=True)
class TrialEffect:
    """The treatment's effect on the outcome: treated minus control, paired by subject.

    ``mean_difference`` in the outcome's unit; ``ci95``: the 95 % t-interval of the mean;
    ``bootstrap_ci95``: the 95 % percentile bootstrap interval; ``cohen_dz``: ``mean / sd`` of the
    differences; ``sd_difference``; ``n``: subjects analysed; ``resamples`` and ``seed`` of the
    bootstrap. Values that do not exist for the data (any interval with ``n < 2``, ``d_z`` with
    ``sd = 0`` to rounding) are NaN, None in :meth:`as_dict`.
    """

    mean_difference: float
    ci95: tuple[float, float]
    cohen_dz: float
    bootstrap_ci95: tuple[float, float]
    sd_difference: float
    n: int
    resamples: int
    seed: int

    def as_dict(self) -> dict:
        """The four numbers of the trial's JSON (``mean_difference, ci95, cohen_dz, bootstrap_ci95``)."""
        return {"mean_difference": _json(self.mean_difference), "ci95": [_json(v) for v in self.ci95],
                "cohen_dz": _json(self.cohen_dz), "bootstrap_ci95": [_json(v) for v in self.bootstrap_ci95]}


def _json(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _check_integer(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ParameterError(describe(name, f"an integer >= {low}", repr(value)))
    return int(value)


def paired_effect(control, treated, *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES) -> TrialEffect:
    """The mean of ``treated - control`` with its 95 % t-interval, percentile bootstrap interval
    and Cohen's ``d_z`` (module doc).

    Parameters
    ----------
    control, treated : the outcome of each subject in each arm (same length, finite, same order).
    seed : seed of the bootstrap's resampling (the same seed gives the same interval).
    resamples : bootstrap resamples of the subjects.

    Returns
    -------
    TrialEffect. With ``n = 1`` only the mean exists; with ``n = 0`` nothing (NaN). Identical
    differences (equal to rounding) give a zero-width interval and ``d_z`` NaN.

    Examples
    --------
    >>> effect = paired_effect([1.0, 2.0, 3.0, 4.0], [1.5, 2.4, 3.6, 4.3])
    >>> round(effect.mean_difference, 3), [round(v, 3) for v in effect.ci95], round(effect.cohen_dz, 2)
    (0.45, [0.245, 0.655], 3.49)
    """
    from scipy import stats

    seed = _check_integer("seed", seed, 0)
    resamples = _check_integer("resamples", resamples, 1)
    control, treated = np.asarray(control, dtype=float), np.asarray(treated, dtype=float)
    if control.shape != treated.shape or control.ndim != 1:
        raise ParameterError(describe("control and treated", "two 1-D arrays of one length",
                                      f"shapes {control.shape} and {treated.shape}"))
    if not (np.all(np.isfinite(control)) and np.all(np.isfinite(treated))):
        raise ParameterError(describe("control and treated", "finite outcomes", "NaN or inf"))
    differences = treated - control
    n = len(differences)
    nan = math.nan
    if n == 0:
        return TrialEffect(nan, (nan, nan), nan, (nan, nan), nan, 0, resamples, seed)
    mean = float(np.mean(differences))
    if n == 1:
        return TrialEffect(mean, (nan, nan), nan, (nan, nan), nan, 1, resamples, seed)
    sd = float(np.std(differences, ddof=1))
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * sd / math.sqrt(n)
    # differences equal to rounding (a treatment that changes nothing) have no standardised effect
    dz = mean / sd if sd > 64 * np.finfo(float).eps * float(np.max(np.abs(differences))) else nan
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, 2_000_000 // n)  # resample indices in blocks of about 16 MB
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        means[start:stop] = differences[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return TrialEffect(mean, (mean - half, mean + half), dz, (float(low), float(high)), sd, n, resamples, seed)


# ---------------------------------------------------------------------------------------------
# The result


@dataclasses.dataclass(frozen=True, eq=False)
class TrialResult:
    """A virtual trial's outcome: the effect, the arms' means, the flow, and the files written.

    ``treatment``: ``{"name", "dose"}`` (the dose in the treatment's unit, the default filled in);
    ``subjects``, ``control``, ``treated``: the analysed subjects and their outcomes, in population
    order; ``failed``: one dict per excluded subject (``subject``, ``control`` and ``treated``: the
    arms' status, ``error``); ``n_enrolled``: subjects simulated; ``n_screened_out``: rows of the
    population left out by ``condition``.
    """

    treatment: dict
    outcome: str
    protocol: str
    effect: TrialEffect
    subjects: tuple[str, ...]
    control: np.ndarray
    treated: np.ndarray
    failed: tuple[dict, ...]
    n_enrolled: int
    n_screened_out: int
    table: Path
    arms_table: Path
    provenance: Path
    wall_s: float

    @property
    def n(self) -> int:
        """Subjects analysed (both arms measured)."""
        return len(self.subjects)

    @property
    def differences(self) -> np.ndarray:
        """``treated - control`` per analysed subject (outcome units)."""
        return self.treated - self.control

    def as_dict(self) -> dict:
        """The trial as plain JSON values: ``treatment, outcome, n, failed, effect, control_mean,
        treated_mean, protocol`` (non-finite numbers as None)."""
        empty = self.n == 0
        return {
            "treatment": dict(self.treatment),
            "outcome": self.outcome,
            "n": self.n,
            "failed": [dict(item) for item in self.failed],
            "effect": self.effect.as_dict(),
            "control_mean": None if empty else _json(float(np.mean(self.control))),
            "treated_mean": None if empty else _json(float(np.mean(self.treated))),
            "protocol": self.protocol,
        }


# ---------------------------------------------------------------------------------------------
# The trial


def _population(population, *, condition: str | None, seed: int, joint: str) -> tuple[list[dict], int, list]:
    """(enrolled rows, rows screened out, input files) from a size, rows or a manifest path."""
    if condition is not None and condition not in CONDITIONS:
        raise ParameterError(describe("condition", f"None or one of {', '.join(CONDITIONS)}", repr(condition)))
    if isinstance(population, (int, np.integer)) and not isinstance(population, bool):
        conditions = DEFAULT_CONDITIONS if condition is None else {condition: 1.0}
        rows = as_rows(sample_population(int(population), conditions=conditions, seed=seed), joint)
    else:
        rows = as_rows(population, joint)
    inputs = [str(rows.path)] if isinstance(rows, Manifest) else []
    if any("file" in row for row in rows):
        raise ParameterError(describe("cohort trial population", "virtual subjects (condition, severity, "
                                      "body_mass_kg, height_m)", "recordings (a `file` column)"))
    clash = [column for column in ("arm", "trial_subject") if any(column in row for row in rows)]
    if clash:
        raise ParameterError(describe("cohort trial population", "no column named arm or trial_subject "
                                      "(the trial adds them)", f"column {clash[0]!r}", "rename it"))
    enrolled = [row for row in rows if condition is None or row["condition"] == condition]
    if not enrolled:
        raise ParameterError(describe("cohort trial population", f"at least one subject with condition {condition}",
                                      f"none among {len(rows)} rows"))
    return enrolled, len(rows) - len(enrolled), inputs


def _arm_rows(rows: list[dict], name: str, dose: float | None, joint: str) -> tuple[list[dict], list[str]]:
    """Both arms of every subject, interleaved (``s1:control, s1:treated, s2:control, ...``): the
    treated rows carry the treated values of every parameter the treatment changes as override
    columns, computed from the subject's own batched parameters (its overrides included)."""
    batch = build_params(rows, joint=joint)
    treated = apply_treatment(batch, name, dose)  # raises for a joint the treatment does not exist at
    paths = [change.path for change in TREATMENTS[name].changes if change.applies_to(batch)]
    paths = list(dict.fromkeys(paths))
    values = {path: np.asarray(get_param(treated, path), dtype=float) for path in paths}
    arms = []
    for i, row in enumerate(rows):
        subject = row["subject"]
        arms.append({**row, "subject": f"{subject}:control", "trial_subject": subject, "arm": "control"})
        arms.append({**row, "subject": f"{subject}:treated", "trial_subject": subject, "arm": "treated",
                     **{path: float(values[path][i]) for path in paths}})
    return arms, paths


def _number(value) -> float:
    """A table cell as a float (CSV cells are text); empty, None or text that is not a number: NaN."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _outcomes(arm_rows: list[dict], input_columns: set[str]) -> list[str]:
    """The numeric measure columns of the measured rows of an arms table."""
    measured = [row for row in arm_rows if row.get("status") == "OK"]
    columns = [c for c in (measured[0] if measured else {}) if c not in input_columns and c not in _NOT_OUTCOMES]
    return [c for c in columns
            if all(row.get(c) in (None, "") or not math.isnan(_number(row.get(c))) for row in measured)]


def _arm_error(row: dict, outcome: str) -> str:
    if row.get("status") != "OK":
        return f"{row.get('status')}: {row.get('error') or ''}".rstrip(": ")
    if not math.isfinite(_number(row.get(outcome))):
        return f"{outcome} not defined"
    return ""


def cohort_trial(
    population: Sequence[Mapping[str, Any]] | str | os.PathLike | int,
    treatment: str,
    *,
    out: str | os.PathLike,
    protocol: str | Protocol = "pendulum",
    outcome: str = "r2n",
    condition: str | None = None,
    joint: str = "knee",
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    chunk_size: int = 125,
    scheduler=None,
    progress: ProgressCallback | None = None,
    keep_parts: bool = False,
    lenient: bool = False,
) -> TrialResult:
    """Run a virtual trial of ``treatment`` against control, each subject in both arms (module doc).

    Parameters
    ----------
    population : the number of virtual subjects to draw (:func:`~myoreflex.cohort.sample_population`
        with ``seed``; of ``condition`` alone when it is given, else half healthy, half stroke),
        virtual-subject rows, or a manifest CSV path.
    treatment : ``"NAME[:DOSE]"``: a name in :data:`myoreflex.treatments.TREATMENTS` and optionally
        the dose in its unit (``"baclofen_intrathecal:300"``); no dose: the cited default.
    out : per-subject table, ``.csv`` or ``.parquet``; the arms table, the provenance record and the
        unfinished work go beside it (module doc).
    protocol : the test (a name in :data:`myoreflex.protocols.PROTOCOLS` or an instance), as in
        :func:`~myoreflex.cohort.cohort_simulate`.
    outcome : the field of the protocol's measure record compared (``r2n``, ``r1``,
        ``n_oscillations``, ``peak_velocity_deg_s``, ...; units in the name). A name the measure does
        not have raises after the simulations, which are kept and reused by the rerun.
    condition : inclusion criterion: only subjects with this condition are enrolled (the others are
        counted in ``n_screened_out``); with a population size, the population is drawn of it.
        None: every subject.
    joint : the joint of every subject (the pendulum test needs the knee).
    seed : the population's seed (with a size) and the bootstrap's.
    resamples : bootstrap resamples.
    chunk_size : most subjects (pairs of arms) per batched simulation.
    scheduler : None, ``"local"``, a scheduler address or a ``distributed.Client``, as in
        :func:`~myoreflex.cohort.cohort_simulate`; the numbers are the same for every choice.
    progress : ``progress(done, total)`` in subjects (both arms), after each chunk.
    keep_parts : keep the arms' per-chunk files after the tables are written.
    lenient : measure a trial that fails a quality gate of the measure (named in the arms table's
        ``warnings``) instead of excluding the subject.

    Returns
    -------
    TrialResult: the effect (mean paired difference, t and bootstrap 95 % intervals, Cohen's d_z), the
    arms' means, the excluded subjects by name, and the files.

    Raises
    ------
    ParameterError
        Before any simulation: an unknown treatment, a dose out of its bounds, a treatment that
        does not exist at ``joint``, an unknown ``condition`` or none enrolled, bad rows; after the
        simulations: an ``outcome`` that is not a numeric field of the measure (the message lists
        them).
    OutputError
        Before any simulation: an output path that cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> from myoreflex import PendulumTest
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     result = cohort_trial(3, "baclofen_intrathecal", condition="stroke", out=f"{folder}/trial.csv",
    ...                           protocol=PendulumTest(duration=10.0))
    >>> result.n + len(result.failed), result.effect.mean_difference > 0  # R2n rises: less braking
    (3, True)
    >>> sorted(result.as_dict()["effect"])
    ['bootstrap_ci95', 'ci95', 'cohen_dz', 'mean_difference']
    """
    from myoreflex.cohort import cohort_simulate, read_results

    start = time.perf_counter()
    name, dose = parse_treatment(treatment)
    seed = _check_integer("seed", seed, 0)
    resamples = _check_integer("resamples", resamples, 1)
    chunk_size = _check_integer("chunk_size", chunk_size, 1)
    if not isinstance(outcome, str) or not outcome or outcome in _NOT_OUTCOMES:
        raise ParameterError(describe("outcome", "the name of a numeric field of the protocol's measure "
                                      "(r2n, r1, ...)", repr(outcome)))
    rows, screened_out, inputs = _population(population, condition=condition, seed=seed, joint=joint)
    out = check_output(out, inputs=inputs, suffixes=TABLE_SUFFIXES, what="trial table")
    arms_path = out.with_name(f"{out.stem}.arms{out.suffix}")
    provenance_path = out.with_name(out.name + ".provenance.json")
    check_output(arms_path, inputs=inputs, suffixes=TABLE_SUFFIXES, what="arms table")
    check_output(provenance_path, inputs=inputs, suffixes=JSON_SUFFIXES, what="trial provenance record")
    arm_rows, paths = _arm_rows(rows, name, dose, joint)
    total = len(rows)

    def arm_progress(done: int, _total: int) -> None:
        if progress is not None:
            progress(done // 2, total)

    arms = cohort_simulate(arm_rows, out=arms_path, protocol=protocol, joint=joint, chunk_size=2 * chunk_size,
                           scheduler=scheduler, progress=arm_progress, keep_parts=True, lenient=lenient)
    measured = read_results(arms.table)
    input_columns = {column for row in rows for column in row} | set(paths)
    if any(row.get("status") == "OK" for row in measured) and outcome not in _outcomes(measured, input_columns):
        raise ParameterError(describe(
            "outcome", "a numeric field of the protocol's measure: " + ", ".join(_outcomes(measured, input_columns)),
            repr(outcome), f"the simulations are kept in {arms_path.name}.parts: rerun with one of these and "
            "they are reused"))
    result = _analyse(rows, measured, name=name, dose=dose, outcome=outcome,
                      protocol=protocol_name(protocol), seed=seed, resamples=resamples,
                      screened_out=screened_out, out=out, arms_path=arms_path, provenance_path=provenance_path,
                      start=start)
    treatment_record = {**result.treatment, "dose_unit": TREATMENTS[name].dose_unit}
    table = [{**pair.row, f"control_{outcome}": pair.control, f"treated_{outcome}": pair.treated,
              f"difference_{outcome}": None if pair.errors else pair.treated - pair.control,
              "included": not pair.errors, "control_status": pair.control_status,
              "treated_status": pair.treated_status, "error": "; ".join(pair.errors),
              "treatment": name, "dose": treatment_record["dose"], "dose_unit": treatment_record["dose_unit"],
              "outcome": outcome, "protocol": result.protocol, "myoreflex_version": __version__}
             for pair in _pairs(rows, measured, outcome)]
    write_table(table, out)
    arms_provenance = json.loads(arms.provenance.read_text())
    record = {
        "command": "cohort trial",
        "design": DESIGN,
        "treatment": treatment_record,
        "changes": [change.describe().replace("at severity 1", "at full effect") for change in TREATMENTS[name].changes
                    if change.path in paths],
        "outcome": outcome,
        "condition": condition,
        "n_enrolled": total,
        "n_screened_out": screened_out,
        "bootstrap": {"resamples": resamples, "seed": seed, "method": "percentile"},
        "result": result.as_dict(),
        "myoreflex_version": __version__,
        "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "wall_s": result.wall_s,
        "table": out.name,
        "arms_table": arms_path.name,
        "arms_provenance": arms_provenance,
    }
    with atomic_path(provenance_path) as temporary:
        temporary.write_text(json.dumps(record, indent=1, default=str))
    if not keep_parts:
        shutil.rmtree(parts_path(arms_path), ignore_errors=True)
    return result


@dataclasses.dataclass(frozen=True)
class _Pair:
    """One subject's two arms from the arms table: the outcome in each, their status, what failed."""

    row: dict
    control: float
    treated: float
    control_status: str
    treated_status: str
    errors: tuple[str, ...]


def _pairs(rows: list[dict], measured: list[dict], outcome: str) -> list[_Pair]:
    """Each subject's arms (interleaved in the arms table, in population order)."""
    pairs = []
    for row, control, treated in zip(rows, measured[0::2], measured[1::2], strict=True):
        if not control["trial_subject"] == treated["trial_subject"] == row["subject"]:
            raise RuntimeError(f"arms table out of order at subject {row['subject']!r}")
        errors = tuple(f"{arm}: {text}" for arm, arm_row in zip(ARMS, (control, treated))
                       if (text := _arm_error(arm_row, outcome)))
        pairs.append(_Pair(row, _number(control.get(outcome)), _number(treated.get(outcome)),
                           control.get("status"), treated.get("status"), errors))
    return pairs


def _analyse(rows, measured, *, name, dose, outcome, protocol, seed, resamples, screened_out, out, arms_path,
             provenance_path, start) -> TrialResult:
    """Pair the arms, exclude the subjects with a failed arm, compute the effect."""
    pairs = _pairs(rows, measured, outcome)
    included = [pair for pair in pairs if not pair.errors]
    failed = [{"subject": pair.row["subject"], "control": pair.control_status, "treated": pair.treated_status,
               "error": "; ".join(pair.errors)} for pair in pairs if pair.errors]
    subjects = [pair.row["subject"] for pair in included]
    control = [pair.control for pair in included]
    treated = [pair.treated for pair in included]
    effect = paired_effect(control, treated, seed=seed, resamples=resamples)
    return TrialResult(
        treatment=treatments_json([(name, dose)])[0], outcome=outcome, protocol=protocol, effect=effect,
        subjects=tuple(subjects), control=np.asarray(control, dtype=float), treated=np.asarray(treated, dtype=float),
        failed=tuple(failed), n_enrolled=len(rows), n_screened_out=screened_out, table=out, arms_table=arms_path,
        provenance=provenance_path, wall_s=time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# The figure


def trial_figure(result: TrialResult, ax=None):
    """Draw a trial: each subject's control against treated outcome, and the paired differences
    with their mean and 95 % intervals.

    Without ``ax``: a new :class:`matplotlib.figure.Figure` (no pyplot state) with both panels.
    With ``ax``: the differences' histogram on it. Returns the figure.

    Examples
    --------
    >>> from pathlib import Path
    >>> effect = paired_effect([0.8, 0.9, 1.0, 0.85], [1.0, 1.05, 1.1, 1.0])
    >>> result = TrialResult({"name": "baclofen_oral", "dose": 60.0}, "r2n", "pendulum", effect,
    ...                      ("a", "b", "c", "d"), np.array([0.8, 0.9, 1.0, 0.85]),
    ...                      np.array([1.0, 1.05, 1.1, 1.0]), (), 4, 0, Path("t.csv"), Path("t.arms.csv"),
    ...                      Path("t.csv.provenance.json"), 0.0)
    >>> len(trial_figure(result).axes)
    2
    """
    from matplotlib.figure import Figure

    label = f"{result.treatment['name']} {result.treatment['dose']:g} {TREATMENTS[result.treatment['name']].dose_unit}"
    if ax is None:
        figure = Figure(figsize=(9.0, 4.0), layout="constrained")
        pairs, ax = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        _draw_pairs(pairs, result)
        figure.suptitle(f"{label} against control, {result.protocol} {result.outcome} "
                        f"(n = {result.n}, {len(result.failed)} excluded)", fontsize=10)
    else:
        figure = ax.figure
    _draw_differences(ax, result)
    return figure


def _draw_pairs(ax, result: TrialResult) -> None:
    if result.n:
        ax.scatter(result.control, result.treated, s=6, alpha=0.4, color="C0", linewidths=0)
        low = float(min(result.control.min(), result.treated.min()))
        high = float(max(result.control.max(), result.treated.max()))
        ax.plot([low, high], [low, high], color="0.5", lw=0.8, label="no effect")
        ax.plot([float(np.mean(result.control))], [float(np.mean(result.treated))], "o", color="C3", ms=6,
                label="means")
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_xlabel(f"control {result.outcome}")
    ax.set_ylabel(f"treated {result.outcome}")
    ax.set_title("each subject in both arms", fontsize=9)


def _draw_differences(ax, result: TrialResult) -> None:
    effect = result.effect
    if result.n:
        ax.hist(result.differences, bins=min(40, max(5, result.n // 10)), color="C0", alpha=0.6)
        ax.axvline(0.0, color="0.5", lw=0.8)
        ax.axvline(effect.mean_difference, color="C3", lw=1.5, label=f"mean {effect.mean_difference:.3g}")
        if math.isfinite(effect.ci95[0]):
            ax.axvspan(*effect.ci95, color="C3", alpha=0.25,
                       label=f"95 % t-interval [{effect.ci95[0]:.3g}, {effect.ci95[1]:.3g}]")
        if math.isfinite(effect.bootstrap_ci95[0]):
            for bound in effect.bootstrap_ci95:
                ax.axvline(bound, color="C1", lw=0.8, ls="--")
            ax.plot([], [], color="C1", lw=0.8, ls="--", label="95 % bootstrap interval")
        ax.legend(frameon=False, fontsize=8)
    dz = "-" if not math.isfinite(effect.cohen_dz) else f"{effect.cohen_dz:.2f}"
    ax.set_xlabel(f"treated - control {result.outcome}")
    ax.set_ylabel("subjects")
    ax.set_title(f"paired differences (Cohen's d_z = {dz})", fontsize=9)
