"""Clinical scales estimated from recordings: Tardieu angles and quality, an Ashworth-like grade.

Every result here is an ESTIMATE of a clinician's score computed from signals (``estimate=True``)
and carries the disclaimer "research and teaching tool, not a medical device". The scales are
defined in ANCHORS 10:

- **Modified Tardieu**: R1 = angle of catch at the fastest velocity (V3), R2 = passive range at the
  slowest (V1), dynamic component R2 - R1; quality X: 0 no resistance, 1 slight resistance without
  a clear catch, 2 clear catch at a precise angle then release, 3 fatigable clonus (< 10 s), 4
  unfatigable clonus (> 10 s), 5 joint immobile.
- **Modified Ashworth (Bohannon & Smith 1987)**: 0, 1, 1+, 2, 3, 4 (ranks 0..5).

What is derivable from an instrumented stretch, and how
--------------------------------------------------------
R1 ("catch"): with ``catch="emg_onset"`` (default) the DSRT of the fastest stretch, the angle at
EMG onset of the stretched muscle while stretching (:func:`myoreflex.measures.threshold.dsrt`, the
one reflex-onset angle of myoreflex): the catch is the stretch reflex; with
``catch="torque_rise"`` the first angle at which the neural resistance
(:func:`myoreflex.measures.decomposition.resistance_residual`: fast torque less the slow, elastic
curve, less the viscous part) exceeds ``neural_threshold_nm``; use it when there is no EMG.
R2: the largest angle reached in the slowest stretch. A motor-driven stretch reaches the range the
device was set to, so R2 there is the programmed end unless the device stops on a torque limit.
Angles are in the Trial's convention (deg; positive stretches the tested muscle).

Quality X, from the fastest stretch:

- resistance = the neural component (:func:`myoreflex.measures.decomposition.decompose` of
  slowest vs fastest) above ``neural_threshold_nm``, or an EMG onset while stretching;
- 0: no resistance; 1: resistance without a clear catch;
- 2: a catch followed by release: after the catch the neural resistance peaks, then falls by at
  least 20 % of its rise while the joint is still moving at speed (a constant-velocity motor
  cannot be stopped by a catch, so the release is how a catch shows in torque); the last part of
  the plateau, as long as the acceleration took, is left out (deceleration inertia);
- 3 / 4: clonus: at least 4 successive peaks (3 cycles) of the EMG envelope (or, without EMG, of
  the neural resistance) at 3-12 Hz after the catch, each rising by at least 25 % of the largest
  excursion; lasting 10 s or less -> 3, more -> 4. When the clonus is still going at the end of
  the recording and has lasted less than 10 s, X = 3 with ``clonus_censored=True`` (fatigable or
  not cannot be told);
- 5 (joint immobile) is not derivable from a motor-driven stretch (the motor imposes the movement)
  and is never returned.

``neural_threshold_nm`` defaults to :data:`DEFAULT_NEURAL_THRESHOLD_NM`, the Pennati et al. 2016
neural cut-off (3.5 N) at the assumed NeuroFlexor lever arm (0.095 m): 0.33 N m. It is a wrist
number; for other joints pass one.

Ashworth-like grades
--------------------
Pendulum: the Popovic-Maneski et al. 2018 PT score ``PT = sum_j |P_j - P_Hj| / (7 P_Hj)`` over
their seven parameters, mapped to MAS by their thresholds (ANCHORS 4.1, from a public
implementation; paper values unverified): PT <= 0.12 -> 0, <= 0.28 -> 1, <= 0.44 -> 1+, <= 0.60
-> 2, <= 0.78 -> 3, else 4. We compute the four parameters that :func:`myoreflex.measures.pendulum.
measure` gives and for which ANCHORS 4.1 has a healthy reference (:data:`POPOVIC_HEALTHY`): R2n
(0.91), number of oscillations N (8), peak angular velocity over the plateau amplitude
omega_max / A0 (4.5 1/s) and the oscillation frequency f = 1 / first period (1.0 Hz, the middle
of 0.9-1.1 Hz). The other three (A2/A0, omega_min/A0, area ratio) have no sourced healthy value
here; they enter as 0, so the score is a lower bound of the full seven-parameter score (the
published 1/7 weighting is kept so that the thresholds keep their meaning).

Instrumented stretch: a HEURISTIC rule of ours, not validated against MAS (NeuroFlexor NC agreed
poorly with MAS: Pennati et al. 2016, ANCHORS 5.2): NC <= threshold -> 0; otherwise by the
fraction ``f`` of the range left after the catch (R1 of the fastest stretch; 1 without a catch):
f <= 0.25 -> 1 ("catch at the end of the range"), f <= 0.5 -> 1+ ("catch, then resistance through
less than half the range"), else 2 ("through most of the range"), and 3 when also NC >= 3 x
threshold ("considerable increase"). 4 (rigid) is not derivable from a motor-driven stretch.

The measure of a stretch series is :func:`measure` (also named :func:`tardieu`), returning a
:class:`TardieuMeasures` record; the Ashworth-like grades are :class:`AshworthMeasures` records,
their rules in :data:`ASHWORTH_RULES`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.signal import find_peaks

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Method, Record, pendulum
from myoreflex.measures.decomposition import (
    NEUROFLEXOR_LEVER_ARM_M,
    PENNATI_CUTOFFS_N,
    resistance_residual,
    stretch_phases,
)
from myoreflex.measures.emg import emg_clean, emg_envelope
from myoreflex.measures.threshold import dsrt
from myoreflex.registry import Registry
from myoreflex.trial import Trial
from myoreflex.units import DEG

DISCLAIMER = "research and teaching tool, not a medical device"
TARDIEU = "Tardieu 1954; Boyd & Graham 1999 (Modified Tardieu Scale), ANCHORS 10"
BOHANNON_SMITH = "Bohannon & Smith 1987 Phys Ther 67:206 (Modified Ashworth Scale), ANCHORS 10"
POPOVIC_2018 = (
    "Popovic-Maneski et al. 2018 (pendulum-test PT score and MAS mapping), as implemented in "
    "cekennedy04/Pendulastic; ANCHORS 4.1, paper values unverified"
)

MAS_GRADES = ("0", "1", "1+", "2", "3", "4")
"""Modified Ashworth grades in order; the rank of a grade is its index (ordinal, ANCHORS 10)."""

DEFAULT_NEURAL_THRESHOLD_NM = PENNATI_CUTOFFS_N["neural"] * NEUROFLEXOR_LEVER_ARM_M
"""Neural resistance counted as abnormal (N m): Pennati's 3.5 N at 0.095 m, 0.33 N m (a wrist number)."""

