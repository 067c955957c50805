"""NeuroFlexor-style decomposition of the resistance to a fast stretch into four components.

A slow and a fast isokinetic stretch of the same joint over the same range (NeuroFlexor: wrist
extension at 5 and 236 deg/s; Lindberg et al. 2011, Gaverth et al. 2013, Pennati et al. 2016) are
split into the inertial (IC), elastic (EC), viscous (VC) and neural (NC) components of the
resisting torque, plus the resting tension (RT) before the movement.

Formulas used here
------------------
Lindberg et al. 2011 give the model only in outline in the parts we could read (ANCHORS 5.1: the
exact formulas of their appendix are **unverified**). We use the outline and write down every
choice:

Time points on the fast trace (from its angular velocity ``w``; plateau ``w_p`` = median of the
samples within 5 % of the median of those above 80 % of the peak velocity):

- ``P0`` start: the last sample before the velocity plateau with ``w < 0.1 w_p``;
- ``P1`` the first sample with ``w >= 0.98 w_p`` (end of the acceleration: Lindberg's P1 is the
  early force peak after the acceleration; we take the point once the motor is at speed, so that
  little inertial torque is left in it);
- ``P2`` the last sample with ``w >= 0.98 w_p`` (end of the constant-velocity phase).

Inertia. Lindberg's IC is the mass of hand and platform times its acceleration (ANCHORS 5.1):
``I a``. With ``I`` given (argument or metadata) it is used as given. Without it, ``I`` is
estimated from the fast trace itself (:func:`estimate_inertia`): the least-squares slope of the
elastic-free torque ``T - E(q)`` on the acceleration over the whole movement (P0 to its end, the
acceleration and the deceleration), with a constant. Over a movement from rest to rest the
acceleration is orthogonal to the velocity (``sum a w dt = [w^2/2] = 0``), so a viscous torque and
any offset between the slow and fast recordings do not bias the slope; a stretch reflex that grows
during the plateau and fades after the stop biases it low (towards less inertia, so towards the
uncorrected NC). A negative slope gives ``I = 0``. The fit also allows the torque to lead or lag
the angle by up to :data:`MAX_CHANNEL_LAG_S` (the delay between the two channels that minimises
the squared error): on the healthy robot elbow (shared data) the torque leads the angle-derived
acceleration by 18-100 ms, and the braking torque of the deceleration (``I a`` with ``I`` ~0.11
kg m^2 and ``a`` ~ -3.6 rad/s^2: -0.4 N m) already falls in the last 10 % of the measured
plateau. Read at P2 it made the NC of that healthy arm -0.27 to -0.44 N m at 50-90 deg/s; with
``I a`` removed it is -0.15 to +0.0 N m (module tests). The NC is not clipped at zero: a negative
NC is what a healthy arm gives within its noise, and Pennati et al. 2016 report healthy NC as
0.8 +- 0.9 N, a spread that reaches below zero (ANCHORS 5.2), so averages and SDs of unclipped
values are what the cut-offs were built from.

Elastic curve ``E(q)``: the torque of the slow stretch as a function of angle (assumed
reflex-free and velocity-free; NeuroFlexor's assumption for 5 deg/s), smoothed by a local linear
fit within +-``smoothing_deg`` of each angle. The residual of the fast stretch is

    r(t) = T_fast(t) - E(q_fast(t)) - I a(t + lag)      (I given, lag 0; or both estimated)

and, averaging ``r`` over a window of ``window_fraction`` of the constant-velocity phase (noise):

    EC = E(q(P2)) - E(q(P0))                        length-dependent rise over the fast range
    VC = mean r over [P1, P1 + window]              velocity-dependent part before any reflex
    NC = mean r over [P2 - window, P2] - VC         the rise during the constant-velocity phase
    IC = I max a over [P0, P1]                      I given (argument or metadata) or estimated
                                                    (estimate_inertia; I = 0 gives IC 0)
    RT = mean slow torque before its movement

The neural component is the rise of the elastic-free resistance during the constant-velocity
phase: at constant velocity the viscous torque cannot rise, so what rises is attributed to the
stretch reflex (the "resistance increase during the constant phase" that determines NC; BioMed
Res Int 2015:276182, Fig. 1 caption, ANCHORS 5.1). VC is read at P1 because the stretch reflex has
not yet added torque so soon after the start (reflex latency plus electromechanical delay).

Units and cut-offs
------------------
Components are in N m. With a lever arm ``d`` (m), the force at the hand is ``F = T / d`` (N), the
unit of the NeuroFlexor and of the Pennati et al. 2016 healthy values (n = 107, ANCHORS 5.2):
NC 0.8 +- 0.9 N, EC 2.7 +- 1.1 N, VC 0.3 +- 0.3 N; a component above mean + 3 SD (NC 3.5 N, EC
6.0 N, VC 1.2 N; computed from mean and SD, the paper's own table is unverified) is flagged.
Without a lever arm the flags are reported as not applicable (None): the cut-offs are forces on a
particular device and a torque cannot be compared with them without its geometry. For the
NeuroFlexor hand platform pass :data:`NEUROFLEXOR_LEVER_ARM_M` (an estimate, see there). The
cut-offs were measured at the wrist and fingers; on other joints they are indicative only.

Quality gates
-------------
(:data:`GATES`, :mod:`myoreflex.measures.gates`: a failed gate raises
:class:`~myoreflex.errors.QualityGateError`; with ``lenient=True`` the components are computed anyway
and the failed gates named in ``warnings``.)

- ``same_joint``: the slow and the fast stretch are of one subject, joint, side and movement, as far
  as their metadata say (a key given by both must agree; a key either lacks is not tested). E(q) is
  the passive torque-angle curve of the joint whose fast resistance it is subtracted from
  (Lindberg et al. 2011: slow and fast stretches of the same wrist); a knee's fast stretch against
  an elbow's slow one is no decomposition.
- ``angle_overlap``: the fast stretch's angles from P0 to P2 lie within the slow stretch's range
  (P1 to P2 of the slow trace) or at most ``smoothing_deg`` (2 deg) beyond it. E(q) is a local
  line through the slow samples within +-``smoothing_deg``: up to that distance beyond the slow
  range it is the end window's own line, further it is an extrapolation without data (lenient:
  the end line is extended). The healthy robot elbow (shared data, 20-90 deg/s against 10 deg/s)
  reaches at most 0.54 deg beyond.

Reflex in the slow stretch
--------------------------
E(q) is only elastic if the slow stretch is reflex-free (NeuroFlexor's assumption at 5 deg/s,
ANCHORS 5.1; the TSRT model of ANCHORS 6 says why it can fail: where the tonic stretch reflex
threshold lies inside the range, even a slow stretch recruits the muscle past it). When the slow
Trial has an ``emg_<muscle>`` channel its stretched muscle is checked for an EMG onset during the
slow movement (:func:`myoreflex.measures.threshold.dsrt`, Hodges & Bui 1996 onset); an onset
sets ``slow_reflex`` True, gives its angle ``slow_reflex_angle_deg``, and emits
:class:`SlowReflexWarning`: the elastic curve then holds reflex torque past that angle, and EC is
overestimated and NC underestimated there. Without EMG, ``slow_reflex`` is None (not checked).
A simulated stroke elbow (``stroke`` 1.0) stretched at 5 deg/s has flexor EMG from ~135 deg.

Repeated stretches
------------------
The NeuroFlexor averages nine fast traces (ANCHORS 5.1). A fast Trial holding several stretches
(each a movement with its own constant-velocity phase, :func:`segment_stretches`) is decomposed
stretch by stretch; the components reported are the means, and the neural component carries its
spread: ``neural_sd_nm`` (sample SD) and ``neural_ci95_nm`` (the 95 % t-interval of the mean,
``mean +- t(0.975, n-1) sd / sqrt(n)``). One stretch gives None for both. The time points and
angles are those of the first stretch.

Direction
---------
The formulas above are written for a stretch that increases the angle. A Trial whose stretch
decreases it (metadata ``stretch_direction`` -1: a knee extension stretching the hamstrings in the
myoreflex convention, as the IPSA reader marks it) is measured on its :func:`oriented` copy (angle,
velocity and torque negated), as :mod:`myoreflex.measures.manual` does; the components are the
same, and the time points' angles are reported in the Trial's own convention.

The measure is :func:`measure` (also named :func:`decompose`), returning a
:class:`DecompositionMeasures` record.

References: Lindberg et al. 2011 Neurorehabil Neural Repair 25:617; Gaverth et al. 2013 J Rehabil
Med 45:630; Pennati et al. 2016 J NeuroEng Rehabil 13:30; Andringa et al. 2019 Front Neurol
10:730.
"""

