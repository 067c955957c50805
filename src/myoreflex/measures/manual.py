"""Neural component of a hand-held (manual) stretch: the NeuroFlexor logic without a motor.

:func:`myoreflex.measures.decomposition.decompose` needs two isokinetic stretches (a motor at 5 and
236 deg/s) and reads the viscous component on the constant-velocity plateau. A stretch by hand (the
IPSA protocol of Bar-On et al. 2013: slow ``low`` and fast ``high`` stretches of the knee and ankle
in children with cerebral palsy) has a bell-shaped velocity, no plateau and no known inertia, and
its slow and fast stretches cover different ranges. :func:`decompose_manual` keeps the model of
Lindberg et al. 2011 (resistance = inertial + elastic + viscous + neural) and changes how each part
is removed, so that no device or limb constant is needed.

Formulas
--------
Angle, velocity and resistance (``torque``, else ``force``) are first oriented by the stretch
direction ``s`` (``trial.stretch_direction``; -1 for a knee extension in the myoreflex angle
convention): ``q = s angle``, ``w = s angular_velocity``, ``T = s torque``, so that the stretch
increases ``q`` and the resistance to it is positive. On the fast stretch:

    E(q)  slow stretch(es) of the same muscle as a function of angle: their samples from rest to
          hold_s after the stop, pooled, local linear fit within +-smoothing_deg (elastic and
          gravity torque; the slow stretch is taken as reflex-free, like the NeuroFlexor's 5 deg/s)
    r(t)  = T(t) - E(q(t))                       resistance above the slow curve
    W     = [rest before, stop + hold_s]         the movement is the run around the peak with
          w > 5 % of it; it starts at the last sample with w <= 0 (if within hold_s of that run)
    P     = the run around the peak with w >= 0.9 w_peak
    B     = max(0, <r>_P / <w>_P)                velocity-dependent resistance at peak velocity
    VC    = B <w>_W                              viscous component
    NC    = <r>_W - VC                           neural component
    EC    = E(q at the end of W) - E(q at its start)

``<f>_X`` is the time average over X (trapezoids; window ends interpolated between samples). Why:

- Inertia: ``<I q''>_X = I (w(end) - w(start)) / duration`` vanishes over any window that starts
  and ends at the same velocity, whatever ``I`` (work-energy theorem). ``W`` runs from rest to
  about rest and ``P`` from 0.9 w_peak to 0.9 w_peak, so the inertia of limb, load cell and hand,
  which a hand-held recording does not give, is not needed. The result records ``w`` at both ends
  of ``W``, so the residue can be bounded for any guess of ``I``.
- Viscosity: the NeuroFlexor reads VC at P1, after the acceleration and before the reflex adds
  torque (Lindberg et al. 2011, ANCHORS 5.1); here VC is read at peak velocity, where the
  acceleration is zero, and scaled by velocity over ``W``. Where the reflex already adds torque at
  peak velocity, B and VC are overestimated and NC underestimated (conservative): in CP1's knee
  stretches the lab's medial-hamstring onsets precede peak velocity by 55-115 ms, at the ankle
  they lie within 45 ms of it. ``B >= 0``: a passive damper only dissipates. B cannot be fitted on
  the slow stretches: at 15-35 deg/s the velocity term is lost in the trial-to-trial scatter (a
  least-squares fit on CP1's slow stretches gives -2.2 to +1.2 N m s/rad).
- Window: the reflex torque follows the EMG onset by the electromechanical delay and so falls
  largely at and just after the stop (the catch). ``hold_s`` (0.1 s, the reflex allowance of
  :func:`myoreflex.measures.emg.stretch_windows`) keeps it in ``W``; there ``w`` is about 0, so
  none of it is taken for VC.
- Range: ``W`` is cut to the angles where the slow curve is defined (at most ``smoothing_deg``
  beyond the slow samples).

Quality gates (:data:`GATES`, :mod:`myoreflex.measures.gates`; a failed gate raises
:class:`~myoreflex.errors.QualityGateError` naming the file and segment, or with ``lenient=True`` is
named in ``warnings``):

- ``same_joint``: every slow stretch is of the fast stretch's subject, joint, side and movement
  where both Trials' metadata give them (:data:`myoreflex.measures.decomposition.SAME_JOINT`): the
  slow curve is that muscle's passive resistance.
- ``angle_overlap``: at least ``min_overlap`` (50 %) of the fast excursion, peak velocity
  included, lies within the slow stretches' range (the cut ``W`` above). Why 50 %: NC is an
  average over ``W``; cut to half the excursion it still holds the peak-velocity window ``P`` and
  the stop, where the reflex torque falls (the CP1 recordings cover 85 % or more,
  tests/measures/test_ipsa_neural.py; the slow control that covers 32 % is refused). A stretch
  whose peak velocity lies outside the slow range has no ``P`` and cannot be measured even with
  ``lenient=True``.

NC also holds short-range stiffness (a yield force, not proportional to velocity, split between VC
and NC), stress relaxation after the stop, and the scatter of the slow curve itself (at the left
knee's end range of CP1 the three slow stretches differ by up to 4.4 N m at 60 deg). Components are
in the resistance's unit: N m from ``torque``, N from ``force`` (the hand-held load cell). With a
lever arm (argument, else ``trial.lever_arm_m``) torques are also given as forces at the load
cell, ``F = T / lever_arm``; Pennati et al. 2016's healthy NeuroFlexor values (wrist, ANCHORS 5.2)
do not transfer to the knee or ankle, so no cut-off is applied.

The measure is :func:`measure` (also named :func:`decompose_manual`), returning a
:class:`ManualMeasures` record.

References
----------
Lindberg PG et al. (2011). Validation of a new biomechanical model to measure muscle tone in spastic
muscles. Neurorehabil Neural Repair 25:617-625.
Pennati GV et al. (2016). J NeuroEng Rehabil 13:30 (NeuroFlexor healthy values).
Bar-On L et al. (2013). A clinical measurement to quantify spasticity in children with cerebral palsy
by integration of multidimensional signals. Gait Posture 38:141-147 (IPSA; spasticity from the change
in EMG and torque between slow and fast stretches; journal pages unverified; the formulas here are
ours, not theirs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Method, Record
from myoreflex.measures.decomposition import LINDBERG_2011, SAME_JOINT, local_lines, same_joint
from myoreflex.measures.gates import Gate, evaluate
from myoreflex.registry import Registry
from myoreflex.trial import Trial
from myoreflex.units import DEG

BAR_ON_2013 = "Bar-On et al. 2013 Gait Posture 38:141 (IPSA: slow and fast manual stretches in CP)"
MANUAL_REFERENCE = f"{LINDBERG_2011}; adapted to manual stretches (myoreflex); protocol: {BAR_ON_2013}"
MIN_SAMPLES_PER_ANGLE = 3  # slow samples needed within +-smoothing_deg of an angle for E(q)
GATES = {
    "same_joint": SAME_JOINT,
    "angle_overlap": Gate(
        "angle_overlap",
        "the fraction of its excursion, peak velocity included, within the slow stretches' range",
        ">=", 50.0, "%",
        "NC averages over the window W; half the excursion still holds the peak velocity and the stop "
        "(module notes; the limit is min_overlap)",
        "use slow stretches that cover the fast one's range, or lower min_overlap"),
}
"""The quality gates of :func:`measure` (module notes); ``angle_overlap``'s limit is ``min_overlap``."""