RELEASE_FRACTION = 0.2  # a release: the neural resistance falls by 20 % of its rise after the catch
CLONUS_BAND_HZ = (3.0, 12.0)  # ankle clonus beats at ~5-8 Hz; a generous band
CLONUS_MIN_PEAKS = 4  # 3 cycles
CLONUS_PROMINENCE = 0.25  # of the largest excursion after the catch
UNFATIGABLE_CLONUS_S = 10.0  # Tardieu quality 4: clonus lasting more than 10 s
CLONUS_ENVELOPE_HZ = 50.0
"""Low-pass corner (Hz) of the envelope of an EMG in V searched for clonus: the Hodges & Bui 1996
corner of :mod:`myoreflex.measures.emg`, far above the 3-12 Hz beats it must keep."""

#: Healthy references of the pendulum parameters used in the PT score (ANCHORS 4.1).
POPOVIC_HEALTHY: Mapping[str, tuple[float, str]] = {
    "r2n": (0.91, "literature value quoted with Popovic-Maneski 2018 (ANCHORS 4.1)"),
    "n_oscillations": (8.0, "literature value quoted with Popovic-Maneski 2018 (ANCHORS 4.1)"),
    "peak_velocity_over_amplitude_1_s": (
        4.5,
        "literature value quoted with Popovic-Maneski 2018 (ANCHORS 4.1)",
    ),
    "frequency_hz": (
        1.0,
        (
            "middle of 0.9-1.1 Hz in 13 controls (Pendulastic, ANCHORS 4.1); cf. 0.95 Hz computed "
            "for the tutorial leg (ANCHORS 4.3)"
        ),
    ),
}
POPOVIC_N_PARAMETERS = 7
#: PT score upper bounds of MAS 0, 1, 1+, 2, 3 (Popovic-Maneski 2018 via ANCHORS 4.1); above: 4.
POPOVIC_MAS_THRESHOLDS = (0.12, 0.28, 0.44, 0.60, 0.78)