from __future__ import annotations

import dataclasses
import warnings as _warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import stats

from myoreflex.errors import MyoreflexWarning, ParameterError, RecordingError, describe
from myoreflex.measures import Method, Record
from myoreflex.measures.gates import Gate, GateResult, evaluate
from myoreflex.registry import Registry
from myoreflex.trial import Trial
from myoreflex.units import DEG

LINDBERG_2011 = (
    "Lindberg et al. 2011 Neurorehabil Neural Repair 25:617 (NeuroFlexor model; formulas unverified)"
)
PENNATI_2016 = "Pennati et al. 2016 J NeuroEng Rehabil 13:30 (107 healthy adults; cut-off = mean + 3 SD)"

#: Pennati et al. 2016 healthy mean and SD (N at the NeuroFlexor hand platform), ANCHORS 5.2 [V-abs].
PENNATI_HEALTHY_N: Mapping[str, tuple[float, float]] = {
    "neural": (0.8, 0.9),
    "elastic": (2.7, 1.1),
    "viscous": (0.3, 0.3),
    "resting_tension": (5.9, 1.0),
}
#: Cut-offs (N), mean + 3 SD of :data:`PENNATI_HEALTHY_N`: NC 3.5, EC 6.0, VC 1.2 (ANCHORS 5.2).
PENNATI_CUTOFFS_N: Mapping[str, float] = {
    name: round(mean + 3 * sd, 6)
    for name, (mean, sd) in PENNATI_HEALTHY_N.items()
    if name != "resting_tension"
}

NEUROFLEXOR_LEVER_ARM_M = 0.095
"""Assumed distance (m) from the wrist axis to where the NeuroFlexor's force acts on the hand.

An estimate, not a device specification (the platform geometry is unverified): the centre of mass
of the hand, 0.506 x hand length, with hand length 0.108 x body height (Winter 2009 Table 4.1) for
a 1.75 m adult: 0.506 x 0.108 x 1.75 = 0.0956 m. It also makes the healthy elastic range plausible:
a passive wrist-and-finger torque of ~0.25 N m over 50 deg gives Pennati's EC of 2.7 N at ~0.095 m.
"""

SAME_JOINT_KEYS = ("subject", "joint", "side", "movement")
"""The metadata that must agree between a slow and a fast stretch where both give them."""
SAME_JOINT = Gate(
    "same_joint",
    "slow and fast stretches of the same muscle: one subject, joint, side and movement (metadata "
    "given by both)",
    "same", None, "",
    "the slow stretch's torque-angle curve is subtracted from the fast one's resistance, so both "
    "must be of one joint (Lindberg et al. 2011)",
    "pass slow and fast stretches of one joint")
GATES = {
    "same_joint": SAME_JOINT,
    "angle_overlap": Gate(
        "angle_overlap",
        "the fast stretch's angles from P0 to P2 beyond the slow stretch's range",
        "<=", 2.0, "deg",
        "E(q) is a local line through the slow samples within +-smoothing_deg (2 deg): beyond that it "
        "is an extrapolation without data (module notes; the limit is smoothing_deg)",
        "use a slow stretch covering the fast one's range"),
}
"""The quality gates of :func:`measure` (module notes); ``angle_overlap``'s limit is ``smoothing_deg``."""


def same_joint(slow: Trial, fast: Trial) -> GateResult:
    """:data:`SAME_JOINT` on a slow and a fast stretch: their metadata of :data:`SAME_JOINT_KEYS`
    given by both, which must agree."""
    keys = [k for k in SAME_JOINT_KEYS if slow.metadata.get(k) is not None and fast.metadata.get(k) is not None]
    first = tuple(slow.metadata[k] for k in keys)
    second = tuple(fast.metadata[k] for k in keys)
    got = "; ".join(f"{k} {a!r} and {b!r}" for k, a, b in zip(keys, first, second) if a != b)
    return SAME_JOINT.result((first, second), got or None)


MAX_CHANNEL_LAG_S = 0.15
"""Largest delay (s) between the torque and the angle channels that :func:`estimate_inertia` tries.

The healthy robot elbow (shared data) needs 18-100 ms; 0.15 s leaves room without letting the
braking of one end of the movement explain the torque of the other (its corners last ~0.2 s)."""


class SlowReflexWarning(MyoreflexWarning):
    """The slow stretch of a decomposition shows reflex EMG, so its torque is not purely elastic."""


