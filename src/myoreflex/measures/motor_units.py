"""Motor-unit measures: discharge times in, recruitment, rate coding and paired-motor-unit delta-F out.

Input is the discharge times of each decomposed motor unit (:class:`DischargeTimes`; read from a
``unit,time_s`` CSV or a decomposed high-density EMG MATLAB file by
:func:`myoreflex.io.motor_units.read_discharge_times`), usually from a slow triangular (ramp up, ramp
down) isometric contraction. For each unit:

- recruitment and derecruitment: its first and last discharge (s), and the value of a reference
  signal (force, torque, %MVC) at those times when one is given: the recruitment and derecruitment
  thresholds;
- instantaneous discharge rate ``1 / ISI`` (pps) at the discharge that ends each interval, and a
  smoothed rate by one of :data:`SMOOTHING_METHODS`;
- rate coding: peak smoothed rate, the smoothed rate at recruitment and derecruitment, the rate
  modulation (peak minus rate at recruitment), the coefficient of variation of its intervals.

Paired-motor-unit delta-F (Gorassini et al. 2002). A persistent inward current (PIC) activated at
recruitment keeps a motor neuron firing at a lower synaptic input than recruited it. The smoothed rate
of a lower-threshold *control* unit stands for that input: delta-F of a *test* unit is the control
unit's rate at the test unit's recruitment minus its rate at the test unit's derecruitment (pps). A
pair counts when (the usual criteria; each a keyword of :func:`measure`):

- the test unit is recruited at least ``min_recruitment_difference_s`` = 1 s after the control unit,
  so that the control unit's own PIC is fully on: delta-F rises with the recruitment time difference
  to a plateau at about 1 s (Hassan et al. 2020);
- the control unit fires throughout the test unit's discharge (recruited before, derecruited after);
- the two smoothed rates co-vary while both fire, ``r^2 >= min_rate_r2`` = 0.7, so that they share
  their synaptic input (Gorassini et al. 2002; Stephenson & Maluf 2011; Hassan et al. 2020 found
  delta-F insensitive to lowering it);
- the control unit modulates its rate by at least ``min_control_modulation_pps`` = 0.5 pps while the
  test unit fires, so that it is not saturated and can report a change of input (Stephenson & Maluf
  2011).

A test unit's delta-F is the mean over its accepted control units (the "test unit average" of Hassan
et al. 2020 and openhdemg); the summary gives the mean and SD over test units and the number of
accepted pairs. These criteria and defaults are those of openhdemg's ``compute_deltaf`` (Valli et al.
2024); the attribution of the r^2 and modulation criteria to Stephenson & Maluf 2011 is from the
literature that uses them (the paper itself was not read here).

References
----------
Gorassini MA, Yang JF, Siu M, Bennett DJ (2002). Intrinsic activation of human motoneurons: possible
contribution to motor unit excitation. J Neurophysiol 87:1850-1858.
Stephenson JL, Maluf KS (2011). Dependence of the paired motor unit analysis on motor unit discharge
characteristics in the human tibialis anterior muscle. J Neurosci Methods 198:84-92.
Hassan A, Thompson CK, Negro F, et al. (2020). Impact of parameter selection on estimates of
motoneuron excitability using paired motor unit analysis. J Neural Eng 17:016063 (PMC7295184).
Valli G, Ritsche P, Casolo A, Negro F, De Vito G (2024). Tutorial: analysis of central and
peripheral motor unit properties from decomposed high-density surface EMG signals with openhdemg.
J Electromyogr Kinesiol 74:102850.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Method, Record
from myoreflex.registry import Registry

GRID_RATE_HZ = 500.0
"""Rate (Hz) of the time grid on which smoothed discharge rates are evaluated (2 ms steps: well
below the 50-150 ms intervals of motor units discharging at 7-20 pps)."""
MIN_DISCHARGES = 5
"""Fewest discharges of a unit whose rates are measured (four intervals)."""
HANNING_WINDOW_S = 2.0
"""Width of the Hanning window that smooths instantaneous rates (s), as in the paired-motor-unit
literature compared by Hassan et al. 2020."""
POLYNOMIAL_ORDER = 5
"""Order of the polynomial fitted to instantaneous rates (Gorassini et al. 2002; Udina et al. 2011)."""


@dataclasses.dataclass(frozen=True)
class DischargeTimes:
    """Discharge times (s) of decomposed motor units, with an optional reference signal.

    Attributes
    ----------
    units : unit labels, in the file's order.
    times : increasing discharge times (s) of each unit.
    source : the file (or a description) they came from.
    reference_time, reference : an optional reference signal (force, torque, %MVC) sampled at
        ``reference_time`` (s); its value at recruitment and derecruitment is a unit's threshold.
    reference_unit : unit label of ``reference`` ("" when unknown).
    """

    units: tuple[str, ...]
    times: tuple[np.ndarray, ...]
    source: str = ""
    reference_time: np.ndarray | None = None
    reference: np.ndarray | None = None
    reference_unit: str = ""

    def __post_init__(self):
        if len(self.units) != len(self.times):
            raise RecordingError(describe(f"`{self.source}` discharge times", "one time array per unit",
                                          f"{len(self.units)} units and {len(self.times)} arrays"))
        if len(set(self.units)) != len(self.units):
            raise RecordingError(describe(f"`{self.source}` unit labels", "unique labels", list(self.units)))
        for unit, times in zip(self.units, self.times):
            times = np.asarray(times, dtype=float)
            if times.ndim != 1 or not np.all(np.isfinite(times)):
                raise RecordingError(describe(f"`{self.source}`, unit `{unit}`", "finite discharge times in s",
                                              "NaN or inf" if times.ndim == 1 else f"shape {times.shape}"))
            if np.any(np.diff(times) <= 0):
                raise RecordingError(describe(f"`{self.source}`, unit `{unit}`", "strictly increasing discharge "
                                              "times", "a repeated or decreasing time", "sort them; drop duplicates"))
        if (self.reference is None) != (self.reference_time is None):
            raise RecordingError(describe(f"`{self.source}` reference", "both its time and its values", "one"))

    @classmethod
    def from_mapping(cls, times: Mapping[Any, Any], source: str = "", **reference) -> DischargeTimes:
        """Discharge times from ``{unit: times_s}``; ``reference`` as the dataclass's fields."""
        return cls(tuple(str(unit) for unit in times), tuple(np.asarray(t, dtype=float) for t in times.values()),
                   source, **reference)