def _where(trial: Trial) -> str:
    return f"`{trial.source}`" if trial.segment is None else f"`{trial.source}` segment {trial.segment}"


def _channel(trial: Trial, name: str) -> np.ndarray:
    values = np.asarray(trial[name], dtype=float)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise RecordingError(
            describe(
                f"{_where(trial)}, channel `{name}`", "a 1-D channel of finite values", "NaN, inf or columns"
            )
        )
    return values


def _resistance_channel(trial: Trial) -> str:
    for name in ("torque", "force"):
        if name in trial:
            return name
    raise RecordingError(
        describe(
            _where(trial), "a `torque` (N m) or `force` (N) channel", f"channels {sorted(trial.channels)}"
        )
    )


def _direction(trial: Trial, direction: float | None) -> float:
    """``direction``, else ``trial.stretch_direction``, else +1; it must be +1 or -1."""
    if direction is not None:
        if direction not in (1, -1):
            expected = "+1 or -1 (the sign of a stretch in the angle)"
            raise ParameterError(describe("direction", expected, direction))
        return float(direction)
    value = 1.0 if trial.stretch_direction is None else trial.stretch_direction
    if value not in (1, -1):
        raise RecordingError(
            describe(
                f"{_where(trial)}, metadata `stretch_direction`", "+1 or -1", value, "or pass direction="
            )
        )
    return float(value)