@dataclasses.dataclass(frozen=True)
class TardieuMeasures(Record):
    """Tardieu angles (deg, Trial convention) and quality X, estimated from instrumented stretches."""

    r1_deg: float | None
    r2_deg: float
    dynamic_component_deg: float | None
    quality_x: int | None
    quality_reason: str
    catch_method: str
    fastest_velocity_deg_s: float
    slowest_velocity_deg_s: float
    neural_nm: float | None
    clonus_duration_s: float | None
    clonus_censored: bool
    estimate: bool = True
    disclaimer: str = DISCLAIMER
    reference: str = TARDIEU


@dataclasses.dataclass(frozen=True)
class AshworthMeasures(Record):
    """An Ashworth-like grade (MAS 0/1/1+/2/3/4) computed by ``rule`` from a recording: an ESTIMATE."""

    grade: str
    rank: int
    rule: str
    inputs: Mapping[str, Any]
    estimate: bool = True
    disclaimer: str = DISCLAIMER
    reference: str = BOHANNON_SMITH


def _velocity(trial: Trial) -> float:
    return stretch_phases(trial).plateau_velocity / DEG


def _sorted_stretches(stretches: Sequence[Trial]) -> list[Trial]:
    stretches = list(stretches)
    if not stretches:
        raise ParameterError(describe("stretches", "at least one stretch Trial", "none"))
    return sorted(stretches, key=_velocity)


def _catch_emg(fast: Trial, muscle: str | None, **_) -> tuple[float | None, int | None]:
    point = dsrt(fast, muscle=muscle)
    if point.dsrt_deg is None:
        return None, None
    return point.dsrt_deg, int(np.searchsorted(fast.time, point.onset_s))


def _catch_torque(fast: Trial, muscle: str | None, *, residual, threshold: float, **_):
    if residual is None:
        raise RecordingError(
            describe(
                "torque catch",
                "a slow and a fast stretch (for the elastic curve)",
                "one stretch",
                'use catch="emg_onset"',
            )
        )
    phases = residual.phases
    at_speed = slice(phases.p1 - phases.p0, phases.end - phases.p0 + 1)
    above = np.flatnonzero(residual.neural[at_speed] > threshold)
    if above.size == 0:
        return None, None
    i = int(above[0]) + at_speed.start
    return float(residual.angle[i] / DEG), i + phases.p0


CATCH_METHODS = Registry("Tardieu catch", {
    "emg_onset": Method(_catch_emg, "DSRT: angle at EMG onset (Levin & Feldman 1994; ANCHORS 6)"),
    "torque_rise": Method(_catch_torque, "neural resistance above threshold (NeuroFlexor-style residual)"),
})
"""``catch=`` choices for the Tardieu R1, each a :class:`~myoreflex.measures.Method`."""


def _clonus(trial: Trial, start: int, residual, muscle: str | None) -> tuple[float | None, bool]:
    """Longest run of 3-12 Hz peaks after ``start``: (duration s, still going at the end) or (None, False)."""
    t = trial.time
    names = trial.emg_names()
    if names:
        channel = trial.channel(f"emg_{muscle or names[0]}")
        signal = channel.values
        if channel.unit != "1":
            rate = trial.sampling_rate
            signal = emg_envelope(emg_clean(signal, rate), rate, cutoff_hz=CLONUS_ENVELOPE_HZ)
        signal, time = signal[start:], t[start:]
    elif residual is not None:
        offset = start - residual.phases.p0
        signal, time = residual.neural[max(offset, 0) :], residual.time[max(offset, 0) :]
    else:
        return None, False
    if signal.size < 4:
        return None, False
    excursion = float(np.max(signal) - np.min(signal))
    if excursion <= 0:
        return None, False
    dt = float(np.median(np.diff(time)))
    peaks, _ = find_peaks(
        signal, prominence=CLONUS_PROMINENCE * excursion, distance=max(1, int(1.0 / (CLONUS_BAND_HZ[1] * dt)))
    )
    if peaks.size < CLONUS_MIN_PEAKS:
        return None, False
    gaps = np.diff(time[peaks])
    ok = (gaps >= 1.0 / CLONUS_BAND_HZ[1]) & (gaps <= 1.0 / CLONUS_BAND_HZ[0])
    best, best_end, run = 0, 0, 0
    for i, flag in enumerate(ok):
        run = run + 1 if flag else 0
        if run > best:
            best, best_end = run, i + 1
    if best + 1 < CLONUS_MIN_PEAKS:
        return None, False
    first, last = peaks[best_end - best], peaks[best_end]
    duration = float(time[last] - time[first])
    censored = bool(time[-1] - time[last] < 2.0 / CLONUS_BAND_HZ[0])
    return duration, censored