@dataclasses.dataclass(frozen=True)
class MotorUnit(Record):
    """Recruitment, derecruitment and rate coding of one unit (rates in pps, times in s)."""

    unit: str
    n_discharges: int
    recruitment_s: float
    derecruitment_s: float
    recruitment_threshold: float | None
    derecruitment_threshold: float | None
    mean_rate_pps: float | None
    peak_rate_pps: float | None
    rate_at_recruitment_pps: float | None
    rate_at_derecruitment_pps: float | None
    rate_modulation_pps: float | None
    isi_cv: float | None
    delta_f_pps: float | None
    n_control_units: int


@dataclasses.dataclass(frozen=True)
class UnitPair(Record):
    """One control-test pair of the delta-F analysis, accepted or not (and why not)."""

    control: str
    test: str
    delta_f_pps: float | None
    recruitment_difference_s: float
    rate_r2: float | None
    control_modulation_pps: float | None
    accepted: bool
    reason: str


@dataclasses.dataclass(frozen=True)
class DeltaF(Record):
    """Delta-F over test units: mean and SD (pps) of the test units' averages, accepted pairs."""

    mean: float | None
    sd: float | None
    n_pairs: int
    n_test_units: int


@dataclasses.dataclass(frozen=True)
class MotorUnitMeasures(Record):
    """Per-unit recruitment and rate coding, and the paired-motor-unit delta-F of a recording.

    ``as_dict()`` gives ``{"file", "n_units", "delta_f_pps": {"mean", "sd", "n_pairs", ...},
    "units": [{"unit", "recruitment_s", "derecruitment_s", ...}], "pairs": [...], ...}``; the
    smoothed rate curves (``traces``, for :func:`plot_motor_units`) are left out of it.
    """

    file: str
    n_units: int
    delta_f_pps: DeltaF
    units: tuple[MotorUnit, ...]
    pairs: tuple[UnitPair, ...]
    smoothing: str
    criteria: dict
    reference: str
    reference_unit: str
    warnings: tuple[str, ...] = ()
    traces: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON values, without the rate curves."""
        out = super().as_dict()
        out.pop("traces", None)
        return out


def instantaneous_rates(times) -> tuple[np.ndarray, np.ndarray]:
    """Instantaneous discharge rate ``1 / ISI`` (pps) at the discharge that ends each interval (s).

    Examples
    --------
    >>> t, rate = instantaneous_rates([0.0, 0.1, 0.15])
    >>> t.tolist(), [round(r, 6) for r in rate.tolist()]
    ([0.1, 0.15], [10.0, 20.0])
    """
    times = np.asarray(times, dtype=float)
    return times[1:], 1.0 / np.diff(times)


def _hanning(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Instantaneous rate held from each discharge to the next, convolved with a normalised Hanning
    window of :data:`HANNING_WINDOW_S`; near the ends the window is renormalised over the samples
    where the unit fires, so the curve is not pulled toward 0."""
    from scipy.signal import fftconvolve  # here: scipy.signal takes most of a second to import

    inside = (grid >= times[0]) & (grid <= times[-1])
    held = np.zeros(grid.size)
    index = np.clip(np.searchsorted(times, grid[inside], side="right"), 1, times.size - 1)
    held[inside] = 1.0 / (times[index] - times[index - 1])
    width = max(3, round(HANNING_WINDOW_S * GRID_RATE_HZ) | 1)
    window = np.hanning(width)
    weight = fftconvolve(inside.astype(float), window, mode="same")
    smooth = fftconvolve(held, window, mode="same") / np.where(weight > 1e-9, weight, 1.0)
    return np.where(inside, smooth, np.nan)