@dataclasses.dataclass(frozen=True)
class _Oriented:
    time: np.ndarray
    angle: np.ndarray  # rad, increasing with the stretch
    velocity: np.ndarray  # rad/s, positive while stretching
    resistance: np.ndarray  # N m or N, positive resisting the stretch
    start: int  # last rest sample before the movement
    peak: int
    stop: int  # first rest sample after the movement


def _orient(trial: Trial, channel: str, direction: float, move_fraction: float, hold_s: float) -> _Oriented:
    where = _where(trial)
    angle = _channel(trial, "angle") * direction
    if "angular_velocity" in trial:
        velocity = _channel(trial, "angular_velocity") * direction
    else:
        velocity = np.gradient(angle, trial.time)
    resistance = _channel(trial, channel) * direction
    peak = int(np.argmax(velocity))
    if not velocity[peak] > max(0.0, -float(velocity.min())):  # the stretch is the main movement
        raise RecordingError(
            describe(
                f"{where}, channel `angle`",
                f"a stretch in direction {direction:+g} (the angle times the direction increasing)",
                "no movement that way",
                "check metadata `stretch_direction` or pass direction=",
            )
        )
    resting = np.flatnonzero(velocity <= move_fraction * velocity[peak])
    before, after = resting[resting < peak], resting[resting > peak]
    if before.size == 0 or after.size == 0:
        got = "movement from the first sample" if before.size == 0 else "movement to the last sample"
        raise RecordingError(
            describe(
                where,
                f"rest (velocity <= {move_fraction:g} of its peak) before and after the stretch",
                got,
                "the inertial torque only averages out from rest to rest",
            )
        )
    # Start from rest: the last sample with w <= 0 if it lies within ``hold_s`` of the crossing of
    # the rest level (so that the inertial torque averages out from zero velocity), else the crossing.
    start = int(before[-1])
    still = np.flatnonzero(velocity[: start + 1] <= 0)
    if still.size and trial.time[start] - trial.time[still[-1]] <= hold_s:
        start = int(still[-1])
    return _Oriented(trial.time, angle, velocity, resistance, start, peak, int(after[0]))