VELOCITY_PLATEAU_FRACTION = 0.98  # P1 / P2: at least 98 % of the plateau velocity
VELOCITY_START_FRACTION = 0.10  # P0: below 10 % of the plateau velocity


@dataclasses.dataclass(frozen=True)
class StretchPhases:
    """Sample indices of one stretch: start ``p0``, at speed ``p1``, end of plateau ``p2``; the
    velocity and acceleration along the stretch (the Trial's sign times ``direction``)."""

    p0: int
    p1: int
    p2: int
    end: int  # last sample of the movement (velocity above 10 % of the plateau)
    plateau_velocity: float  # rad/s, > 0 (along the stretch)
    velocity: np.ndarray  # rad/s, every sample, along the stretch (positive while stretching)
    acceleration: np.ndarray  # rad/s^2, every sample, along the stretch
    direction: float = 1.0  # the stretch's sign in the Trial's angle (stretch_direction)


def local_lines(x: np.ndarray, y: np.ndarray, half_width: float):
    """Least-squares lines through the samples ``(x, y)`` within ``+-half_width`` of a centre.

    Returns ``(fit, x_min, x_max)``; ``fit(centre)`` gives, for each centre, the number of samples
    in its window and the line through them as ``(n, mean_x, mean_y, slope)`` (slope 0 where the
    window's x do not vary; means meaningless where n = 0). One pass of cumulative sums serves any
    number of centres. Used for the slow stretch's torque-angle curve here and in
    :mod:`myoreflex.measures.manual`.
    """
    order = np.argsort(x, kind="stable")
    x, y = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order]
    sums = [np.concatenate([[0.0], np.cumsum(v)]) for v in (np.ones_like(x), x, y, x * x, x * y)]

    def fit(centre):
        i = np.searchsorted(x, centre - half_width, side="left")
        j = np.searchsorted(x, centre + half_width, side="right")
        n, sx, sy, sxx, sxy = (s[j] - s[i] for s in sums)
        count = np.maximum(n, 1.0)
        mean_x, mean_y = sx / count, sy / count
        var = sxx / count - mean_x**2
        cov = sxy / count - mean_x * mean_y
        slope = np.where(var > 1e-18, cov / np.where(var > 1e-18, var, 1.0), 0.0)
        return n, mean_x, mean_y, slope

    return fit, float(x[0]), float(x[-1])


def _finite_channel(trial: Trial, name: str, role: str) -> np.ndarray:
    if name not in trial:
        raise RecordingError(
            describe(
                f"`{trial.source}`", f"a `{name}` channel ({role})", f"channels {sorted(trial.channels)}"
            )
        )
    values = np.asarray(trial[name], dtype=float)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise RecordingError(
            describe(
                f"`{trial.source}`, channel `{name}`",
                "a 1-D channel of finite values",
                "NaN, inf or several columns",
            )
        )
    return values


def stretch_direction(trial: Trial) -> float:
    """The sign of a stretch in the Trial's angle: ``trial.stretch_direction``, else +1.

    -1 for a stretch that decreases the angle, e.g. a knee extension stretching the hamstrings in the
    myoreflex convention (flexion positive; :mod:`myoreflex.io.ipsa` sets it for each segment). A
    value other than +1 or -1 raises :class:`~myoreflex.errors.RecordingError`.
    """
    value = trial.stretch_direction
    if value is None:
        return 1.0
    if value not in (1, -1):
        raise RecordingError(describe(f"`{trial.source}`, metadata `stretch_direction`", "+1 or -1", value))
    return float(value)


def oriented(trial: Trial) -> Trial:
    """``trial`` with its stretch increasing the angle and its torque positive resisting the stretch.

    With :func:`stretch_direction` -1, ``angle``, ``angular_velocity`` and ``torque`` are negated and
    ``stretch_direction`` set to +1 (the torque is in the angle convention, as the readers give it:
    the torque that moves the joint the way of the stretch is the one the tissues resist); with +1
    the Trial itself. The measures of this module work on the oriented Trial and report angles in the
    Trial's own convention, as :mod:`myoreflex.measures.manual` does.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 2, 201)
    >>> knee = Trial(t, {"angle": Channel(1.4 - np.clip(t - 0.5, 0, 1), "rad"),  # 1.4 -> 0.4 rad: extension
    ...                  "torque": Channel(-2.0 * np.ones_like(t), "N m")}, {"stretch_direction": -1.0})
    >>> turned = oriented(knee)
    >>> float(turned["angle"][-1] - turned["angle"][0]), float(turned["torque"][0]), turned.stretch_direction
    (1.0, 2.0, 1.0)
    >>> round(stretch_phases(knee).plateau_velocity, 3), stretch_phases(knee).direction
    (1.0, -1.0)
    """
    direction = stretch_direction(trial)
    if direction == 1:
        return trial
    from myoreflex.trial import Channel

    flipped = {name: Channel(-np.asarray(trial[name], dtype=float), trial.unit(name))
               for name in ("angle", "angular_velocity", "torque") if name in trial}
    return trial.with_channels(**flipped).with_metadata(stretch_direction=1.0)


def stretch_phases(trial: Trial) -> StretchPhases:
    """Find the start, the constant-velocity phase and the end of one stretch.

    The velocity is the ``angular_velocity`` channel when present, else the gradient of ``angle``.
    The stretch runs the way of :func:`stretch_direction` (``trial.stretch_direction``, default +1:
    the Trial convention, positive stretches the tested muscle, :mod:`myoreflex.physiology.limb`;
    -1 for a knee extension stretching the hamstrings). The returned velocity, acceleration and
    plateau velocity are taken along the stretch (positive while stretching); the Trial's own sign
    is ``direction`` times them.
    """
    direction = stretch_direction(trial)
    angle = _finite_channel(trial, "angle", "joint angle, rad")
    t = trial.time
    if "angular_velocity" in trial:
        velocity = _finite_channel(trial, "angular_velocity", "rad/s")
    else:
        velocity = np.gradient(angle, t)
    velocity = direction * velocity
    where = f"`{trial.source}`, channel `angle`"
    if angle.max() - angle.min() < 1 * DEG:
        raise RecordingError(
            describe(where, "a stretch of at least 1 deg", f"{(angle.max() - angle.min()) / DEG:.2f} deg")
        )
    peak = int(np.argmax(np.abs(velocity)))
    if velocity[peak] <= 0:
        if direction > 0:
            expected = "a stretch that increases the angle (positive = stretching the tested muscle)"
            got = "a decreasing angle"
        else:
            expected = "a stretch that decreases the angle (metadata stretch_direction -1)"
            got = "an increasing angle"
        raise RecordingError(
            describe(where, expected, got, "flip the angle sign when reading the file, or check metadata "
                     "`stretch_direction`")
        )
    peak_velocity = float(velocity[peak])
    # Plateau: the median of the fast samples, refined on those within 5 % of it (robust to the
    # ramps of a slow motor and to an overshoot).
    plateau = float(np.median(velocity[velocity >= 0.8 * peak_velocity]))
    plateau = float(np.median(velocity[np.abs(velocity - plateau) <= 0.05 * plateau]))
    fast = velocity >= VELOCITY_PLATEAU_FRACTION * plateau
    p1 = int(np.argmax(fast))
    # The movement: the samples around P1 with velocity above 10 % of the plateau.
    slow = velocity < VELOCITY_START_FRACTION * plateau
    before = np.flatnonzero(slow[:p1])
    p0 = int(before[-1]) if before.size else 0
    after = np.flatnonzero(slow[p1:])
    end = int(p1 + after[0] - 1) if after.size else velocity.size - 1
    at_speed = np.flatnonzero(fast[: end + 1])
    p2 = int(at_speed[-1])
    if p2 - p1 < 2:
        raise RecordingError(
            describe(
                where,
                "a constant-velocity phase of at least 3 samples",
                f"{p2 - p1 + 1}",
                "is this an isokinetic stretch?",
            )
        )
    acceleration = np.gradient(velocity, t)
    return StretchPhases(p0, p1, p2, end, plateau, velocity, acceleration, direction)