def _release(residual, catch_index: int | None, threshold: float) -> bool:
    if residual is None or catch_index is None:
        return False
    phases = residual.phases
    # The last samples of the plateau carry the deceleration's inertial torque (a drop that is not
    # a release): leave out as many as the acceleration took (P0 -> P1).
    guard = phases.p1 - phases.p0
    i0 = max(catch_index, phases.p1) - phases.p0
    i1 = phases.p2 - guard - phases.p0
    if i1 - i0 < 3:
        return False
    segment = residual.neural[i0 : i1 + 1]
    peak = int(np.argmax(segment))
    rise = float(segment[peak] - segment[0])
    if rise <= threshold or peak >= segment.size - 2:
        return False
    return bool(np.min(segment[peak:]) <= segment[peak] - RELEASE_FRACTION * rise)


def tardieu(
    stretches: Sequence[Trial],
    *,
    catch: str = "emg_onset",
    muscle: str | None = None,
    neural_threshold_nm: float = DEFAULT_NEURAL_THRESHOLD_NM,
    inertia_kg_m2: float | None = None,
) -> TardieuMeasures:
    """Tardieu R1, R2, R2 - R1 and quality X estimated from stretches at several velocities.

    Parameters
    ----------
    stretches : sequence of Trial
        Stretches of one joint (``angle``, ``torque``, ``emg_<muscle>``); the slowest gives R2 and
        the elastic curve, the fastest R1 and X. One stretch, or stretches without torque, are
        accepted (R1, R2 and X from the EMG, no neural component).
    catch : {"emg_onset", "torque_rise"}
        How R1 is found (:data:`CATCH_METHODS`).
    neural_threshold_nm : float
        Neural resistance counted as abnormal (N m).

    Returns
    -------
    TardieuMeasures
        Marked ``estimate=True`` with the disclaimer; X is None only when neither torque nor EMG
        allows a judgement.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> def ramp(v, reflex):  # 0 -> 1 rad at v rad/s; reflex EMG and torque from 0.4 rad when fast
    ...     t = np.linspace(0, 1.0 + 1 / v, 3001)
    ...     q = np.clip((t - 0.5) * v, 0, 1)
    ...     on = reflex * (q > 0.4)
    ...     torque = q + on * 2.0 * (q - 0.4)
    ...     return Trial(t, {"angle": Channel(q, "rad"), "torque": Channel(torque, "N m"),
    ...                      "emg_flexors": Channel(0.2 * on, "1")})
    >>> r = tardieu([ramp(0.2, False), ramp(4.0, True)])
    >>> round(r.r1_deg, 1), round(r.r2_deg, 1), r.quality_x, r.estimate
    (22.9, 57.3, 1, True)
    """
    catch_method = CATCH_METHODS.lookup(catch)
    ordered = _sorted_stretches(stretches)
    slow, fast = ordered[0], ordered[-1]
    residual = None
    neural = None
    with_torque = "torque" in slow and "torque" in fast
    if len(ordered) > 1 and with_torque and _velocity(fast) > _velocity(slow):
        residual = resistance_residual(slow, fast, inertia_kg_m2=inertia_kg_m2)
        neural = residual.decomposition.neural_nm
    has_emg = bool(fast.emg_names())
    if catch == "emg_onset" and not has_emg:
        raise RecordingError(
            describe(
                f"`{fast.source}`",
                'an emg_<muscle> channel for catch="emg_onset"',
                "none",
                'use catch="torque_rise"',
            )
        )
    r1, catch_index = catch_method.function(fast, muscle, residual=residual, threshold=neural_threshold_nm)
    r2 = float(np.max(slow["angle"]) / DEG)
    onset = r1 is not None if catch == "emg_onset" else (has_emg and _catch_emg(fast, muscle)[0] is not None)
    resisting = (neural is not None and neural > neural_threshold_nm) or bool(onset)
    clonus_s, censored = (None, False)
    if catch_index is not None:
        clonus_s, censored = _clonus(fast, catch_index, residual, muscle)
    if neural is None and not has_emg:
        x, reason = None, "no EMG and a single stretch: neither reflex nor neural resistance can be judged"
    elif not resisting:
        x, reason = 0, "no EMG onset while stretching and neural resistance at or below threshold"
    elif clonus_s is not None:
        if clonus_s > UNFATIGABLE_CLONUS_S:
            x, reason = 4, f"clonus for {clonus_s:.1f} s (> 10 s) after the catch"
        elif censored:
            x, reason = (
                3,
                (
                    f"clonus for at least {clonus_s:.1f} s, still present when the recording ended: "
                    "fatigable or not cannot be told"
                ),
            )
        else:
            x, reason = 3, f"clonus for {clonus_s:.1f} s (< 10 s) after the catch"
    elif _release(residual, catch_index, neural_threshold_nm):
        x, reason = 2, "catch then release of the neural resistance while still moving"
    else:
        x, reason = 1, "resistance (reflex or neural component) without catch-and-release or clonus"
    return TardieuMeasures(
        r1_deg=r1, r2_deg=r2, dynamic_component_deg=None if r1 is None else r2 - r1, quality_x=x,
        quality_reason=reason, catch_method=catch, fastest_velocity_deg_s=_velocity(fast),
        slowest_velocity_deg_s=_velocity(slow), neural_nm=neural, clonus_duration_s=clonus_s,
        clonus_censored=censored,
    )


