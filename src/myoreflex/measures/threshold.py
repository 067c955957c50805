"""Dynamic and tonic stretch reflex thresholds (DSRT, TSRT) of the lambda model.

For each stretch the dynamic stretch reflex threshold (DSRT) is the joint angle at EMG onset of the
stretched muscle (:func:`dsrt`). It is the one reflex-onset angle of myoreflex: the stretch
measures' ``emg_onset_angle_deg`` (:mod:`myoreflex.measures.stretch`), the TSRT regression here and
the Tardieu catch (:mod:`myoreflex.measures.clinical`) all take it from :func:`dsrt`. Over
stretches at several velocities the DSRTs lie on a line in the (velocity, angle) plane (Levin &
Feldman 1994; Calota, Feldman & Levin 2008; ANCHORS 6)::

    DSRT = TSRT - mu * velocity

fitted by ordinary least squares (:func:`measure`, also named :func:`tsrt`): the intercept at zero
velocity is the tonic stretch reflex threshold TSRT (deg) and the slope's negative is the velocity
sensitivity mu (s). The 95 % confidence intervals come from the regression's standard errors with
Student's t on n - 2 degrees of freedom (intercept: ``s sqrt(1/n + xbar^2 / Sxx)``, slope:
``s / sqrt(Sxx)``).

Choices written down (the EMG-onset criterion of Calota 2008 is unverified, ANCHORS 6):

- onset: :func:`myoreflex.measures.emg.emg_onsets`, by default the Hodges & Bui 1996 rule
  (``hodges_bui``: baseline mean + 3 SD of the rectified EMG low-passed at 50 Hz and averaged
  over a trailing 20 ms, sustained for 20 ms; defaults and reference in
  :mod:`myoreflex.measures.emg`); an EMG in V is band-passed first (:func:`~myoreflex.measures.emg.
  emg_clean`), a normalised EMG (unit ``1``, e.g. simulated) is used as it is with a floor of 0.01
  on the rise (:data:`~myoreflex.measures.emg.BARE_THRESHOLD`), since a noise-free baseline has SD
  0. Baseline: from the first sample to the stretch start (``trial.stretch_onset_s``, else P0 of
  :func:`~myoreflex.measures.decomposition.stretch_phases`); searched from the stretch start to
  the end of the recording;
- velocity of a stretch: the angular velocity at the onset (median over +-5 ms), deg/s;
- an onset after the movement has ended (velocity below 10 % of the plateau) is reported
  (``angle_deg``) but is no DSRT (``dsrt_deg`` None, ``excluded`` says why): its angle is the end
  of the range, not a threshold crossed while stretching;
- TSRT outside the tested range (the lowest start to the highest end angle of the stretches) is
  reported as such, never clipped. With no onset in any stretch the reflex threshold lies beyond
  the range at every velocity: TSRT is above the range (healthy relaxed muscle, ANCHORS 6).

Loop latency
------------
The EMG starts a loop latency ``d`` after the threshold is crossed (afferent conduction, synapse,
efferent conduction to the muscle: a short-latency M1 of ~25 ms at the wrist, M2 ~60 ms, ANCHORS
3.8; the model's afferent + efferent delays are 25-35 ms). The angle at EMG onset is therefore the
threshold angle plus what the joint travels in ``d``: at a constant velocity ``v``,

    DSRT_onset(v) = (TSRT - mu v) + v d = TSRT - (mu - d) v

so each DSRT is late by ``v d`` (6 deg at 200 deg/s with 30 ms), the fitted ``mu`` is ``mu - d``,
and the intercept TSRT is, to first order, unbiased (at zero velocity the joint does not travel
during the latency). The relation is exact only when the velocity is constant from the threshold
crossing to the onset; an onset during the acceleration biases TSRT too (test_threshold.py
measures both on synthetic lambda-model subjects). Levin & Feldman 1994 and Calota et al. 2008
read the DSRT at EMG onset (ANCHORS 6), so their mu includes the latency; that is the default here
(``latency_s=0``). ``latency_s > 0`` (:func:`dsrt`, :func:`tsrt`) reads each DSRT at the angle
``latency_s`` before the onset (interpolated on the recorded angle, so it holds for any velocity
profile), and the velocity there: mu is then the lambda model's, for that assumed latency. With
numbers instead of Trials the correction is ``DSRT - v latency_s`` (constant velocity assumed).

Quality gates (:data:`GATES`, :mod:`myoreflex.measures.gates`; a failed gate raises
:class:`~myoreflex.errors.QualityGateError`, or with ``lenient=True`` is named in ``warnings``), on
the stretches the result rests on: the DSRTs regressed, or every stretch when none has an onset
(the "above the range" conclusion rests on all of them):

- ``stretch_count``: at least 3. Three points are the fewest that leave the regression a degree
  of freedom (n - 2 = 1), hence a confidence interval for TSRT and mu; with 2 the line passes
  through both and its uncertainty is unknown (Levin & Feldman 1994 and Calota et al. 2008
  regress many more, ~20, stretches).
- ``velocity_span``: fastest minus slowest velocity at least 50 % of the fastest. TSRT is the
  line's value at zero velocity, extrapolated from the slowest stretch: with the span at least half
  the fastest velocity, the extrapolation (the slowest velocity) is no longer than the span of
  the data, so for stretches in two groups at the ends the standard error of TSRT is at most
  sqrt(1 + 4 xbar^2 / span^2) = 3.2 times that of their mean DSRT (xbar = 1.5 span). The README's
  example, CP1's right ankle (shared data), spans 99 % (2-570 deg/s, 6 DSRTs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Record
from myoreflex.measures.decomposition import stretch_phases
from myoreflex.measures.emg import MIN_BASELINE_SAMPLES, ONSET_METHODS, emg_onsets
from myoreflex.measures.gates import Gate, evaluate
from myoreflex.trial import Trial
from myoreflex.units import DEG

LEVIN_FELDMAN_1994 = (
    "Levin & Feldman 1994 Brain Res 657:23; Calota, Feldman & Levin 2008 Clin Neurophysiol 119:2329"
)
GATES = {
    "stretch_count": Gate(
        "stretch_count",
        "stretches the result rests on (the DSRTs regressed; every stretch when none has an onset)",
        ">=", 3, "",
        "3 points leave the regression one degree of freedom, hence confidence intervals (module notes)",
        "add stretches at more velocities"),
    "velocity_span": Gate(
        "velocity_span",
        "their velocity span (fastest minus slowest) in % of the fastest",
        ">=", 50.0, "%",
        "TSRT is extrapolated to zero velocity from the slowest stretch; the extrapolation then is no "
        "longer than the data's span (module notes)",
        "stretch at velocities from slow to fast"),
}
"""The quality gates of :func:`tsrt` (module notes)."""
ONSET_VELOCITY_WINDOW = 0.005
"""Half-width (s) of the window whose median angular velocity is the velocity at the onset."""


@dataclasses.dataclass(frozen=True)
class DsrtMeasures(Record):
    """The dynamic stretch reflex threshold of one stretch.

    ``dsrt_deg`` is the DSRT: the angle (deg) at EMG onset while the joint is being stretched,
    None without an onset or when ``excluded`` says why the onset is none (after the movement).
    ``angle_deg`` and ``onset_s`` are the angle and time of the onset whenever there is one.
    """

    dsrt_deg: float | None
    angle_deg: float | None
    onset_s: float | None
    velocity_deg_s: float  # at the onset; the plateau velocity when there is no onset
    plateau_velocity_deg_s: float
    start_angle_deg: float
    end_angle_deg: float
    muscle: str
    excluded: str | None  # why this stretch gives no DSRT (no onset, onset after the movement), or None
    method: str
    reference: str
    parameters: dict[str, Any]
    source: str


def dsrt(trial: Trial, *, muscle: str | None = None, method: str = "hodges_bui", latency_s: float = 0.0,
         **method_params) -> DsrtMeasures:
    """Joint angle at EMG onset of the stretched muscle during one stretch (Levin & Feldman 1994).

    Parameters
    ----------
    trial : Trial
        A stretch with ``angle`` (rad, increasing) and ``emg_<muscle>``, and rest before it.
    muscle : str, optional
        The stretched muscle; default the first EMG channel (the agonist in simulated Trials).
    method : str
        Onset method, a key of :data:`myoreflex.measures.emg.ONSET_METHODS` (default
        ``hodges_bui``); ``method_params`` are its parameters (``k``, ``min_duration_s``, ...).
    latency_s : float
        Loop latency (s) between the threshold crossing and the EMG onset (module notes): the DSRT
        and its velocity are read this long before the onset. 0 (default): at the onset, as
        published (Levin & Feldman 1994).

    Returns
    -------
    DsrtMeasures
        The DSRT (None without one), the onset's angle and time (uncorrected), the velocity at the
        DSRT, the range and the reason a stretch gives no DSRT.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 2, 2001)
    >>> q = np.clip((t - 0.5) * 1.0, 0, 1)              # 1 rad/s from 0 to 1 rad
    >>> emg = np.where(q > 0.6, 0.2, 0.0)              # reflex from 0.6 rad
    >>> trial = Trial(t, {"angle": Channel(q, "rad"), "emg_flexors": Channel(emg, "1")})
    >>> round(dsrt(trial).dsrt_deg, 1)
    34.4
    >>> round(dsrt(trial, latency_s=0.05).dsrt_deg, 1)   # 0.05 s x 1 rad/s = 2.9 deg earlier
    31.5
    """
    reference = ONSET_METHODS.lookup(method).reference
    if not (np.isfinite(latency_s) and 0 <= latency_s < 1.0):
        raise ParameterError(describe("latency_s", "a loop latency in [0, 1) s", latency_s))
    source = trial.source
    names = trial.emg_names()
    if not names:
        raise RecordingError(
            describe(f"`{source}`", "an emg_<muscle> channel", f"channels {sorted(trial.channels)}")
        )
    muscle = muscle or names[0]
    channel = trial.channel(f"emg_{muscle}")
    if not np.all(np.isfinite(channel.values)):
        raise RecordingError(describe(f"`{source}`, channel `emg_{muscle}`", "finite values", "NaN or inf"))
    phases = stretch_phases(trial)
    t = trial.time
    angle = trial["angle"]
    start = float(t[phases.p0]) if trial.stretch_onset_s is None else trial.stretch_onset_s
    baseline = (float(t[0]), start)
    if np.count_nonzero((t >= baseline[0]) & (t <= baseline[1])) < MIN_BASELINE_SAMPLES:
        raise RecordingError(
            describe(
                f"`{source}`",
                f"rest (at least {MIN_BASELINE_SAMPLES} samples) before the stretch as EMG baseline",
                f"the stretch starts at {start:g} s",
            )
        )
    search = (start, float(t[-1]))
    onset = emg_onsets(trial, muscles=[muscle], method=method, baseline=baseline, search=search,
                       **method_params)[muscle]
    # Velocities signed in the Trial's angle convention (phases are taken along the stretch), so that
    # DSRT = TSRT - mu velocity holds with mu > 0 for a stretch either way (stretch_direction).
    direction = phases.direction
    plateau = direction * phases.plateau_velocity / DEG
    common = {
        "plateau_velocity_deg_s": plateau,
        "start_angle_deg": float(angle[phases.p0] / DEG),
        "end_angle_deg": float(direction * np.max(direction * angle) / DEG),
        "muscle": muscle,
        "method": method,
        "reference": reference,
        "parameters": {**onset.parameters, "envelope": "band-pass" if onset.parameters["clean"] else "none"},
        "source": source,
    }
    if onset.index is None:
        return DsrtMeasures(None, None, None, plateau, excluded="no EMG onset during the stretch", **common)
    index = onset.index
    half = max(1, round(ONSET_VELOCITY_WINDOW / float(np.median(np.diff(t)))))
    crossing = float(onset.time) - latency_s  # when the threshold was crossed (module notes)
    at = int(np.clip(np.searchsorted(t, crossing), 0, t.size - 1))
    velocity = float(direction * np.median(phases.velocity[max(0, at - half) : at + half + 1]) / DEG)
    at_onset = float(angle[index] / DEG)
    threshold = float(np.interp(crossing, t, angle) / DEG) if latency_s > 0 else at_onset
    common["parameters"]["latency_s"] = latency_s
    if index > phases.end:
        return DsrtMeasures(None, at_onset, onset.time, velocity,
                            excluded="EMG onset after the movement ended", **common)
    return DsrtMeasures(threshold, at_onset, onset.time, velocity, excluded=None, **common)


@dataclasses.dataclass(frozen=True)
class ThresholdMeasures(Record):
    """TSRT (deg) and mu (s) with confidence intervals, or why they could not be estimated.

    ``position`` is "below", "within" or "above" the tested range (or None when unknown);
    ``outside_range`` is True when TSRT lies outside it (reported, never clipped).
    """

    tsrt_deg: float | None
    mu_s: float | None
    tsrt_ci_deg: tuple[float, float] | None
    mu_ci_s: tuple[float, float] | None
    r_squared: float | None
    n_stretches: int
    n_excluded: int
    range_deg: tuple[float, float] | None
    outside_range: bool | None
    position: str | None
    estimable: bool
    note: str
    velocities_deg_s: tuple[float, ...]
    dsrt_deg: tuple[float, ...]
    excluded: tuple[tuple[int, float, str], ...]
    confidence: float
    method: str = "least squares DSRT = TSRT - mu velocity"
    reference: str = LEVIN_FELDMAN_1994
    warnings: tuple[str, ...] = ()  # failed quality gates, measured anyway (lenient=True)
    latency_s: float = 0.0  # loop latency removed from each DSRT (0: DSRT at EMG onset, mu includes it)

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        out["excluded"] = [{"stretch": i, "velocity_deg_s": v, "reason": r} for i, v, r in self.excluded]
        return out


def _position(value: float, lo: float, hi: float) -> str:
    return "below" if value < lo else ("above" if value > hi else "within")


def tsrt(
    stretches: Sequence[Trial] | None = None,
    *,
    velocities_deg_s: Sequence[float] | None = None,
    dsrt_deg: Sequence[float | None] | None = None,
    joint_range_deg: tuple[float, float] | None = None,
    confidence: float = 0.95,
    lenient: bool = False,
    latency_s: float = 0.0,
    **dsrt_options,
) -> ThresholdMeasures:
    """Tonic stretch reflex threshold and velocity sensitivity from stretches at several velocities.

    Parameters
    ----------
    stretches : sequence of Trial, optional
        Stretches of one muscle at several velocities; :func:`dsrt` is applied to each (with
        ``dsrt_options``).
    velocities_deg_s, dsrt_deg : sequences, optional
        Instead of Trials: each stretch's velocity (deg/s) and DSRT (deg, None without onset).
    joint_range_deg : (float, float), optional
        The tested range (deg); default the lowest start and highest end angle of the Trials.
    confidence : float
        Level of the t-based intervals (0.95).
    lenient : bool
        False (default): a failed quality gate (:data:`GATES`: at least 3 stretches over a velocity
        span of half the fastest; module notes) raises :class:`~myoreflex.errors.QualityGateError`.
        True: the result is returned with the failed gates named in ``warnings``.
    latency_s : float
        Loop latency (s) removed from each DSRT (module notes; :func:`dsrt`). 0 (default): DSRTs
        at EMG onset, as published, so that ``mu`` includes the latency (``mu - latency``).

    Returns
    -------
    ThresholdMeasures
        ``tsrt_deg``, ``mu_s``, their intervals (None with 2 points: no degrees of freedom),
        ``r_squared``, counts, the range and where TSRT lies; with fewer than 2 usable DSRTs
        (or a single velocity) ``estimable`` is False and ``note`` says why; ``warnings`` empty
        when every gate passed.

    Notes
    -----
    ``DSRT_i = TSRT - mu v_i + e_i`` by ordinary least squares; intervals ``b +- t(1 - a/2, n - 2) SE``
    (Levin & Feldman 1994; Calota et al. 2008).

    Examples
    --------
    >>> r = tsrt(velocities_deg_s=[30, 60, 90, 120], dsrt_deg=[95, 89, 83, 77], joint_range_deg=(80, 160))
    >>> round(r.tsrt_deg, 3), round(r.mu_s, 3), r.position, r.warnings
    (101.0, 0.2, 'within', ())
    >>> two = tsrt(velocities_deg_s=[30, 120], dsrt_deg=[107, 98], lenient=True)
    >>> from myoreflex.measures.gates import gate_names
    >>> gate_names(two.warnings)
    ['stretch_count']
    """
    if not 0 < confidence < 1:
        raise ParameterError(describe("confidence", "a level in (0, 1)", confidence))
    if not (np.isfinite(latency_s) and 0 <= latency_s < 1.0):
        raise ParameterError(describe("latency_s", "a loop latency in [0, 1) s", latency_s))
    if stretches is not None:
        if velocities_deg_s is not None or dsrt_deg is not None:
            raise ParameterError(
                describe("tsrt arguments", "either stretches or velocities_deg_s and dsrt_deg", "both")
            )
        points = [dsrt(trial, latency_s=latency_s, **dsrt_options) for trial in stretches]
        # Velocity at the onset for the regression; the plateau velocity to name an excluded one.
        velocities = [p.plateau_velocity_deg_s if p.excluded else p.velocity_deg_s for p in points]
        angles = [p.dsrt_deg for p in points]
        reasons = [p.excluded for p in points]
        if joint_range_deg is None and points:
            ends = [a for p in points for a in (p.start_angle_deg, p.end_angle_deg)]
            joint_range_deg = (min(ends), max(ends))
    else:
        if velocities_deg_s is None or dsrt_deg is None or len(velocities_deg_s) != len(dsrt_deg):
            raise ParameterError(
                describe(
                    "velocities_deg_s and dsrt_deg",
                    "two sequences of equal length",
                    (velocities_deg_s, dsrt_deg),
                )
            )
        velocities = [float(v) for v in velocities_deg_s]
        angles = [None if a is None or not np.isfinite(a) else float(a) - v * latency_s
                  for a, v in zip(dsrt_deg, velocities)]
        reasons = [None if a is not None else "no EMG onset during the stretch" for a in angles]
    if len(velocities) == 0:
        raise ParameterError(describe("stretches", "at least one stretch", "none"))
    if joint_range_deg is not None:
        joint_range_deg = (float(min(joint_range_deg)), float(max(joint_range_deg)))
    used = [i for i, a in enumerate(angles) if a is not None]
    excluded = tuple(
        (i, float(velocities[i]), reasons[i] or "excluded") for i, a in enumerate(angles) if a is None
    )
    x = np.array([velocities[i] for i in used], dtype=float)
    y = np.array([angles[i] for i in used], dtype=float)
    # The gates, on what the result rests on: the DSRTs regressed, or every stretch without any.
    support = x if used else np.array(velocities, dtype=float)
    fastest = float(np.max(np.abs(support)))
    span = 100.0 * float(np.ptp(support)) / fastest if fastest > 0 else 0.0
    names = [f"`{t.source}`" for t in stretches] if stretches is not None else ["velocities_deg_s and dsrt_deg"]
    where = "stretches " + ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "") \
        if stretches is not None else names[0]
    kind = "DSRTs" if used else "stretches, none with a DSRT"
    warnings = evaluate(where, [
        GATES["stretch_count"].result(int(support.size), f"{support.size} {kind}"),
        GATES["velocity_span"].result(span, f"{span:.0f}% ({np.min(support):.0f} to {np.max(support):.0f} deg/s)"),
    ], lenient=lenient)
    base = {
        "n_stretches": len(used),
        "n_excluded": len(excluded),
        "range_deg": joint_range_deg,
        "velocities_deg_s": tuple(x.tolist()),
        "dsrt_deg": tuple(y.tolist()),
        "excluded": excluded,
        "confidence": confidence,
        "warnings": warnings,
        "latency_s": latency_s,
    }

    def not_estimable(note, outside, position):
        return ThresholdMeasures(
            None,
            None,
            None,
            None,
            None,
            outside_range=outside,
            position=position,
            estimable=False,
            note=note,
            **base,
        )

    if len(used) == 0:
        # Beyond the range in the stretch's direction: above it when stretching raises the angle,
        # below it when it lowers it (a knee-extension recording, stretch_direction -1).
        beyond = "below" if float(np.median(velocities)) < 0 else "above"
        return not_estimable(
            "no EMG onset while stretching at any velocity: the stretch reflex threshold lies "
            f"beyond the tested range (TSRT {beyond} the range, not estimable)",
            True,
            beyond,
        )
    if len(used) == 1:
        return not_estimable(
            "one DSRT only: TSRT not estimable (needs stretches at 2 or more velocities with an onset)",
            None,
            None,
        )
    if np.ptp(x) <= 1e-9 * max(1.0, float(np.max(np.abs(x)))):
        return not_estimable(
            "all DSRTs at a single velocity: TSRT not estimable (vary the stretch velocity)", None, None
        )
    n = x.size
    x_mean = float(x.mean())
    sxx = float(np.sum((x - x_mean) ** 2))
    slope = float(np.sum((x - x_mean) * (y - y.mean())) / sxx)
    intercept = float(y.mean() - slope * x_mean)
    fitted = intercept + slope * x
    ss_res = float(np.sum((y - fitted) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    tsrt_ci = mu_ci = None
    note = f"{n} DSRTs regressed on velocity"
    if n > 2:
        s = np.sqrt(ss_res / (n - 2))
        t_crit = float(stats.t.ppf(0.5 + confidence / 2, n - 2))
        se_intercept = s * np.sqrt(1.0 / n + x_mean**2 / sxx)
        se_slope = s / np.sqrt(sxx)
        tsrt_ci = (float(intercept - t_crit * se_intercept), float(intercept + t_crit * se_intercept))
        mu_ci = (float(-slope - t_crit * se_slope), float(-slope + t_crit * se_slope))
    else:
        note += "; two points leave no degrees of freedom: no confidence intervals"
    outside = position = None
    if joint_range_deg is not None:
        position = _position(intercept, *joint_range_deg)
        outside = position != "within"
        if outside:
            lo, hi = joint_range_deg
            note += f"; TSRT lies {position} the tested range {lo:.1f}-{hi:.1f} deg"
    return ThresholdMeasures(
        intercept,
        -slope,
        tsrt_ci,
        mu_ci,
        r_squared,
        outside_range=outside,
        position=position,
        estimable=True,
        note=note,
        **base,
    )


measure = tsrt
"""The measure of a series of stretches: :func:`tsrt` (the same function)."""