def segment_stretches(trial: Trial) -> list[Trial]:
    """Split a Trial holding several stretches into one Trial per stretch.

    A stretch is a run of samples with velocity above 10 % of the plateau velocity (as in
    :func:`stretch_phases`; the plateau of the fastest movement along :func:`stretch_direction`)
    holding at least 3 samples at 98 % of it; returns to the start (the other way) are not
    stretches. Each piece is the stretch with the rest around it: from the end of the movement
    before it (of either sign: speed above 10 % of the plateau) to the start of the movement after
    it, so that its rest holds no return movement; its metadata ``segment`` is its 1-based
    position. A Trial with one stretch is returned whole, in a list.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0.0, 7.0, 0.01)
    >>> up = lambda t0: np.clip(t - t0, 0, 1) - np.clip(t - t0 - 1.5, 0, 1)  # 1 rad/s, back at -1 rad/s
    >>> trial = Trial(t, {"angle": Channel(up(0.5) + up(3.5), "rad")})
    >>> [(p.metadata["segment"], round(float(p.time[0]), 2), round(float(p.time[-1]), 2))
    ...  for p in segment_stretches(trial)]
    [(1, 0.0, 1.99), (2, 3.01, 4.99)]
    """
    angle = _finite_channel(trial, "angle", "joint angle, rad")
    velocity = stretch_direction(trial) * (
        _finite_channel(trial, "angular_velocity", "rad/s") if "angular_velocity" in trial
        else np.gradient(angle, trial.time)
    )
    if not np.max(velocity) > 0:
        stretch_phases(trial)  # raises the error of a Trial without a stretch
    positive = np.clip(velocity, 0.0, None)
    plateau = float(np.median(velocity[velocity >= 0.8 * np.max(velocity)]))
    plateau = float(np.median(positive[np.abs(positive - plateau) <= 0.05 * plateau]))
    moving = velocity >= VELOCITY_START_FRACTION * plateau
    busy = np.flatnonzero(np.abs(velocity) >= VELOCITY_START_FRACTION * plateau)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], moving.astype(np.int8), [0]])))
    runs = [
        (int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])
        if np.count_nonzero(velocity[a:b] >= VELOCITY_PLATEAU_FRACTION * plateau) >= 3
    ]
    if len(runs) < 2:
        return [trial]
    t = trial.time
    pieces = []
    for number, (first, last) in enumerate(runs, start=1):
        before, after = busy[busy < first], busy[busy > last]
        start = t[before[-1] + 1] if before.size else t[0]
        stop = t[after[0] - 1] if after.size else t[-1]
        piece = trial.window(float(start), float(stop))
        # The file's stretch onset is the first stretch's: a later piece finds its own (P0).
        metadata = {k: v for k, v in piece.metadata.items() if k != "stretch_onset_s" or number == 1}
        pieces.append(dataclasses.replace(piece, metadata={**metadata, "segment": number}))
    return pieces