def _slow_curve(
    slows: Sequence[_Oriented], smoothing: float, hold_s: float
) -> tuple[Callable[[np.ndarray], np.ndarray], float, float]:
    """``E(q)``: local linear fits through the pooled slow samples from rest to ``hold_s`` after the stop.

    NaN where fewer than :data:`MIN_SAMPLES_PER_ANGLE` samples lie within ``smoothing`` (rad), so
    the curve extends at most ``smoothing`` beyond the slow range.
    """
    keep = [(s.time >= s.time[s.start]) & (s.time <= s.time[s.stop] + hold_s) for s in slows]
    x = np.concatenate([s.angle[k] for s, k in zip(slows, keep, strict=True)])
    y = np.concatenate([s.resistance[k] for s, k in zip(slows, keep, strict=True)])
    fit, lo, hi = local_lines(x, y, smoothing)

    def evaluate(q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        n, mean_x, mean_y, slope = fit(q)
        return np.where(n >= MIN_SAMPLES_PER_ANGLE, mean_y + slope * (q - mean_x), np.nan)

    return evaluate, lo, hi


def _span_deg(a: float, b: float, sign: float) -> tuple[float, float]:
    """Oriented angles ``a``, ``b`` (rad) back in the Trial's convention (deg), in increasing order."""
    x, y = a * sign / DEG, b * sign / DEG
    return (float(min(x, y)), float(max(x, y)))


def _at(t: np.ndarray, f: np.ndarray, time: float) -> float:
    """``f`` at ``time`` by linear interpolation between samples."""
    return float(np.interp(time, t, f))


def _average(t: np.ndarray, f: np.ndarray, start: float, stop: float) -> float:
    """Time average of ``f`` over [start, stop] (s): trapezoids, ends interpolated."""
    inner = (t > start) & (t < stop)
    tt = np.concatenate([[start], t[inner], [stop]])
    ff = np.concatenate([[_at(t, f, start)], f[inner], [_at(t, f, stop)]])
    return float(np.sum((ff[1:] + ff[:-1]) * np.diff(tt)) / 2 / (stop - start))


def _run(t: np.ndarray, w: np.ndarray, lo: int, hi: int, peak: int, level: float) -> tuple[float, float]:
    """Times (s) where ``w`` crosses ``level`` on either side of ``peak``, within samples lo..hi.

    The crossings of the run of samples around the peak with ``w >= level``, interpolated
    linearly; ``t[lo]`` or ``t[hi]`` where the run reaches that sample.
    """
    below = np.flatnonzero(w[lo : hi + 1] < level) + lo
    left, right = below[below < peak], below[below > peak]
    start, stop = float(t[lo]), float(t[hi])
    if left.size:
        i = int(left[-1])
        start = float(t[i] + (level - w[i]) / (w[i + 1] - w[i]) * (t[i + 1] - t[i]))
    if right.size:
        j = int(right[0])
        stop = float(t[j - 1] + (w[j - 1] - level) / (w[j - 1] - w[j]) * (t[j] - t[j - 1]))
    return start, stop


def _window(
    t: np.ndarray, w: np.ndarray, e: np.ndarray, stretch: _Oriented, hold_s: float
) -> tuple[int, int, float, float] | None:
    """``W``: rest before to ``hold_s`` after the stop, within the slow curve's range.

    Returns its first and last sample and its start and stop times (s). Where the slow curve ``e``
    (NaN outside its range) cuts the window while the limb still moves, both ends move inward to
    the same velocity ``v*`` (the larger velocity at the cuts; interpolated crossings), so that the
    inertial torque still averages out. None when the peak velocity is out of range.
    """
    stop = int(np.searchsorted(t, t[stretch.stop] + hold_s, side="right")) - 1
    peak = stretch.peak
    if not np.isfinite(e[peak]):
        return None
    missing = np.flatnonzero(~np.isfinite(e[stretch.start : stop + 1])) + stretch.start
    first = int(missing[missing < peak][-1]) + 1 if np.any(missing < peak) else stretch.start
    last = int(missing[missing > peak][0]) - 1 if np.any(missing > peak) else stop
    cuts = [w[first]] if first > stretch.start else []
    cuts += [w[last]] if last < stop else []
    level = max(cuts, default=0.0)
    if level <= 0:
        return first, last, float(t[first]), float(t[last])
    start_s, stop_s = _run(t, w, first, last, peak, level)
    inside = np.flatnonzero((t >= start_s) & (t <= stop_s))
    return int(inside[0]), int(inside[-1]), start_s, stop_s


@dataclasses.dataclass(frozen=True)
class ManualMeasures(Record):
    """Neural, viscous and elastic components of a hand-held fast stretch (see the module notes).

    ``*_nm`` are torques (N m) when the recording has ``torque``; ``*_n`` are forces at the
    load cell (N): the ``force`` channel itself, or the torque over the lever arm (None without
    one). ``excess = viscous + neural`` is the mean resistance above the slow curve. ``damping``
    is ``B`` in the resistance's unit per rad/s. ``window_*`` hold the values at the start and end
    of the averaging window ``W`` (angles in the Trial's own convention, velocities oriented).
    """

    neural_nm: float | None
    viscous_nm: float | None
    excess_nm: float | None
    elastic_nm: float | None
    neural_n: float | None
    viscous_n: float | None
    excess_n: float | None
    elastic_n: float | None
    damping: float
    resistance_channel: str
    lever_arm_m: float | None
    direction: float
    window_s: tuple[float, float]
    window_angle_deg: tuple[float, float]
    window_velocity_deg_s: tuple[float, float]
    viscous_window_s: tuple[float, float]
    peak_velocity_deg_s: float
    slow_peak_velocity_deg_s: float
    slow_range_deg: tuple[float, float]
    overlap_fraction: float
    n_slow: int
    method: str
    reference: str
    warnings: tuple[str, ...] = ()  # failed quality gates, measured anyway (lenient=True)


def _lindberg_manual(
    slows: Sequence[Trial],
    fast: Trial,
    *,
    direction: float | None,
    lever_arm_m: float | None,
    hold_s: float,
    move_fraction: float,
    peak_fraction: float,
    smoothing_deg: float,
    min_overlap: float,
    check_slower: bool,
    lenient: bool = False,
) -> ManualMeasures:
    sign = _direction(fast, direction)
    channel = _resistance_channel(fast)
    arm = lever_arm_m if lever_arm_m is not None else fast.lever_arm_m
    if arm is not None and not (np.isfinite(arm) and arm > 0):
        what = "lever_arm_m" if lever_arm_m is not None else f"{_where(fast)}, metadata `lever_arm_m`"
        error = ParameterError if lever_arm_m is not None else RecordingError
        raise error(describe(what, "a distance > 0 m", arm))
    for slow in slows:
        if channel not in slow:
            raise RecordingError(
                describe(f"{_where(slow)} (slow stretch)", f"a `{channel}` channel, as the fast one", "none")
            )
        if direction is None and _direction(slow, None) != sign:
            raise RecordingError(
                describe(
                    f"{_where(slow)} and {_where(fast)}",
                    "slow and fast stretches in the same direction",
                    f"stretch_direction {_direction(slow, None):+g} and {sign:+g}",
                )
            )
    fast_o = _orient(fast, channel, sign, move_fraction, hold_s)
    slow_o = [_orient(slow, channel, sign, move_fraction, hold_s) for slow in slows]
    w_peak = float(fast_o.velocity[fast_o.peak])
    slow_peak = max(float(s.velocity[s.peak]) for s in slow_o)
    if check_slower and not slow_peak < w_peak:
        raise RecordingError(
            describe(
                f"slow stretches and {_where(fast)}",
                "slow stretches slower than the fast one",
                f"peak {slow_peak / DEG:.0f} and {w_peak / DEG:.0f} deg/s",
                "pass the slow stretches first (or check_slower=False for a slow-against-slow control)",
            )
        )
    elastic, lo, hi = _slow_curve(slow_o, smoothing_deg * DEG, hold_s)

    t = fast_o.time
    w = fast_o.velocity
    q = fast_o.angle
    e = elastic(q)
    window = _window(t, w, e, fast_o, hold_s)
    full = slice(fast_o.start, int(np.searchsorted(t, t[fast_o.stop] + hold_s, side="right")))
    q_lo, q_hi = float(q[full].min()), float(q[full].max())
    covered = 0.0 if window is None else float(np.ptp(q[window[0] : window[1] + 1])) / (q_hi - q_lo)
    overlap = dataclasses.replace(
        GATES["angle_overlap"], limit=100.0 * min_overlap,
        rule="the fraction of its excursion, peak velocity included, within the slow stretches' range "
             "({:.1f} to {:.1f} deg)".format(*_span_deg(lo, hi, sign)))
    got = "{:.0%} of {:.1f} to {:.1f} deg".format(covered, *_span_deg(q_lo, q_hi, sign))
    gates = [dataclasses.replace(r, got=f"{_where(slow)}: {r.got}") if not r.passed else r
             for slow in slows for r in [same_joint(slow, fast)]]
    warnings = evaluate(f"{_where(fast)} (the stretch measured)",
                        [*gates, overlap.result(100.0 * covered, got)], lenient=lenient and window is not None)
    first, last, start_s, stop_s = window
    # Peak-velocity window P: the run around the peak with w >= peak_fraction w_peak, within W.
    peak_start, peak_stop = _run(t, w, first, last, fast_o.peak, peak_fraction * w_peak)
    r = np.where(np.isfinite(e), fast_o.resistance - e, 0.0)  # zeros outside W are never used
    damping = max(0.0, _average(t, r, peak_start, peak_stop) / _average(t, w, peak_start, peak_stop))
    excess = _average(t, r, start_s, stop_s)
    viscous = damping * _average(t, w, start_s, stop_s)
    neural = excess - viscous
    e = np.where(np.isfinite(e), e, 0.0)
    elastic_rise = _at(t, e, stop_s) - _at(t, e, start_s)

    values = {"neural": neural, "viscous": viscous, "excess": excess, "elastic": elastic_rise}
    if channel == "torque":
        in_nm = values
        in_n = {k: v / arm for k, v in values.items()} if arm is not None else dict.fromkeys(values)
    else:
        in_nm, in_n = dict.fromkeys(values), values
    return ManualMeasures(
        neural_nm=in_nm["neural"],
        viscous_nm=in_nm["viscous"],
        excess_nm=in_nm["excess"],
        elastic_nm=in_nm["elastic"],
        neural_n=in_n["neural"],
        viscous_n=in_n["viscous"],
        excess_n=in_n["excess"],
        elastic_n=in_n["elastic"],
        damping=damping,
        resistance_channel=channel,
        lever_arm_m=None if arm is None else float(arm),
        direction=sign,
        window_s=(start_s, stop_s),
        window_angle_deg=(_at(t, q, start_s) * sign / DEG, _at(t, q, stop_s) * sign / DEG),
        window_velocity_deg_s=(_at(t, w, start_s) / DEG, _at(t, w, stop_s) / DEG),
        viscous_window_s=(peak_start, peak_stop),
        peak_velocity_deg_s=w_peak / DEG,
        slow_peak_velocity_deg_s=slow_peak / DEG,
        slow_range_deg=_span_deg(lo, hi, sign),
        overlap_fraction=covered,
        n_slow=len(slows),
        method="lindberg2011_manual",
        reference=MANUAL_REFERENCE,
        warnings=warnings,
    )


METHODS = Registry("manual decomposition method", {"lindberg2011_manual": Method(_lindberg_manual,
                                                                                  MANUAL_REFERENCE)})
"""``method=`` choices of :func:`measure`, each a :class:`~myoreflex.measures.Method`."""


def measure(
    slow: Trial | Sequence[Trial],
    fast: Trial,
    *,
    method: str = "lindberg2011_manual",
    direction: float | None = None,
    lever_arm_m: float | None = None,
    hold_s: float = 0.1,
    move_fraction: float = 0.05,
    peak_fraction: float = 0.9,
    smoothing_deg: float = 2.0,
    min_overlap: float = 0.5,
    check_slower: bool = True,
    lenient: bool = False,
) -> ManualMeasures:
    """Neural component of a hand-held fast stretch, relative to slow stretches of the same muscle.

    Parameters
    ----------
    slow : Trial or sequence of Trial
        Slow stretches of the same muscle (taken as reflex-free), pooled into ``E(q)``.
    fast : Trial
        The fast stretch. Each Trial needs ``angle`` (rad), ``torque`` (N m) or else ``force``
        (N), optionally ``angular_velocity`` (rad/s), and rest before and after the movement.
    method : {"lindberg2011_manual"}
        See :data:`METHODS` and the module notes.
    direction : +1 or -1, optional
        Sign of a stretch in the Trial's angle; default ``fast.stretch_direction`` or +1.
    lever_arm_m : float, optional
        Joint to load cell (m), for the forces ``*_n``; default ``fast.lever_arm_m``.
    hold_s : float
        Time after the movement's stop kept in the window (s).
    move_fraction, peak_fraction : float
        Velocity fractions of the peak that mark rest and the peak-velocity samples.
    smoothing_deg : float
        Half-width of the local linear fit of the slow curve (deg).
    min_overlap : float
        Smallest fraction of the fast excursion the slow stretches must cover.
    check_slower : bool
        Require every slow stretch to be slower than ``fast`` (catches swapped arguments); False
        to measure a slow stretch against the other slow stretches, a control whose NC is about 0.
    lenient : bool
        False (default): a failed quality gate (:data:`GATES`: same joint, ``min_overlap`` of the
        range; module notes) raises :class:`~myoreflex.errors.QualityGateError`. True: measured
        anyway, the failed gates named in ``warnings`` (not when the peak velocity lies outside the
        slow range: nothing to measure).

    Returns
    -------
    ManualMeasures
        ``NC = <T - E(q)>_W - B <w>_W`` with ``B = max(0, <T - E(q)>_P / <w>_P)``; units, windows
        and the method used.

    Raises
    ------
    QualityGateError
        Slow stretches of another muscle or covering too little of the fast range (file, segment,
        gate, number and limit), unless ``lenient``.
    RecordingError
        A missing or non-finite channel, no rest around a movement, slow stretches not slower or
        in another direction (file, segment).
    ParameterError
        An unknown method or a setting out of its range.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> def stretch(duration, reflex=0.0):  # 0 -> 1 rad, minimum jerk, torque 2 q + 0.1 q' + 0.05 q''
    ...     t = np.arange(0.0, duration + 1.0, 0.002)
    ...     s = np.clip((t - 0.5) / duration, 0, 1)
    ...     q = 10 * s**3 - 15 * s**4 + 6 * s**5
    ...     w = np.gradient(q, t)
    ...     late = reflex * np.clip((t - 0.5 - 0.75 * duration) / 0.05, 0, 1)  # reflex after the peak
    ...     torque = 2 * q + 0.1 * w + 0.05 * np.gradient(w, t) + late
    ...     channels = {"angle": Channel(q, "rad"), "torque": Channel(torque, "N m")}
    ...     return Trial(t, channels, {"source": "demo"})
    >>> quiet = measure(stretch(4.0), stretch(0.25))
    >>> round(quiet.neural_nm, 2), round(quiet.damping, 2)
    (0.0, 0.09)
    >>> round(measure(stretch(4.0), stretch(0.25, reflex=1.0)).neural_nm, 2)
    0.37
    """
    entry = METHODS.lookup(method)
    checks = (
        ("hold_s", hold_s, 0 <= hold_s < np.inf, "a duration >= 0 s"),
        ("move_fraction", move_fraction, 0 < move_fraction < 0.5, "a fraction in (0, 0.5)"),
        ("peak_fraction", peak_fraction, 0.5 <= peak_fraction < 1, "a fraction in [0.5, 1)"),
        ("smoothing_deg", smoothing_deg, 0 < smoothing_deg < np.inf, "an angle > 0 deg"),
        ("min_overlap", min_overlap, 0 < min_overlap <= 1, "a fraction in (0, 1]"),
    )
    for name, value, ok, expected in checks:
        if not ok:
            raise ParameterError(describe(name, expected, value))
    slows = [slow] if isinstance(slow, Trial) else list(slow)
    if not slows:
        raise RecordingError(describe("slow", "at least one slow stretch", "none"))
    return entry.function(slows, fast, direction=direction, lever_arm_m=lever_arm_m, hold_s=hold_s,
                          move_fraction=move_fraction, peak_fraction=peak_fraction, smoothing_deg=smoothing_deg,
                          min_overlap=min_overlap, check_slower=check_slower, lenient=lenient)


decompose_manual = measure
"""The verb of this decomposition for :func:`measure` (the same function)."""