def _grade(rank: int) -> str:
    return MAS_GRADES[rank]


def pendulum_pt_score(
    trial: Trial, *, channel: str = "angle", references: Mapping[str, tuple[float, str]] = POPOVIC_HEALTHY
) -> tuple[float, dict[str, Any]]:
    """Popovic-Maneski 2018 PT score from the parameters computable by :func:`pendulum.measure`.

    ``PT = sum_j |P_j - P_Hj| / (7 P_Hj)`` over ``references`` (the other of the seven terms are
    0, see the module notes). Returns the score and the parameters used.
    """
    metrics = pendulum.measure(trial, channel=channel)
    values = {
        "r2n": metrics.r2n,
        "n_oscillations": float(metrics.n_oscillations),
        "peak_velocity_over_amplitude_1_s": metrics.peak_velocity_deg_s / metrics.plateau_amplitude_deg,
        "frequency_hz": None if metrics.period_s is None else 1.0 / metrics.period_s,
    }
    score = 0.0
    used = {}
    for name, (healthy, _) in references.items():
        value = values.get(name)
        if value is None:
            continue
        term = abs(value - healthy) / (POPOVIC_N_PARAMETERS * healthy)
        score += term
        used[name] = {"value": value, "healthy": healthy, "term": term}
    return score, used


def _ashworth_pendulum(trial: Trial, *, channel: str = "angle") -> AshworthMeasures:
    score, used = pendulum_pt_score(trial, channel=channel)
    rank = next(
        (i for i, bound in enumerate(POPOVIC_MAS_THRESHOLDS) if score <= bound), len(POPOVIC_MAS_THRESHOLDS)
    )
    rule = (
        f"Popovic-Maneski 2018 PT score over {len(used)} of 7 parameters (others 0: a lower bound); "
        "MAS 0/1/1+/2/3 up to PT 0.12/0.28/0.44/0.60/0.78, else 4"
    )
    return AshworthMeasures(
        _grade(rank),
        rank,
        rule,
        {"pt_score": score, "parameters": used, "thresholds": POPOVIC_MAS_THRESHOLDS, "source": POPOVIC_2018},
    )


