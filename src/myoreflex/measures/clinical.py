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
Two catch angles, both reported whenever the recording allows (``emg_onset_deg`` and
``mechanical_catch_deg``): the EMG-onset angle, the DSRT of the fastest stretch, the angle at EMG
onset of the stretched muscle while stretching (:func:`myoreflex.measures.threshold.dsrt`, the one
reflex-onset angle of myoreflex); and the mechanical catch angle, the first angle at which the
neural resistance (:func:`myoreflex.measures.decomposition.resistance_residual`: fast torque less
the slow, elastic curve, less the inertial and viscous parts) exceeds ``neural_threshold_nm``. The
EMG onset comes first: the reflex torque follows its EMG by the electromechanical delay and needs
time to build up, so at V3 the mechanical catch lies further into the range. The clinician's R1 is
the angle where the catch is FELT (ANCHORS 10), i.e. the mechanical one; R1 here is the one chosen
by ``catch=``: ``"emg_onset"`` (default, kept for continuity; it precedes the felt catch) or
``"torque_rise"`` (the mechanical catch; use it when there is no EMG).
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

Neural threshold per joint
--------------------------
The one published neural cut-off is the wrist's: Pennati et al. 2016, 3.5 N at the NeuroFlexor
hand platform (ANCHORS 5.2), 0.33 N m at the assumed 0.095 m lever arm
(:data:`DEFAULT_NEURAL_THRESHOLD_NM`). No cut-off in N m is sourced for the elbow, knee or ankle
(the NeuroFlexor foot module's is not in ANCHORS 5.2). ``neural_threshold_nm=None`` (default)
therefore SCALES the wrist number by the size of the joint, a labelled assumption of ours: the
reflex torque a muscle can add is a fraction of its maximal moment, so the cut-off is scaled by
the stretched muscle's maximal isometric moment ``F_max x moment arm`` from
:func:`myoreflex.model.default_params` of the joint (whose muscle parameters carry their sources)
over the wrist's (:func:`neural_threshold_nm_for`): with the presets at the time of writing, elbow x5.4
(1.8 N m), knee x13 (4.4 N m), ankle x17 (5.5 N m). A Trial without ``joint`` metadata gets the
wrist number. Pass a number to override; the record says which was used.

Ashworth-like grades
--------------------
Pendulum: the Popovic-Maneski et al. 2018 PT score ``PT = sum_j |P_j - P_Hj| / (7 P_Hj)`` over
their seven parameters, mapped to MAS by their thresholds (ANCHORS 4.1, from a public
implementation, cekennedy04/Pendulastic ``pendulastic_pt_score.py``; paper values unverified):
PT <= 0.12 -> 0, <= 0.28 -> 1, <= 0.44 -> 1+, <= 0.60 -> 2, <= 0.78 -> 3, else 4. Of the seven,
six are computed (:func:`pendulum_parameters`, from :func:`myoreflex.measures.pendulum.measure`
and the angle trace), with the definitions of that implementation:

- R2n, number of oscillations N, omega_max / A0 (peak angular velocity over the plateau amplitude,
  1/s) and the frequency f = 1 / first period, from :func:`myoreflex.measures.pendulum.measure`;
- A2/A0: the largest return towards the start (above the plateau) within 1.5 periods after the
  first flexion peak, over A0 (``phi_max_ratio`` there);
- area ratio ``|P+ - P-| / (P+ + P-)``: the areas of the angle above and below the plateau from
  the release to the end of the recording; scored only above its reference (:data:`ONE_SIDED`).

The seventh, omega_min / A0 (the smallest angular speed while the leg is more than 1 deg from the
plateau), is NOT used: the angular velocity passes through zero at every reversal, where the leg
is far from the plateau, so that minimum is 0 in continuous time and on a sampled trace measures
the sampling, not the leg (the implementation's healthy reference is 0.002 1/s, "near-zero by
physics"). Its term is 0 and the published 1/7 weighting is kept, so the score is a lower bound of
the seven-parameter score by at most that term.

Healthy references (:data:`POPOVIC_HEALTHY`) come in two sets, both quoted in ANCHORS 4.1 or that
implementation: the literature values (R2n 0.91, N 8, omega_max / A0 4.5 1/s) and that
implementation's 13 controls (R2n 1.012, N 7, omega_max / A0 5.692 1/s, f 1.10 Hz, A2/A0 0.787,
area ratio 0.09; :data:`POPOVIC_CONTROLS`). The grade uses the literature set (f 1.0 Hz, the middle
of 0.9-1.1 Hz; the controls' values for A2/A0 and the area ratio, which the literature set lacks);
the grade under the controls' set is also computed, and the two bound the reported grade interval
(``grade_low``, ``grade_high``): how much the grade depends on which healthy reference is right.

Instrumented stretch: a HEURISTIC rule of ours, not validated against MAS (NeuroFlexor NC agreed
poorly with MAS: Pennati et al. 2016, ANCHORS 5.2): NC <= threshold -> 0; otherwise by the
fraction ``f`` of the range left after the catch (R1 of the fastest stretch; 1 without a catch):
f <= 0.25 -> 1 ("catch at the end of the range"), f <= 0.5 -> 1+ ("catch, then resistance through
less than half the range"), else 2 ("through most of the range"), and 3 when also NC >= 3 x
threshold ("considerable increase"). 4 (rigid) is not derivable from a motor-driven stretch. The
grade interval (``grade_low``, ``grade_high``) is the rule applied at both ends of the neural
component's 95 % interval when the fast Trial holds repeated stretches
(:mod:`myoreflex.measures.decomposition`, module notes), and at the one NC otherwise.

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
    decompose,
    resistance_residual,
    segment_stretches,
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
THRESHOLD_REFERENCE_JOINT = "wrist"


def _max_moment(joint: str) -> float:
    from myoreflex.model import default_params  # the model is only needed for this scaling

    params = default_params(joint)
    return float(params.agonist.max_isometric_force) * abs(float(params.agonist_geometry.moment_arm))


def neural_threshold_nm_for(joint: str | None) -> tuple[float, str]:
    """Neural resistance counted as abnormal at ``joint`` (N m), and how it was obtained.

    The wrist's Pennati et al. 2016 cut-off (:data:`DEFAULT_NEURAL_THRESHOLD_NM`) times the
    stretched muscle's maximal isometric moment at ``joint`` over the wrist's (a labelled scaling
    by the joint's size, module notes); ``None`` or ``"wrist"`` gives the wrist number.

    Examples
    --------
    >>> value, how = neural_threshold_nm_for("elbow")
    >>> value > DEFAULT_NEURAL_THRESHOLD_NM, how.startswith("SCALED")
    (True, True)
    >>> neural_threshold_nm_for(None)[0] == DEFAULT_NEURAL_THRESHOLD_NM
    True
    """
    if joint is None or joint == THRESHOLD_REFERENCE_JOINT:
        how = "Pennati et al. 2016 wrist cut-off, 3.5 N at 0.095 m (ANCHORS 5.2)"
        return DEFAULT_NEURAL_THRESHOLD_NM, how if joint else how + "; the Trial names no joint"
    try:
        scale = _max_moment(joint) / _max_moment(THRESHOLD_REFERENCE_JOINT)
    except (ParameterError, KeyError, ValueError) as exc:
        raise ParameterError(describe("joint", "a joint with a preset (wrist, elbow, knee, ankle)", joint,
                                      f"pass neural_threshold_nm ({exc})")) from None
    how = (
        f"SCALED (assumption): the wrist cut-off 0.33 N m (Pennati et al. 2016) x {scale:.2f}, the {joint}'s maximal "
        "isometric moment (F_max x moment arm of default_params) over the wrist's"
    )
    return DEFAULT_NEURAL_THRESHOLD_NM * scale, how

RELEASE_FRACTION = 0.2  # a release: the neural resistance falls by 20 % of its rise after the catch
CLONUS_BAND_HZ = (3.0, 12.0)
"""Hz: clonus beats lie 1/12-1/3 s apart. Published ankle clonus runs at 3-8 Hz (Rack et al. 1984:
3-7 Hz with loads; Wallace et al. 2005: 4.7-7.0 Hz in SCI), widened to 12 Hz: a generous band."""
CLONUS_MIN_PEAKS = 4  # 3 cycles
CLONUS_PROMINENCE = 0.25  # of the largest excursion after the catch
UNFATIGABLE_CLONUS_S = 10.0  # Tardieu quality 4: clonus lasting more than 10 s
CLONUS_ENVELOPE_HZ = 50.0
"""Low-pass corner (Hz) of the envelope of an EMG in V searched for clonus: the Hodges & Bui 1996
corner of :mod:`myoreflex.measures.emg`, far above the 3-12 Hz beats it must keep."""

PENDULASTIC = "cekennedy04/Pendulastic pendulastic_pt_score.py (control medians, n = 13) [V-code]"

#: Healthy references of the pendulum parameters used in the PT score (ANCHORS 4.1; module notes).
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
    "return_ratio": (0.787, PENDULASTIC + "; A2/A0, no literature value quoted"),
    "area_ratio": (0.09, PENDULASTIC + "; |P+ - P-| / P_total, no literature value quoted"),
}
#: The other healthy reference set: the Pendulastic controls for every parameter (module notes).
POPOVIC_CONTROLS: Mapping[str, tuple[float, str]] = {
    "r2n": (1.012, PENDULASTIC + " (ANCHORS 4.1: 1.01)"),
    "n_oscillations": (7.0, PENDULASTIC + " (ANCHORS 4.1: 7)"),
    "peak_velocity_over_amplitude_1_s": (5.692, PENDULASTIC + " (ANCHORS 4.1: 5.7)"),
    "frequency_hz": (1.10, PENDULASTIC),
    "return_ratio": (0.787, PENDULASTIC),
    "area_ratio": (0.09, PENDULASTIC),
}
NOT_COMPUTED = {
    "omega_min_over_amplitude": (
        "the smallest angular speed more than 1 deg from the plateau is 0 at every reversal in continuous "
        "time: on a sampled trace it measures the sampling, not the leg (module notes)"
    ),
}
"""Popovic-Maneski parameters left out of the PT score, with why."""
ONE_SIDED = ("area_ratio",)
"""Parameters scored only above their reference: the area ratio's ideal is 0 (a balanced swing,
Popovic-Maneski 2018 via Pendulastic), so scored both ways around its 0.09 median a perfectly
balanced swing would add 1/7 = 0.14, above the MAS-0 bound by itself (Pendulastic scores it one-sided
too). The others keep the symmetric ``|P - P_H|`` of ANCHORS 4.1."""
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
    emg_onset_deg: float | None = None  # angle at EMG onset of the fastest stretch (DSRT); None: no onset/EMG
    mechanical_catch_deg: float | None = None  # neural resistance above threshold; None: none or no torque pair
    neural_threshold_nm: float | None = None  # the threshold used
    threshold_source: str = ""


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
    grade_low: str | None = None  # interval of grades (module notes: what it spans, per rule)
    grade_high: str | None = None
    interval_note: str = ""


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
    neural_threshold_nm: float | None = None,
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
    neural_threshold_nm : float, optional
        Neural resistance counted as abnormal (N m); default :func:`neural_threshold_nm_for` of the
        fast Trial's joint (module notes).

    Returns
    -------
    TardieuMeasures
        Marked ``estimate=True`` with the disclaimer; X is None only when neither torque nor EMG
        allows a judgement. ``emg_onset_deg`` and ``mechanical_catch_deg`` are both given where
        the recording allows, whichever ``catch`` picks for R1.

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
    >>> round(r.emg_onset_deg, 1), r.mechanical_catch_deg > r.emg_onset_deg  # torque needs time to build
    (22.9, True)
    """
    catch_method = CATCH_METHODS.lookup(catch)
    ordered = _sorted_stretches(stretches)
    slow, fast = ordered[0], ordered[-1]
    if neural_threshold_nm is None:
        neural_threshold_nm, threshold_source = neural_threshold_nm_for(fast.joint)
    else:
        threshold_source = "given"
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
    emg_onset = _catch_emg(fast, muscle)[0] if has_emg else None
    mechanical = (
        _catch_torque(fast, muscle, residual=residual, threshold=neural_threshold_nm)[0]
        if residual is not None else None
    )
    onset = emg_onset is not None
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
        clonus_censored=censored, emg_onset_deg=emg_onset, mechanical_catch_deg=mechanical,
        neural_threshold_nm=neural_threshold_nm, threshold_source=threshold_source,
    )


def _grade(rank: int) -> str:
    return MAS_GRADES[rank]


def pendulum_parameters(trial: Trial, *, channel: str = "angle") -> dict[str, float | None]:
    """The six Popovic-Maneski PT-score parameters computable from a pendulum trace (module notes).

    Returns ``r2n``, ``n_oscillations``, ``peak_velocity_over_amplitude_1_s`` (1/s),
    ``frequency_hz`` (None without a full period), ``return_ratio`` (A2/A0) and ``area_ratio``;
    omega_min / A0 is not computed (:data:`NOT_COMPUTED`).

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 10, 1001)   # released 70 deg from rest, damped at 1 Hz
    >>> q = 70 * np.pi / 180 * (1 - np.exp(-0.6 * t) * np.cos(2 * np.pi * t))
    >>> p = pendulum_parameters(Trial(t, {"angle": Channel(q, "rad")}))
    >>> round(p["return_ratio"], 2), round(p["frequency_hz"], 2)   # A2/A0 = exp(-0.6 x 1 s)
    (0.55, 1.0)
    """
    metrics = pendulum.measure(trial, channel=channel)
    amplitude = metrics.plateau_amplitude_deg
    sign = 1.0 if metrics.start_angle_deg >= metrics.plateau_deg else -1.0
    t = trial.time
    phi = sign * (trial[channel] / DEG - metrics.plateau_deg)  # deg, + towards the start
    after = t >= metrics.release_time_s
    first_peak = metrics.release_time_s + metrics.time_to_first_peak_s
    span = 1.5 * metrics.period_s if metrics.period_s is not None else 2.5  # Pendulastic's window
    window = (t > first_peak) & (t <= first_peak + span)
    returned = float(np.max(phi[window])) if np.any(window) else 0.0
    def area(y, x):  # trapezoids (np.trapezoid needs numpy 2)
        return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))

    above = area(np.clip(phi[after], 0, None), t[after])
    below = area(np.clip(-phi[after], 0, None), t[after])
    return {
        "r2n": metrics.r2n,
        "n_oscillations": float(metrics.n_oscillations),
        "peak_velocity_over_amplitude_1_s": metrics.peak_velocity_deg_s / amplitude,
        "frequency_hz": None if metrics.period_s is None else 1.0 / metrics.period_s,
        "return_ratio": max(returned, 0.0) / amplitude,
        "area_ratio": float(abs(above - below) / (above + below)) if above + below > 0 else 1.0,
    }


def _score(values: Mapping[str, float | None], references: Mapping[str, tuple[float, str]]):
    score, used = 0.0, {}
    for name, (healthy, _) in references.items():
        value = values.get(name)
        if value is None:
            continue
        deviation = max(value - healthy, 0.0) if name in ONE_SIDED else abs(value - healthy)
        term = deviation / (POPOVIC_N_PARAMETERS * healthy)
        score += term
        used[name] = {"value": value, "healthy": healthy, "term": term}
    return score, used


def pendulum_pt_score(
    trial: Trial, *, channel: str = "angle", references: Mapping[str, tuple[float, str]] = POPOVIC_HEALTHY
) -> tuple[float, dict[str, Any]]:
    """Popovic-Maneski 2018 PT score from the six parameters of :func:`pendulum_parameters`.

    ``PT = sum_j |P_j - P_Hj| / (7 P_Hj)`` over ``references`` (omega_min / A0 is 0, see the
    module notes). Returns the score and the parameters used.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 10, 1001)
    >>> q = 70 * np.pi / 180 * (1 - np.exp(-0.6 * t) * np.cos(2 * np.pi * t))
    >>> score, used = pendulum_pt_score(Trial(t, {"angle": Channel(q, "rad")}))
    >>> len(used), score < POPOVIC_MAS_THRESHOLDS[0]
    (6, True)
    """
    return _score(pendulum_parameters(trial, channel=channel), references)


def _rank(score: float) -> int:
    return next(
        (i for i, bound in enumerate(POPOVIC_MAS_THRESHOLDS) if score <= bound), len(POPOVIC_MAS_THRESHOLDS)
    )


def _ashworth_pendulum(trial: Trial, *, channel: str = "angle") -> AshworthMeasures:
    values = pendulum_parameters(trial, channel=channel)
    score, used = _score(values, POPOVIC_HEALTHY)
    control_score, _ = _score(values, POPOVIC_CONTROLS)
    rank, control_rank = _rank(score), _rank(control_score)
    rule = (
        f"Popovic-Maneski 2018 PT score over {len(used)} of 7 parameters (omega_min/A0 not computable: 0, a "
        "lower bound); MAS 0/1/1+/2/3 up to PT 0.12/0.28/0.44/0.60/0.78, else 4"
    )
    return AshworthMeasures(
        _grade(rank),
        rank,
        rule,
        {"pt_score": score, "pt_score_controls": control_score, "parameters": used,
         "not_computed": dict(NOT_COMPUTED), "thresholds": POPOVIC_MAS_THRESHOLDS, "source": POPOVIC_2018},
        grade_low=_grade(min(rank, control_rank)),
        grade_high=_grade(max(rank, control_rank)),
        interval_note=(
            f"grades under the two healthy reference sets: literature {_grade(rank)} (PT {score:.3f}), "
            f"Pendulastic controls {_grade(control_rank)} (PT {control_score:.3f})"
        ),
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
    neural_threshold_nm: float | None = None,
    inertia_kg_m2: float | None = None,
) -> AshworthMeasures:
    """Ashworth-like grade from a slow and a fast stretch by a HEURISTIC rule (ESTIMATE, see module notes).

    ``0`` when the neural component is at or below ``neural_threshold_nm`` (default: the fast
    Trial's joint's, :func:`neural_threshold_nm_for`); else by the fraction of the range left
    after the catch: <= 1/4 -> 1, <= 1/2 -> 1+, more -> 2; 3 when also the neural component is at
    least 3 x the threshold. ``grade_low``/``grade_high``: the rule at both ends of the neural
    component's 95 % interval over repeated fast stretches (the one grade for a single stretch).

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
    if neural_threshold_nm is None:
        neural_threshold_nm, threshold_source = neural_threshold_nm_for(fast.joint)
    else:
        threshold_source = "given"
    residual = resistance_residual(slow, fast, inertia_kg_m2=inertia_kg_m2)
    decomposition = decompose(slow, fast, inertia_kg_m2=inertia_kg_m2, muscle=muscle)
    neural = decomposition.neural_nm
    first = residual.decomposition
    fast_one = segment_stretches(fast)[0]
    start = float(first.p0_angle_deg)
    end = float(np.max(fast_one["angle"]) / DEG)
    catch_deg, _ = catch_method.function(fast_one, muscle, residual=residual, threshold=neural_threshold_nm)
    left = 1.0 if catch_deg is None else (end - catch_deg) / (end - start)

    def rule_rank(nc: float) -> int:
        if nc <= neural_threshold_nm:
            return 0
        if left <= 0.25:
            return 1
        if left <= 0.5:
            return 2
        return 4 if nc >= 3 * neural_threshold_nm else 3

    rank = rule_rank(neural)
    if decomposition.neural_ci95_nm is not None:
        low, high = (rule_rank(v) for v in decomposition.neural_ci95_nm)
        interval_note = (
            f"the rule at the ends of the neural component's 95 % interval over {decomposition.n_stretches} "
            f"stretches ({decomposition.neural_ci95_nm[0]:.3f} to {decomposition.neural_ci95_nm[1]:.3f} N m)"
        )
    else:
        low = high = rank
        interval_note = "one fast stretch: no spread of the neural component to carry into an interval"
    rule = (
        "HEURISTIC (not validated): neural component vs threshold, then the fraction of the range after the "
        "catch (<= 1/4 -> 1, <= 1/2 -> 1+, else 2; 3 when NC >= 3 x threshold)"
    )
    inputs = {
        "neural_nm": neural,
        "neural_ci95_nm": decomposition.neural_ci95_nm,
        "neural_threshold_nm": neural_threshold_nm,
        "threshold_source": threshold_source,
        "catch_deg": catch_deg,
        "catch_method": catch,
        "range_deg": (start, end),
        "fraction_after_catch": left,
    }
    return AshworthMeasures(_grade(rank), rank, rule, inputs, grade_low=_grade(low), grade_high=_grade(high),
                            interval_note=interval_note)


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