def _polynomial(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Least-squares polynomial of order :data:`POLYNOMIAL_ORDER` (or fewer for few discharges)
    through the instantaneous rates, evaluated while the unit fires."""
    t, rate = instantaneous_rates(times)
    order = min(POLYNOMIAL_ORDER, t.size - 1)
    fit = np.polynomial.Polynomial.fit(t, rate, order)
    inside = (grid >= times[0]) & (grid <= times[-1])
    return np.where(inside, fit(grid), np.nan)


SMOOTHING_METHODS = Registry("discharge-rate smoothing", {
    "hanning": Method(_hanning, "2-s Hanning window of the instantaneous rate (compared with polynomial and "
                      "SVR smoothing by Hassan et al. 2020, J Neural Eng 17:016063)"),
    "polynomial": Method(_polynomial, "5th-order polynomial fit of the instantaneous rate (Gorassini et al. "
                         "2002, J Neurophysiol 87:1850; Udina et al. 2011)"),
})
"""Discharge-rate smoothing: name -> :class:`~myoreflex.measures.Method`; each function takes a
unit's discharge times and the grid (s) and returns the smoothed rate (pps) on the grid, NaN where
the unit is silent."""

DEFAULT_SMOOTHING = "hanning"


def _at(grid: np.ndarray, curve: np.ndarray, t: float) -> float:
    return float(np.interp(t, grid, curve))


def _check_criteria(min_recruitment_difference_s, min_rate_r2, min_control_modulation_pps):
    for name, value, low, high in (("min_recruitment_difference_s", min_recruitment_difference_s, 0.0, 60.0),
                                   ("min_rate_r2", min_rate_r2, 0.0, 1.0),
                                   ("min_control_modulation_pps", min_control_modulation_pps, 0.0, 50.0)):
        if not (isinstance(value, (int, float)) and low <= value <= high):
            raise ParameterError(describe(f"`{name}`", f"a number in [{low:g}, {high:g}]", repr(value)))


def _pair(control, test, grid, curves, criteria) -> UnitPair:
    (c_name, c_times), (t_name, t_times) = control, test
    difference = float(t_times[0] - c_times[0])
    if c_times[-1] < t_times[-1]:
        return UnitPair(c_name, t_name, None, difference, None, None, False,
                        "control unit derecruited before the test unit")
    both = np.isfinite(curves[c_name]) & np.isfinite(curves[t_name])
    c_curve = curves[c_name]
    r2 = None
    if both.sum() >= 3 and np.ptp(c_curve[both]) > 0 and np.ptp(curves[t_name][both]) > 0:
        r = float(np.corrcoef(c_curve[both], curves[t_name][both])[0, 1])
        r2 = r * r if r > 0 else 0.0
    during = (grid >= t_times[0]) & (grid <= t_times[-1])
    modulation = float(np.nanmax(c_curve[during]) - np.nanmin(c_curve[during])) if during.any() else 0.0
    delta_f = _at(grid, c_curve, t_times[0]) - _at(grid, c_curve, t_times[-1])
    reasons = []
    if difference < criteria["min_recruitment_difference_s"]:
        reasons.append(f"recruited {difference:.2f} s after the control unit "
                       f"(< {criteria['min_recruitment_difference_s']:g} s)")
    if r2 is None or r2 < criteria["min_rate_r2"]:
        reasons.append(f"rate-rate r^2 {0.0 if r2 is None else r2:.2f} < {criteria['min_rate_r2']:g}")
    if modulation < criteria["min_control_modulation_pps"]:
        reasons.append(f"control unit modulates {modulation:.2f} pps (< {criteria['min_control_modulation_pps']:g})")
    return UnitPair(c_name, t_name, delta_f, difference, r2, modulation, not reasons, "; ".join(reasons))


def measure(
    discharges: DischargeTimes | Mapping,
    *,
    smoothing: str = DEFAULT_SMOOTHING,
    min_recruitment_difference_s: float = 1.0,
    min_rate_r2: float = 0.7,
    min_control_modulation_pps: float = 0.5,
) -> MotorUnitMeasures:
    """Recruitment, rate coding and paired-motor-unit delta-F of decomposed motor units.

    Parameters
    ----------
    discharges : a :class:`DischargeTimes` or ``{unit: discharge times in s}``.
    smoothing : a key of :data:`SMOOTHING_METHODS`: ``"hanning"`` (default) or ``"polynomial"``.
    min_recruitment_difference_s, min_rate_r2, min_control_modulation_pps : the pair criteria of the
        module docstring (s, 1, pps).

    Returns
    -------
    MotorUnitMeasures
        Units in order of recruitment. A unit with fewer than :data:`MIN_DISCHARGES` discharges has
        recruitment and derecruitment but no rates, takes part in no pair, and is named in
        ``warnings``; fewer than two measurable units give no delta-F (a warning says so).

    Raises
    ------
    RecordingError
        No units, non-finite or non-increasing times (from :class:`DischargeTimes`).
    ParameterError
        Unknown smoothing or a criterion outside its range.

    Examples
    --------
    >>> import numpy as np
    >>> ramp = {"1": np.arange(0.0, 10.0, 0.1), "2": np.arange(2.0, 7.0, 0.125)}
    >>> result = measure(ramp)
    >>> result.n_units, [u.unit for u in result.units], result.delta_f_pps.n_pairs
    (2, ['1', '2'], 0)
    >>> result.pairs[0].reason  # a constant-rate control unit reports no change of input
    'rate-rate r^2 0.00 < 0.7; control unit modulates 0.00 pps (< 0.5)'
    >>> sorted(result.as_dict())[:4]
    ['criteria', 'delta_f_pps', 'file', 'n_units']
    """
    entry = SMOOTHING_METHODS.lookup(smoothing)
    _check_criteria(min_recruitment_difference_s, min_rate_r2, min_control_modulation_pps)
    if not isinstance(discharges, DischargeTimes):
        discharges = DischargeTimes.from_mapping(discharges, source="discharge times")
    if not discharges.units:
        raise RecordingError(describe(f"`{discharges.source}`", "discharge times of at least one unit", "none"))
    criteria = {"min_recruitment_difference_s": float(min_recruitment_difference_s),
                "min_rate_r2": float(min_rate_r2), "min_control_modulation_pps": float(min_control_modulation_pps)}
    named = [(unit, np.asarray(t, dtype=float)) for unit, t in zip(discharges.units, discharges.times) if len(t)]
    warnings = [f"unit `{unit}` has no discharges and is left out"
                for unit, t in zip(discharges.units, discharges.times) if not len(t)]
    named.sort(key=lambda item: (item[1][0], -item[1][-1]))
    start = min(t[0] for _, t in named) if named else 0.0
    stop = max(t[-1] for _, t in named) if named else 0.0
    grid = np.arange(start, stop + 0.5 / GRID_RATE_HZ, 1.0 / GRID_RATE_HZ)
    curves, rated = {}, []
    for unit, times in named:
        if times.size < MIN_DISCHARGES:
            warnings.append(f"unit `{unit}` has {times.size} discharges (< {MIN_DISCHARGES}): no rates, no pairs")
            continue
        curves[unit] = entry.function(times, grid)
        rated.append((unit, times))

    pairs = []
    for i, control in enumerate(rated):
        for test in rated[i + 1:]:
            pairs.append(_pair(control, test, grid, curves, criteria))
    by_test: dict[str, list[float]] = {}
    for pair in pairs:
        if pair.accepted:
            by_test.setdefault(pair.test, []).append(pair.delta_f_pps)

    reference = None
    if discharges.reference is not None:
        reference = (np.asarray(discharges.reference_time, float), np.asarray(discharges.reference, float))
    units = []
    for unit, times in named:
        threshold = (lambda t: float(np.interp(t, *reference))) if reference is not None else (lambda t: None)
        curve = curves.get(unit)
        rates = {}
        if curve is not None:
            peak = float(np.nanmax(curve))
            at_start, at_end = _at(grid, curve, times[0]), _at(grid, curve, times[-1])
            intervals = np.diff(times)
            rates = {"mean_rate_pps": (times.size - 1) / float(times[-1] - times[0]), "peak_rate_pps": peak,
                     "rate_at_recruitment_pps": at_start, "rate_at_derecruitment_pps": at_end,
                     "rate_modulation_pps": peak - at_start, "isi_cv": float(intervals.std() / intervals.mean())}
        own = by_test.get(unit, [])
        units.append(MotorUnit(
            unit=unit, n_discharges=int(times.size), recruitment_s=float(times[0]),
            derecruitment_s=float(times[-1]), recruitment_threshold=threshold(times[0]),
            derecruitment_threshold=threshold(times[-1]),
            **{key: rates.get(key) for key in ("mean_rate_pps", "peak_rate_pps", "rate_at_recruitment_pps",
                                               "rate_at_derecruitment_pps", "rate_modulation_pps", "isi_cv")},
            delta_f_pps=float(np.mean(own)) if own else None, n_control_units=len(own)))

    per_test = [float(np.mean(values)) for values in by_test.values()]
    n_pairs = sum(len(values) for values in by_test.values())
    if len(rated) < 2:
        warnings.append("fewer than two units with rates: no paired-motor-unit delta-F")
    elif not per_test:
        warnings.append("no unit pair meets the delta-F criteria")
    summary = DeltaF(
        mean=float(np.mean(per_test)) if per_test else None,
        sd=float(np.std(per_test, ddof=1)) if len(per_test) > 1 else None,
        n_pairs=n_pairs, n_test_units=len(per_test))
    traces = {"grid_s": grid, "smoothed_pps": curves,
              "instantaneous": {unit: instantaneous_rates(times) for unit, times in rated},
              "discharges": dict(named)}
    if reference is not None:
        traces["reference"] = reference
    return MotorUnitMeasures(
        file=discharges.source, n_units=len(named), delta_f_pps=summary, units=tuple(units), pairs=tuple(pairs),
        smoothing=smoothing, criteria=criteria, reference=entry.reference, reference_unit=discharges.reference_unit,
        warnings=tuple(warnings), traces=traces)


def plot_motor_units(result: MotorUnitMeasures, ax=None):
    """Figure of a :func:`measure` result: discharge raster, instantaneous and smoothed rates, delta-F.

    Parameters
    ----------
    result : the record of :func:`measure`.
    ax : None (a new two-panel figure: raster above, rates below) or one matplotlib Axes (rates only).

    Returns
    -------
    The matplotlib Figure (made with ``matplotlib.figure.Figure``, never pyplot state).

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_motor_units(measure({"a": np.arange(0.0, 4.0, 0.1), "b": np.arange(1.5, 3.0, 0.1)}))
    >>> len(fig.axes)
    2
    """
    from matplotlib.figure import Figure

    traces = result.traces
    order = [unit.unit for unit in result.units]
    colours = {unit: f"C{i % 10}" for i, unit in enumerate(order)}
    if ax is None:
        fig = Figure(figsize=(8.0, 6.0), layout="constrained")
        raster, rates = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2])
        discharges = traces.get("discharges", {})
        for row, unit in enumerate(order):
            times = discharges.get(unit, np.array([]))
            raster.vlines(times, row + 0.6, row + 1.4, colors=colours[unit], linewidth=0.8)
        step = max(1, math.ceil(len(order) / 10))  # at most ~10 labels
        raster.set_yticks(range(1, len(order) + 1, step), order[::step])
        raster.set_ylabel("unit")
        raster.set_title(f"{result.file or 'motor units'}: {result.n_units} units")
        if "reference" in traces:
            twin = raster.twinx()
            twin.plot(*traces["reference"], color="0.5", linewidth=1.0)
            twin.set_ylabel(f"reference ({result.reference_unit})" if result.reference_unit else "reference")
    else:
        fig, rates = ax.figure, ax
    grid = traces.get("grid_s", np.array([]))
    every = [rate for t, rate in traces.get("instantaneous", {}).values() if rate.size]
    if every:  # the axis shows 99 % of the instantaneous rates; the rarest short intervals fall off it
        rates.set_ylim(0.0, 1.15 * float(np.percentile(np.concatenate(every), 99.0)))
    for unit in order:
        if unit in traces.get("instantaneous", {}):
            t, rate = traces["instantaneous"][unit]
            rates.plot(t, rate, ".", markersize=2, color=colours[unit], alpha=0.4)
            rates.plot(grid, traces["smoothed_pps"][unit], color=colours[unit], linewidth=1.2)
    accepted = [pair for pair in result.pairs if pair.accepted]
    if accepted:  # a representative pair (delta-F nearest the summary), drawn on the control's curve
        pair = min(accepted, key=lambda p: abs(p.delta_f_pps - result.delta_f_pps.mean))
        test = next(unit for unit in result.units if unit.unit == pair.test)
        curve = traces["smoothed_pps"][pair.control]
        points = [(t, _at(grid, curve, t)) for t in (test.recruitment_s, test.derecruitment_s)]
        rates.plot(*zip(*points), "k--", linewidth=1.0)
        rates.plot(*zip(*points), "ko", markersize=4)
        rates.annotate(f"delta-F {pair.delta_f_pps:.1f} pps\n(control {pair.control}, test {pair.test})",
                       points[0], textcoords="offset points", xytext=(8, 8), fontsize=8)
    summary = result.delta_f_pps
    text = (f"delta-F {summary.mean:.2f} pps" + (f" +- {summary.sd:.2f}" if summary.sd is not None else "")
            + f" ({summary.n_pairs} pairs, {summary.n_test_units} test units)") if summary.mean is not None \
        else "no delta-F: " + "; ".join(result.warnings[-1:])
    rates.set_title(text, fontsize=9)
    rates.set_xlabel("time (s)")
    rates.set_ylabel("discharge rate (pps)")
    return fig