def ashworth_from_pendulum(trial: Trial, *, channel: str = "angle") -> AshworthMeasures:
    """Ashworth-like grade from a pendulum test by the Popovic-Maneski 2018 PT-score mapping (ESTIMATE).

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 10, 1001)   # a damped swing about 70 deg at 1 Hz, at rest by 10 s
    >>> q = 70 * np.pi / 180 * (1 - np.exp(-0.6 * t) * np.cos(2 * np.pi * t))
    >>> est = ashworth_from_pendulum(Trial(t, {"angle": Channel(q, "rad")}))
    >>> est.grade, est.estimate
    ('0', True)
    """
    return _ashworth_pendulum(trial, channel=channel)


def ashworth_from_stretch(
    slow: Trial,
    fast: Trial,
    *,
    catch: str = "emg_onset",
    muscle: str | None = None,
    neural_threshold_nm: float = DEFAULT_NEURAL_THRESHOLD_NM,
    inertia_kg_m2: float | None = None,
) -> AshworthMeasures:
    """Ashworth-like grade from a slow and a fast stretch by a HEURISTIC rule (ESTIMATE, see module notes).

    ``0`` when the neural component is at or below ``neural_threshold_nm``; else by the fraction of
    the range left after the catch: <= 1/4 -> 1, <= 1/2 -> 1+, more -> 2; 3 when also the neural
    component is at least 3 x the threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> def ramp(v, reflex):
    ...     t = np.linspace(0, 1.0 + 1 / v, 3001)
    ...     q = np.clip((t - 0.5) * v, 0, 1)
    ...     on = reflex * (q > 0.4)
    ...     return Trial(t, {"angle": Channel(q, "rad"), "torque": Channel(q + on * 2.0 * (q - 0.4), "N m"),
    ...                      "emg_flexors": Channel(0.2 * on, "1")})
    >>> ashworth_from_stretch(ramp(0.2, False), ramp(4.0, True)).grade
    '3'
    """
    catch_method = CATCH_METHODS.lookup(catch)
    residual = resistance_residual(slow, fast, inertia_kg_m2=inertia_kg_m2)
    neural = residual.decomposition.neural_nm
    phases = stretch_phases(fast)
    start = float(fast["angle"][phases.p0] / DEG)
    end = float(np.max(fast["angle"]) / DEG)
    catch_deg, _ = catch_method.function(fast, muscle, residual=residual, threshold=neural_threshold_nm)
    left = 1.0 if catch_deg is None else (end - catch_deg) / (end - start)
    if neural <= neural_threshold_nm:
        rank = 0
    elif left <= 0.25:
        rank = 1
    elif left <= 0.5:
        rank = 2
    elif neural >= 3 * neural_threshold_nm:
        rank = 4
    else:
        rank = 3
    rule = (
        "HEURISTIC (not validated): neural component vs threshold, then the fraction of the range after the "
        "catch (<= 1/4 -> 1, <= 1/2 -> 1+, else 2; 3 when NC >= 3 x threshold)"
    )
    inputs = {
        "neural_nm": neural,
        "neural_threshold_nm": neural_threshold_nm,
        "catch_deg": catch_deg,
        "catch_method": catch,
        "range_deg": (start, end),
        "fraction_after_catch": left,
    }
    return AshworthMeasures(_grade(rank), rank, rule, inputs)


ASHWORTH_RULES = Registry("Ashworth rule", {
    "popovic2018_pendulum": Method(ashworth_from_pendulum, POPOVIC_2018),
    "neural_component_heuristic": Method(
        ashworth_from_stretch, "heuristic of myoreflex; thresholds from Pennati et al. 2016 (ANCHORS 5.2)"
    ),
})
"""The Ashworth-like rules (a pendulum Trial, or a slow and a fast stretch), each a
:class:`~myoreflex.measures.Method`."""


measure = tardieu
"""The measure of a stretch series: :func:`tardieu` (the same function)."""