def elastic_curve(slow: Trial, *, smoothing_deg: float = 2.0,
                  extrapolate: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """Torque of the slow stretch as a function of angle, ``E(q)`` (N m), by local linear fits.

    ``E(q)`` is the least-squares line through the slow samples of the constant-velocity phase
    (P1 to P2: the start and stop transients carry inertia) with ``|q_i - q| <= smoothing_deg``,
    evaluated at ``q``; it follows a linear torque-angle relation exactly and averages noise over
    the window. Within ``smoothing_deg`` of the ends it extrapolates the end line; angles further
    outside raise :class:`RecordingError`, or with ``extrapolate`` follow the end line too (the
    lenient decomposition, gate ``angle_overlap``). A slow stretch the other way
    (``stretch_direction`` -1) gives ``E`` of its own angle and torque (the resistance negated, as
    its torque is).
    """
    direction = stretch_direction(slow)
    curve = _elastic_curve(oriented(slow), smoothing_deg=smoothing_deg, extrapolate=extrapolate, sign=direction)
    if direction == 1:
        return curve
    return lambda q: -curve(-np.asarray(q, dtype=float))


def _elastic_curve(slow: Trial, *, smoothing_deg: float, extrapolate: bool,
                   sign: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`elastic_curve` of an :func:`oriented` slow stretch; ``sign`` turns the angles of its
    messages back into the file's convention."""
    phases = stretch_phases(slow)
    torque = _finite_channel(slow, "torque", "N m")
    keep = slice(phases.p1, phases.p2 + 1)
    h = smoothing_deg * DEG
    fit, lo_range, hi_range = local_lines(slow["angle"][keep], torque[keep], h)

    def evaluate(q):
        q = np.atleast_1d(np.asarray(q, dtype=float))
        if not extrapolate and (np.any(q < lo_range - h) or np.any(q > hi_range + h)):
            raise RecordingError(
                describe(
                    f"`{slow.source}` (slow stretch)",
                    f"a range covering the fast stretch, {_span_deg(q, sign)}",
                    _span_deg(np.array([lo_range, hi_range]), sign),
                )
            )
        centre = (
            np.clip(q, lo_range + h, hi_range - h)
            if hi_range - lo_range > 2 * h
            else np.full_like(q, np.mean(slow["angle"][keep]))
        )
        n, mean_x, mean_y, slope = fit(centre)
        if np.any(n < 2):
            raise RecordingError(
                describe(
                    f"`{slow.source}` (slow stretch)",
                    f"at least 2 samples within {smoothing_deg:g} deg of every angle",
                    "a gap in the angle",
                    "raise smoothing_deg",
                )
            )
        return mean_y + slope * (q - mean_x)

    return evaluate


def _span_deg(angles: np.ndarray, sign: float = 1.0) -> str:
    """``lowest to highest deg`` of oriented ``angles`` (rad) in the file's convention (``sign``)."""
    shown = sign * np.asarray(angles, dtype=float) / DEG
    return f"{np.min(shown):.1f} to {np.max(shown):.1f} deg"


@dataclasses.dataclass(frozen=True)
class DecompositionMeasures(Record):
    """Components of the resistance to a fast stretch (N m; N at the hand with a lever arm).

    ``flags`` maps ``neural``/``elastic``/``viscous`` to True (above the Pennati et al. 2016
    cut-off), False, or None (not applicable: no lever arm). Time points are on the fast trace.
    """

    inertial_nm: float
    elastic_nm: float
    viscous_nm: float
    neural_nm: float
    resting_tension_nm: float
    lever_arm_m: float | None
    inertial_n: float | None
    elastic_n: float | None
    viscous_n: float | None
    neural_n: float | None
    resting_tension_n: float | None
    flags: Mapping[str, bool | None]
    cutoffs_n: Mapping[str, float]
    cutoff_source: str
    flags_note: str
    p0_s: float
    p1_s: float
    p2_s: float
    p0_angle_deg: float
    p1_angle_deg: float
    p2_angle_deg: float
    slow_velocity_deg_s: float
    fast_velocity_deg_s: float
    inertial_method: str
    method: str
    reference: str
    warnings: tuple[str, ...] = ()  # failed quality gates, measured anyway (lenient=True)
    inertia_kg_m2: float | None = None  # the inertia used: given, or estimated (estimate_inertia)
    channel_lag_s: float = 0.0  # torque leads the angle by this (s; estimated with the inertia)
    n_stretches: int = 1  # fast stretches decomposed (components are their means)
    neural_sd_nm: float | None = None  # SD of NC across the fast stretches (None for one)
    neural_ci95_nm: tuple[float, float] | None = None  # 95 % t-interval of the mean NC
    neural_per_stretch_nm: tuple[float, ...] = ()
    slow_reflex: bool | None = None  # reflex EMG in the slow stretch; None: no EMG to check
    slow_reflex_angle_deg: float | None = None  # its onset angle
    slow_reflex_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``assess stretch --json`` plus the details."""
        hand = None
        if self.lever_arm_m is not None:
            hand = {
                "inertial": self.inertial_n,
                "elastic": self.elastic_n,
                "viscous": self.viscous_n,
                "neural": self.neural_n,
            }
        return {
            "components": {
                "inertial": self.inertial_nm,
                "elastic": self.elastic_nm,
                "viscous": self.viscous_nm,
                "neural": self.neural_nm,
            },
            "units": "N m",
            "components_at_hand": hand,
            "units_at_hand": "N",
            "lever_arm_m": self.lever_arm_m,
            "resting_tension_nm": self.resting_tension_nm,
            "resting_tension_n": self.resting_tension_n,
            "flags": dict(self.flags),
            "cutoffs_n": dict(self.cutoffs_n),
            "cutoff_source": self.cutoff_source,
            "flags_note": self.flags_note,
            "time_points": {
                "P0": {"time_s": self.p0_s, "angle_deg": self.p0_angle_deg},
                "P1": {"time_s": self.p1_s, "angle_deg": self.p1_angle_deg},
                "P2": {"time_s": self.p2_s, "angle_deg": self.p2_angle_deg},
            },
            "slow_velocity_deg_s": self.slow_velocity_deg_s,
            "fast_velocity_deg_s": self.fast_velocity_deg_s,
            "inertial_method": self.inertial_method,
            "inertia_kg_m2": self.inertia_kg_m2,
            "channel_lag_s": self.channel_lag_s,
            "neural_uncertainty": {
                "n_stretches": self.n_stretches,
                "sd_nm": self.neural_sd_nm,
                "ci95_nm": None if self.neural_ci95_nm is None else list(self.neural_ci95_nm),
                "per_stretch_nm": list(self.neural_per_stretch_nm),
            },
            "slow_reflex": {
                "detected": self.slow_reflex,
                "onset_angle_deg": self.slow_reflex_angle_deg,
                "note": self.slow_reflex_note,
            },
            "method": self.method,
            "reference": self.reference,
            "warnings": list(self.warnings),
        }


def _inertia(fast: Trial, slow: Trial, inertia_kg_m2: float | None) -> float | None:
    value = next((v for v in (inertia_kg_m2, fast.inertia_kg_m2, slow.inertia_kg_m2) if v is not None), None)
    if value is None:
        return None
    value = float(value)
    if not (np.isfinite(value) and value >= 0):
        raise ParameterError(describe("inertia_kg_m2", "a finite inertia >= 0 kg m^2", value))
    return value


def _shifted(values: np.ndarray, span: slice, lag: int) -> np.ndarray:
    """``values`` over ``span`` read ``lag`` samples later (clamped at the ends)."""
    index = np.arange(values.size)[span] + lag
    return values[np.clip(index, 0, values.size - 1)]


def _residual(fast: Trial, phases: StretchPhases, elastic, inertia: float | None, span: slice,
              lag: int = 0) -> np.ndarray:
    """``T_fast - E(q) [- I a(t + lag)]`` over ``span`` (N m)."""
    torque = _finite_channel(fast, "torque", "N m")[span]
    residual = torque - elastic(fast["angle"][span])
    if inertia is not None:
        residual = residual - inertia * _shifted(phases.acceleration, span, lag)
    return residual


def estimate_inertia(slow: Trial, fast: Trial, *, smoothing_deg: float = 2.0,
                     max_lag_s: float = MAX_CHANNEL_LAG_S) -> tuple[float, float]:
    """Inertia (kg m^2) and torque-to-angle delay (s) that best explain the fast torque's transients.

    Least squares of ``T_fast - E(q)`` on ``[a(t + lag), 1]`` over the fast movement (P0 to its
    end), for every ``lag`` within ``+-max_lag_s``; returns the slope ``I`` (0 where negative) and
    the ``lag`` of the smallest squared error (positive: the torque leads the angle). Why the
    whole movement and why the lag: module notes (Lindberg et al. 2011 IC = I a, ANCHORS 5.1).

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> def ramp(v):  # 0 -> 1 rad, torque 2 q + 0.05 q' + 0.01 q''
    ...     t = np.arange(0, 1.0 + 1 / v, 0.001)
    ...     w = v * (np.clip((t - 0.5) / 0.05, 0, 1) - np.clip((t - 0.5 - 1 / v) / 0.05, 0, 1))
    ...     q = np.concatenate([[0.0], np.cumsum(w[1:] + w[:-1]) * 0.0005])  # trapezoids
    ...     torque = 2 * q + 0.05 * w + 0.01 * np.gradient(w, t)
    ...     return Trial(t, {"angle": Channel(q, "rad"), "torque": Channel(torque, "N m")})
    >>> inertia, lag = estimate_inertia(ramp(0.1), ramp(4.0))
    >>> round(inertia, 3), lag
    (0.01, 0.0)
    """
    slow, fast = oriented(slow), oriented(fast)
    phases = stretch_phases(fast)
    elastic = _elastic_curve(slow, smoothing_deg=smoothing_deg, extrapolate=True)
    span = slice(phases.p0, phases.end + 1)
    residual = _residual(fast, phases, elastic, None, span)
    dt = float(np.median(np.diff(fast.time)))
    most = round(max_lag_s / dt)
    best = (np.inf, 0.0, 0)
    for lag in range(-most, most + 1):
        design = np.column_stack([_shifted(phases.acceleration, span, lag), np.ones(residual.size)])
        coef, *_ = np.linalg.lstsq(design, residual, rcond=None)
        error = float(np.sum((residual - design @ coef) ** 2))
        if error < best[0] - 1e-15:
            best = (error, float(coef[0]), lag)
    _, inertia, lag = best
    if not inertia > 0:
        return 0.0, 0.0
    return inertia, lag * dt


@dataclasses.dataclass(frozen=True)
class ResistanceResidual:
    """The fast stretch's torque less the slow (elastic) curve, less VC: the neural part (N m)."""

    time: np.ndarray  # s, from P0 to the end of the fast Trial
    angle: np.ndarray  # rad, the fast Trial's own (its sign convention)
    neural: np.ndarray  # N m: T_fast - E(q) [- I a] - VC, positive resisting the stretch
    viscous_nm: float
    phases: StretchPhases  # indices into the fast Trial
    decomposition: DecompositionMeasures  # of the same slow and fast stretches


def resistance_residual(
    slow: Trial,
    fast: Trial,
    *,
    inertia_kg_m2: float | None = None,
    smoothing_deg: float = 2.0,
    window_fraction: float = 0.1,
) -> ResistanceResidual:
    """The neural resistance of ``fast`` over time: ``T_fast - E(q) [- I a] - VC`` from P0 on.

    The same quantities as :func:`decompose` (whose NC is this residual averaged at P2; the same
    inertia, given or estimated, and channel delay), kept as a time series for catch and clonus
    detection (:mod:`myoreflex.measures.clinical`). Of a fast Trial with several stretches, the
    first. The fast Trial's angle must stay within the slow stretch's range, holds included.
    """
    fast = segment_stretches(fast)[0]
    decomposition = measure(
        slow, fast, inertia_kg_m2=inertia_kg_m2, smoothing_deg=smoothing_deg, window_fraction=window_fraction
    )
    direction = stretch_direction(fast)
    phases = stretch_phases(fast)
    elastic = _elastic_curve(oriented(slow), smoothing_deg=smoothing_deg, extrapolate=False, sign=direction)
    span = slice(phases.p0, None)
    lag = round(decomposition.channel_lag_s / float(np.median(np.diff(fast.time))))
    neural = (
        _residual(oriented(fast), phases, elastic, decomposition.inertia_kg_m2, span, lag)
        - decomposition.viscous_nm
    )
    return ResistanceResidual(fast.time[span], fast["angle"][span], neural, decomposition.viscous_nm, phases,
                              decomposition)


def _lindberg(
    slow: Trial,
    fast: Trial,
    *,
    lever_arm_m: float | None,
    inertia_kg_m2: float | None,
    smoothing_deg: float,
    window_fraction: float,
    extrapolate: bool = False,
) -> DecompositionMeasures:
    direction = stretch_direction(fast)  # the angles are reported in the Trial's own convention
    slow, fast = oriented(slow), oriented(fast)
    slow_phases = stretch_phases(slow)
    phases = stretch_phases(fast)
    if not slow_phases.plateau_velocity < phases.plateau_velocity:
        raise RecordingError(
            describe(
                f"`{slow.source}` and `{fast.source}`",
                "a slow stretch slower than the fast one",
                f"{slow_phases.plateau_velocity / DEG:.1f} and {phases.plateau_velocity / DEG:.1f} deg/s",
                "pass the slow stretch first",
            )
        )
    elastic = _elastic_curve(slow, smoothing_deg=smoothing_deg, extrapolate=extrapolate, sign=direction)
    angle = fast["angle"]
    inertia = _inertia(fast, slow, inertia_kg_m2)
    lag_s, lag = 0.0, 0
    if inertia is None:
        inertia, lag_s = estimate_inertia(slow, fast, smoothing_deg=smoothing_deg)
        lag = round(lag_s / float(np.median(np.diff(fast.time))))
        inertial_method = (
            f"inertia {inertia:.3g} kg m^2 estimated from the fast movement (least squares of T - E(q) on "
            f"the acceleration, torque leading the angle by {lag_s * 1e3:.0f} ms) x peak acceleration "
            "between P0 and P1"
        )
    else:
        inertial_method = f"inertia {inertia:g} kg m^2 x peak acceleration between P0 and P1"
    p0, p1, p2 = phases.p0, phases.p1, phases.p2
    residual = _residual(fast, phases, elastic, inertia, slice(p0, p2 + 1), lag)
    n_window = max(1, round(window_fraction * (p2 - p1 + 1)))
    at_p1 = p1 - p0
    at_p2 = p2 - p0
    viscous = float(np.mean(residual[at_p1 : at_p1 + n_window]))
    neural = float(np.mean(residual[at_p2 - n_window + 1 : at_p2 + 1])) - viscous
    e0, e2 = elastic(np.array([angle[p0], angle[p2]]))
    elastic_nm = float(e2 - e0)
    inertial = float(inertia * np.max(_shifted(phases.acceleration, slice(p0, p1 + 1), lag)))
    rest = slow.time < slow.time[slow_phases.p0]
    slow_torque = slow["torque"]
    resting = (
        float(np.mean(slow_torque[rest]))
        if np.count_nonzero(rest) >= 2
        else float(slow_torque[slow_phases.p0])
    )

    components = {"inertial": inertial, "elastic": elastic_nm, "viscous": viscous, "neural": neural}
    if lever_arm_m is not None:
        if not (np.isfinite(lever_arm_m) and lever_arm_m > 0):
            raise ParameterError(describe("lever_arm_m", "a distance > 0 m", lever_arm_m))
        at_hand = {name: value / lever_arm_m for name, value in components.items()}
        resting_n = resting / lever_arm_m
        flags = {name: bool(at_hand[name] > cut) for name, cut in PENNATI_CUTOFFS_N.items()}
        note = (
            f"forces at {lever_arm_m:g} m from the joint axis compared with mean + 3 SD of "
            "107 healthy adults (wrist and fingers; indicative only for other joints)"
        )
    else:
        at_hand = dict.fromkeys(components)
        resting_n = None
        flags = dict.fromkeys(PENNATI_CUTOFFS_N)
        note = (
            "not applicable: the cut-offs are forces at the NeuroFlexor hand platform; give lever_arm_m "
            f"(e.g. NEUROFLEXOR_LEVER_ARM_M = {NEUROFLEXOR_LEVER_ARM_M} m) to compare"
        )
    t = fast.time
    return DecompositionMeasures(
        inertial_nm=inertial, elastic_nm=elastic_nm, viscous_nm=viscous, neural_nm=neural,
        resting_tension_nm=resting, lever_arm_m=lever_arm_m,
        inertial_n=at_hand["inertial"], elastic_n=at_hand["elastic"], viscous_n=at_hand["viscous"],
        neural_n=at_hand["neural"], resting_tension_n=resting_n,
        flags=flags, cutoffs_n=dict(PENNATI_CUTOFFS_N), cutoff_source=PENNATI_2016, flags_note=note,
        p0_s=float(t[p0]), p1_s=float(t[p1]), p2_s=float(t[p2]),
        p0_angle_deg=float(direction * angle[p0] / DEG), p1_angle_deg=float(direction * angle[p1] / DEG),
        p2_angle_deg=float(direction * angle[p2] / DEG),
        slow_velocity_deg_s=slow_phases.plateau_velocity / DEG, fast_velocity_deg_s=phases.plateau_velocity / DEG,
        inertial_method=inertial_method, method="lindberg2011", reference=LINDBERG_2011,
        inertia_kg_m2=inertia, channel_lag_s=lag_s,
    )


METHODS = Registry("decomposition method", {"lindberg2011": Method(_lindberg, LINDBERG_2011)})
"""``method=`` choices of :func:`measure`, each a :class:`~myoreflex.measures.Method`."""


def measure(
    slow: Trial,
    fast: Trial,
    *,
    lever_arm_m: float | None = None,
    inertia_kg_m2: float | None = None,
    method: str = "lindberg2011",
    smoothing_deg: float = 2.0,
    window_fraction: float = 0.1,
    lenient: bool = False,
    muscle: str | None = None,
) -> DecompositionMeasures:
    """Split the resistance to ``fast`` into inertial, elastic, viscous and neural components.

    Parameters
    ----------
    slow, fast : Trial
        Isokinetic stretches of the same joint over the same range, each with ``angle`` (rad) and
        ``torque`` (N m, in the angle convention: positive resisting a stretch that increases the
        angle); ``slow`` must be slower and cover the fast range (NeuroFlexor: 5 and 236 deg/s).
        Both stretch the way of ``stretch_direction`` (metadata, default +1: increasing angle; -1:
        decreasing, e.g. a knee extension, :func:`oriented`); time points' angles are reported in
        the Trials' own convention.
    lever_arm_m : float, optional
        Distance from the joint axis to the point where the force is taken (m); gives the
        components in N (``F = T / lever_arm_m``) and the Pennati et al. 2016 flags.
    inertia_kg_m2 : float, optional
        Moment of inertia of the moved segment and device (kg m^2); else the Trial metadata key
        ``inertia_kg_m2``; else estimated from the fast movement (:func:`estimate_inertia`).
    method : {"lindberg2011"}
        The decomposition (see :data:`METHODS`).
    smoothing_deg : float
        Half-width of the local linear fit of the slow torque-angle curve (deg).
    window_fraction : float
        Fraction of the constant-velocity phase averaged at P1 and at P2.
    lenient : bool
        False (default): a failed quality gate (:data:`GATES`: same joint, overlapping angle
        ranges; module notes) raises :class:`~myoreflex.errors.QualityGateError`. True: the
        components are computed anyway (E(q) extended along its end lines) with the failed gates
        named in ``warnings``.
    muscle : str, optional
        The stretched muscle whose EMG in ``slow`` is checked for a reflex (default the first
        ``emg_<muscle>`` channel; module notes, :func:`slow_reflex`).

    Returns
    -------
    DecompositionMeasures
        Components in N m (and N), resting tension, flags, time points, the method and ``warnings``
        (empty when every gate passed); the inertia used, the NC's spread over repeated fast
        stretches, and ``slow_reflex`` (module notes).

    Notes
    -----
    ``EC = E(q_P2) - E(q_P0)``, ``VC = r(P1)``, ``NC = r(P2) - VC`` with ``r = T_fast - E(q) [- I a]``;
    see the module docstring for the choices and why.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> def ramp(v, reflex=0.0):  # 0 -> 1 rad, torque = 2 q + 0.05 q' (+ a rise at speed)
    ...     t = np.linspace(0, 0.5 + 1 / v + 0.5, 4001)
    ...     q = np.clip((t - 0.5) * v, 0, 1)
    ...     w = np.gradient(q, t)
    ...     rise = reflex * np.clip(q - 0.5, 0, None)
    ...     return Trial(t, {"angle": Channel(q, "rad"), "torque": Channel(2 * q + 0.05 * w + rise, "N m")})
    >>> d = measure(ramp(0.1), ramp(4.0, reflex=1.0), lever_arm_m=0.095)
    >>> round(d.elastic_nm, 1), round(d.viscous_nm, 1), d.neural_nm > 0.4, d.flags["neural"], d.warnings
    (2.0, 0.2, True, True, ())
    >>> knee = ramp(4.0).with_metadata(joint="knee", source="knee_fast.csv")
    >>> elbow = ramp(0.1).with_metadata(joint="elbow", source="elbow_slow.csv")
    >>> print(measure(elbow, knee, lenient=True).warnings[0])  # doctest: +ELLIPSIS
    `elbow_slow.csv` (slow) and `knee_fast.csv` (fast), quality gate `same_joint`: ...; got joint 'elbow' and 'knee'...
    """
    entry = METHODS.lookup(method)
    if not 0 < window_fraction <= 0.5:
        raise ParameterError(describe("window_fraction", "a fraction in (0, 0.5]", window_fraction))
    if not smoothing_deg > 0:
        raise ParameterError(describe("smoothing_deg", "an angle > 0 deg", smoothing_deg))
    if stretch_direction(slow) != stretch_direction(fast):
        raise RecordingError(
            describe(
                f"`{slow.source}` and `{fast.source}`",
                "slow and fast stretches in the same direction",
                f"stretch_direction {stretch_direction(slow):+g} and {stretch_direction(fast):+g}",
            )
        )
    reflex, reflex_angle, reflex_note = slow_reflex(slow, muscle=muscle)
    results, warnings = [], []
    for piece in segment_stretches(fast):
        for message in evaluate(f"`{slow.source}` (slow) and `{piece.source}` (fast)",
                                [same_joint(slow, piece), _overlap(slow, piece, smoothing_deg)], lenient=lenient):
            if message not in warnings:
                warnings.append(message)
        results.append(entry.function(slow, piece, lever_arm_m=lever_arm_m, inertia_kg_m2=inertia_kg_m2,
                                      smoothing_deg=smoothing_deg, window_fraction=window_fraction,
                                      extrapolate=lenient))
    result = _average(results)
    return dataclasses.replace(result, warnings=tuple(warnings), slow_reflex=reflex,
                               slow_reflex_angle_deg=reflex_angle, slow_reflex_note=reflex_note)


def _average(results: list[DecompositionMeasures]) -> DecompositionMeasures:
    """One record from the decompositions of repeated fast stretches: mean components, NC spread."""
    first = results[0]
    neural = tuple(r.neural_nm for r in results)
    if len(results) == 1:
        return dataclasses.replace(first, neural_per_stretch_nm=neural)
    n = len(results)
    mean = {
        name: float(np.mean([getattr(r, name) for r in results]))
        for name in ("inertial_nm", "elastic_nm", "viscous_nm", "neural_nm")
    }
    sd = float(np.std(neural, ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
    at_hand = {}
    flags = dict(first.flags)
    if first.lever_arm_m is not None:
        at_hand = {name.replace("_nm", "_n"): value / first.lever_arm_m for name, value in mean.items()}
        flags = {name: bool(at_hand[f"{name}_n"] > cut) for name, cut in PENNATI_CUTOFFS_N.items()}
    inertia = [r.inertia_kg_m2 for r in results]
    return dataclasses.replace(
        first, **mean, **at_hand, flags=flags, n_stretches=n, neural_sd_nm=sd,
        neural_ci95_nm=(mean["neural_nm"] - half, mean["neural_nm"] + half), neural_per_stretch_nm=neural,
        inertia_kg_m2=None if None in inertia else float(np.mean(inertia)),
        inertial_method=f"{first.inertial_method} (first of {n} stretches; IC is their mean)",
    )


def slow_reflex(slow: Trial, *, muscle: str | None = None) -> tuple[bool | None, float | None, str]:
    """Whether the slow stretch of a decomposition shows reflex EMG, and from which angle (deg).

    Returns ``(detected, onset_angle_deg, note)``: ``detected`` None when the Trial has no
    ``emg_<muscle>`` channel (or too little rest for an EMG baseline; the note says which). The
    onset is :func:`myoreflex.measures.threshold.dsrt`'s (Hodges & Bui 1996 on the stretched
    muscle, ``muscle`` or the first EMG channel) during the movement; an onset emits
    :class:`SlowReflexWarning` (why it matters: module notes, ANCHORS 5.1 and 6).

    Examples
    --------
    >>> import numpy as np, warnings
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 12, 12001)
    >>> q = np.clip((t - 1) * 0.1, 0, 1)                 # 0.1 rad/s from 0 to 1 rad
    >>> emg = np.where(q > 0.6, 0.2, 0.0)              # reflex EMG from 0.6 rad (34.4 deg)
    >>> slow = Trial(t, {"angle": Channel(q, "rad"), "emg_flexors": Channel(emg, "1")}, {"source": "slow.csv"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     detected, angle, note = slow_reflex(slow)
    >>> detected, round(angle, 1), caught[0].category.__name__
    (True, 34.4, 'SlowReflexWarning')
    """
    if not slow.emg_names():
        return None, None, "no EMG channel in the slow stretch: not checked"
    from myoreflex.measures.threshold import dsrt  # threshold imports this module

    try:
        found = dsrt(slow, muscle=muscle)
    except RecordingError as exc:
        return None, None, f"not checked: {exc}"
    if found.dsrt_deg is None:
        return False, None, f"no EMG onset in `emg_{found.muscle}` during the slow stretch"
    note = (
        f"`{slow.source}`, channel `emg_{found.muscle}`: reflex EMG from {found.dsrt_deg:.1f} deg during the "
        f"slow stretch ({found.plateau_velocity_deg_s:.1f} deg/s); its torque is not purely elastic past that "
        "angle, so EC is overestimated and NC underestimated there (the NeuroFlexor assumes a reflex-free slow "
        "stretch, ANCHORS 5.1)"
    )
    _warnings.warn(note, SlowReflexWarning, stacklevel=3)
    return True, found.dsrt_deg, note


def _overlap(slow: Trial, fast: Trial, smoothing_deg: float) -> GateResult:
    """Gate ``angle_overlap``: how far (deg) the fast stretch's P0-P2 angles go beyond the slow range."""
    direction = stretch_direction(fast)
    slow, fast = oriented(slow), oriented(fast)
    slow_phases, phases = stretch_phases(slow), stretch_phases(fast)
    covered = slow["angle"][slow_phases.p1 : slow_phases.p2 + 1]
    used = fast["angle"][phases.p0 : phases.p2 + 1]
    beyond = max(float(covered.min() - used.min()), float(used.max() - covered.max()), 0.0) / DEG
    gate = dataclasses.replace(GATES["angle_overlap"], limit=float(smoothing_deg),
                               rule=f"the fast stretch's angles from P0 to P2 ({_span_deg(used, direction)}) "
                                    f"beyond the slow stretch's range ({_span_deg(covered, direction)})")
    return gate.result(beyond, f"{beyond:.2f} deg")


decompose = measure
"""The NeuroFlexor verb for :func:`measure` (the same function)."""
