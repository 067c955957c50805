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
  little inertial torque is left in it and none needs to be known);
- ``P2`` the last sample with ``w >= 0.98 w_p`` (end of the constant-velocity phase).

The windows at P1 and P2 still hold the end of the velocity corners (from 98 % to 100 % of the
plateau); their inertial torque averages to about ``I (0.02 w_p) / window duration``, added to VC
and taken twice from NC (0.02 N m, 0.25 N at the hand, for the simulated wrist at 236 deg/s).
Passing the inertia removes it.

Elastic curve ``E(q)``: the torque of the slow stretch as a function of angle (assumed
reflex-free and velocity-free; NeuroFlexor's assumption for 5 deg/s), smoothed by a local linear
fit within +-``smoothing_deg`` of each angle. The residual of the fast stretch is

    r(t) = T_fast(t) - E(q_fast(t)) - I a(t)            (the I a term only when I is known)

and, averaging ``r`` over a window of ``window_fraction`` of the constant-velocity phase (noise):

    EC = E(q(P2)) - E(q(P0))                        length-dependent rise over the fast range
    VC = mean r over [P1, P1 + window]              velocity-dependent part before any reflex
    NC = mean r over [P2 - window, P2] - VC         the rise during the constant-velocity phase
    IC = I max a over [P0, P1]                      inertia known (argument or metadata)
       = max r over [P0, P1] - VC                   otherwise: the early fast-torque peak above the
                                                    slow curve, less the viscous part
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

The measure is :func:`measure` (also named :func:`decompose`), returning a
:class:`DecompositionMeasures` record.

References: Lindberg et al. 2011 Neurorehabil Neural Repair 25:617; Gaverth et al. 2013 J Rehabil
Med 45:630; Pennati et al. 2016 J NeuroEng Rehabil 13:30; Andringa et al. 2019 Front Neurol
10:730.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
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


VELOCITY_PLATEAU_FRACTION = 0.98  # P1 / P2: at least 98 % of the plateau velocity
VELOCITY_START_FRACTION = 0.10  # P0: below 10 % of the plateau velocity


@dataclasses.dataclass(frozen=True)
class StretchPhases:
    """Sample indices of one stretch: start ``p0``, at speed ``p1``, end of plateau ``p2``."""

    p0: int
    p1: int
    p2: int
    end: int  # last sample of the movement (velocity above 10 % of the plateau)
    plateau_velocity: float  # rad/s
    velocity: np.ndarray  # rad/s, every sample
    acceleration: np.ndarray  # rad/s^2, every sample


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


def stretch_phases(trial: Trial) -> StretchPhases:
    """Find the start, the constant-velocity phase and the end of one stretch.

    The velocity is the ``angular_velocity`` channel when present, else the gradient of ``angle``.
    The stretch must increase the angle (the Trial convention: positive stretches the tested
    muscle, :mod:`myoreflex.physiology.limb`).
    """
    angle = _finite_channel(trial, "angle", "joint angle, rad")
    t = trial.time
    if "angular_velocity" in trial:
        velocity = _finite_channel(trial, "angular_velocity", "rad/s")
    else:
        velocity = np.gradient(angle, t)
    where = f"`{trial.source}`, channel `angle`"
    if angle.max() - angle.min() < 1 * DEG:
        raise RecordingError(
            describe(where, "a stretch of at least 1 deg", f"{(angle.max() - angle.min()) / DEG:.2f} deg")
        )
    peak = int(np.argmax(np.abs(velocity)))
    if velocity[peak] <= 0:
        raise RecordingError(
            describe(
                where,
                "a stretch that increases the angle (positive = stretching the tested muscle)",
                "a decreasing angle",
                "flip the angle sign when reading the file",
            )
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
    return StretchPhases(p0, p1, p2, end, plateau, velocity, acceleration)


def elastic_curve(slow: Trial, *, smoothing_deg: float = 2.0,
                  extrapolate: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """Torque of the slow stretch as a function of angle, ``E(q)`` (N m), by local linear fits.

    ``E(q)`` is the least-squares line through the slow samples of the constant-velocity phase
    (P1 to P2: the start and stop transients carry inertia) with ``|q_i - q| <= smoothing_deg``,
    evaluated at ``q``; it follows a linear torque-angle relation exactly and averages noise over
    the window. Within ``smoothing_deg`` of the ends it extrapolates the end line; angles further
    outside raise :class:`RecordingError`, or with ``extrapolate`` follow the end line too (the
    lenient decomposition, gate ``angle_overlap``).
    """
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
                    f"a range covering the fast stretch, {np.min(q) / DEG:.1f} to {np.max(q) / DEG:.1f} deg",
                    f"{lo_range / DEG:.1f} to {hi_range / DEG:.1f} deg",
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


def _residual(fast: Trial, phases: StretchPhases, elastic, inertia: float | None, span: slice) -> np.ndarray:
    """``T_fast - E(q) [- I a]`` over ``span`` (N m)."""
    torque = _finite_channel(fast, "torque", "N m")[span]
    residual = torque - elastic(fast["angle"][span])
    if inertia is not None:
        residual = residual - inertia * phases.acceleration[span]
    return residual


@dataclasses.dataclass(frozen=True)
class ResistanceResidual:
    """The fast stretch's torque less the slow (elastic) curve, less VC: the neural part (N m)."""

    time: np.ndarray  # s, from P0 to the end of the fast Trial
    angle: np.ndarray  # rad
    neural: np.ndarray  # N m: T_fast - E(q) [- I a] - VC
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

    The same quantities as :func:`decompose` (whose NC is this residual averaged at P2), kept as a
    time series for catch and clonus detection (:mod:`myoreflex.measures.clinical`). The fast
    Trial's angle must stay within the slow stretch's range, holds included.
    """
    decomposition = measure(
        slow, fast, inertia_kg_m2=inertia_kg_m2, smoothing_deg=smoothing_deg, window_fraction=window_fraction
    )
    phases = stretch_phases(fast)
    elastic = elastic_curve(slow, smoothing_deg=smoothing_deg)
    span = slice(phases.p0, None)
    neural = (
        _residual(fast, phases, elastic, _inertia(fast, slow, inertia_kg_m2), span) - decomposition.viscous_nm
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
    elastic = elastic_curve(slow, smoothing_deg=smoothing_deg, extrapolate=extrapolate)
    angle = fast["angle"]
    inertia = _inertia(fast, slow, inertia_kg_m2)
    p0, p1, p2 = phases.p0, phases.p1, phases.p2
    residual = _residual(fast, phases, elastic, inertia, slice(p0, p2 + 1))
    n_window = max(1, round(window_fraction * (p2 - p1 + 1)))
    at_p1 = p1 - p0
    at_p2 = p2 - p0
    viscous = float(np.mean(residual[at_p1 : at_p1 + n_window]))
    neural = float(np.mean(residual[at_p2 - n_window + 1 : at_p2 + 1])) - viscous
    e0, e2 = elastic(np.array([angle[p0], angle[p2]]))
    elastic_nm = float(e2 - e0)
    if inertia is not None:
        inertial = float(inertia * np.max(phases.acceleration[p0 : p1 + 1]))
        inertial_method = f"inertia {inertia:g} kg m^2 x peak acceleration between P0 and P1"
    else:
        inertial = float(np.max(residual[: at_p1 + 1]) - viscous)
        inertial_method = (
            "peak of the fast torque above the slow curve between P0 and P1, less VC (inertia unknown)"
        )
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
        p0_angle_deg=float(angle[p0] / DEG), p1_angle_deg=float(angle[p1] / DEG), p2_angle_deg=float(angle[p2] / DEG),
        slow_velocity_deg_s=slow_phases.plateau_velocity / DEG, fast_velocity_deg_s=phases.plateau_velocity / DEG,
        inertial_method=inertial_method, method="lindberg2011", reference=LINDBERG_2011,
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
) -> DecompositionMeasures:
    """Split the resistance to ``fast`` into inertial, elastic, viscous and neural components.

    Parameters
    ----------
    slow, fast : Trial
        Isokinetic stretches of the same joint over the same range, each with ``angle`` (rad,
        increasing) and ``torque`` (N m, positive resisting the stretch); ``slow`` must be slower
        and cover the fast range (NeuroFlexor: 5 and 236 deg/s).
    lever_arm_m : float, optional
        Distance from the joint axis to the point where the force is taken (m); gives the
        components in N (``F = T / lever_arm_m``) and the Pennati et al. 2016 flags.
    inertia_kg_m2 : float, optional
        Moment of inertia of the moved segment and device (kg m^2); else the Trial metadata key
        ``inertia_kg_m2``; else IC is estimated from the early torque peak (see module notes).
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

    Returns
    -------
    DecompositionMeasures
        Components in N m (and N), resting tension, flags, time points, the method and ``warnings``
        (empty when every gate passed).

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
    warnings = evaluate(f"`{slow.source}` (slow) and `{fast.source}` (fast)",
                        [same_joint(slow, fast), _overlap(slow, fast, smoothing_deg)], lenient=lenient)
    result = entry.function(slow, fast, lever_arm_m=lever_arm_m, inertia_kg_m2=inertia_kg_m2,
                            smoothing_deg=smoothing_deg, window_fraction=window_fraction, extrapolate=lenient)
    return dataclasses.replace(result, warnings=warnings)


def _overlap(slow: Trial, fast: Trial, smoothing_deg: float) -> GateResult:
    """Gate ``angle_overlap``: how far (deg) the fast stretch's P0-P2 angles go beyond the slow range."""
    slow_phases, phases = stretch_phases(slow), stretch_phases(fast)
    covered = slow["angle"][slow_phases.p1 : slow_phases.p2 + 1] / DEG
    used = fast["angle"][phases.p0 : phases.p2 + 1] / DEG
    beyond = max(float(covered.min() - used.min()), float(used.max() - covered.max()), 0.0)
    gate = dataclasses.replace(GATES["angle_overlap"], limit=float(smoothing_deg),
                               rule=f"the fast stretch's angles from P0 to P2 ({used.min():.1f} to {used.max():.1f} "
                                    f"deg) beyond the slow stretch's range ({covered.min():.1f} to "
                                    f"{covered.max():.1f} deg)")
    return gate.result(beyond, f"{beyond:.2f} deg")


decompose = measure
"""The NeuroFlexor verb for :func:`measure` (the same function)."""
