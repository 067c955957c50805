"""Fit the reflex-loop model, or the passive pendulum of De Groote et al. 2018, to a pendulum test.

The simulation is aligned to the recording's release. Until the release time ``t_r`` the leg is
where the examiner holds it, which the recording shows: the model's angle there is the recorded
angle, smoothed (``q_s``, the Savitzky-Golay angle that :func:`align_pendulum` finds the release
on). At ``t_r`` the leg is let go, at rest, from where the recording is then, ``q_0 = q_s(t_r)``,
and swings freely. The release time is a nuisance parameter fitted with the model's (a normal prior
around the detected release, :func:`align_pendulum`), because a single noisy sample does not fix it
well and a recording may start after the leg is already moving; the release angle follows from it
(``params["initial_angle"]``, :func:`with_release_angle`). The residuals are::

    r_i = q_model(t_i - t_r; theta) - q_recorded(t_i),   t_r,det - 0.25 s <= t_i <= t_r,det + window_s,

where ``q_model`` is ``q_s(t_i)`` before the release and the knee angle simulated from rest at
``q_s(t_r)`` after it (cubic Hermite interpolation of the simulated angle and velocity, so residuals
are smooth in ``t_r``), and ``theta`` the free parameters.

Why the recorded path before the release (issue 17): a recording may show the leg moving before it
swings freely (CP1's right knee: from 16.3 deg at its first sample, 2.25 s, to 21.7 deg at 2.38 s
at 12-60 deg/s, then a free fall), which the measures date as the release and start of the swing
(:mod:`myoreflex.measures.pendulum`: R1 from 16.3 deg). The model used to hold the leg still at a
free release angle ``q_0`` until ``t_r``; it could not follow that path, so the fit placed the leg at
22 deg from the first sample on and let it go at 2.37 s, and a re-simulation from that release
(``simulate pendulum --from-fit``) started 5.7 deg from the recording's start. A free ``q_0`` with
the recorded path before ``t_r`` is no cure: the fit then lets the leg jump at the release (3.5 deg
above the recorded angle for CP1 right), because a higher start shortens a first swing the model
brakes too little. Tied to the recording, the fitted swing begins as the recording does;
:meth:`PendulumWindow.describe` keeps the recorded path before the release (``release_path``) and
:func:`myoreflex.fit.simulate_fit.simulate_fit` puts it before the simulated swing. On the
synthetic recordings of tests/fit/test_fit_recovery.py (1 deg of noise) the release angle comes
within 0.5 deg of the truth, as the free ``q_0`` did. The leg is let go at rest: the recording's speed
at ``t_r`` (60 deg/s for CP1 right) is not used, because the simulator starts a free swing at rest
(:class:`myoreflex.simulation.Drive` has no initial velocity), and with that speed the fit could
follow the recording past the release and move ``t_r`` late into the swing.

This module is the fit model (:class:`PendulumModel`, the contract of
:mod:`myoreflex.fit.pipeline`); everything else (priors, optimiser, noise, Laplace, NUTS) is the
pipeline's.

The passive model (``fit_passive_pendulum``) is the torque-driven shank of De Groote et al. 2018
and its teaching version (ANCHORS 3.3), in myoreflex's sign convention (knee flexion positive)::

    I q'' = m g l_c cos(q) - T_b - B q'  (- K (q - q_n) when a stiffness is freed),

which is :func:`myoreflex.physiology.limb.angular_acceleration` with the range-of-motion limits
switched off (:func:`passive_limb`). The tutorial's baseline torque is the negative of ``T_b`` here.

Quality gates (issue 19): the fit refuses the recordings the pendulum measures refuse, by the same
rules (:data:`myoreflex.measures.pendulum.GATES`, evaluated on the whole recording by
:func:`myoreflex.measures.pendulum.check` in :func:`align_pendulum`), so that ``assess`` and ``fit``
give one verdict per file. :data:`FIT_GATES` are the gates that apply to a fit:

- ``samples_per_swing``: the residuals compare samples; at under 20 per swing the recording aliases
  the swing (the tutorial trace at 1 Hz) and the release time cannot be located;
- ``first_swing_reverses`` and ``damped_decay``: the models are damped pendulums released once; a
  swing that never reverses or never decays is not what they describe;
- ``plateau_settled``, although no residual reads the plateau, for three reasons: the swing
  direction and the release angle are found against the final rest (:func:`align_pendulum`, as in
  the measures), so an unsettled end moves them; the fitted tone (baseline torque, reflex
  threshold) sets the resting angle, which only a settled recording shows, while a window cut
  mid-swing leaves it to extrapolation; and one file gets one verdict: the tutorial trace cut at
  3 s is refused by both ``assess`` and ``fit`` (tests/fit/test_fit_gates.py). The gates judge the
  whole recording, not the fitted window: a 3 s window of a complete recording passes.

``velocity_noise`` does not apply: the fit reads no differentiated velocity (the release is found
on a smoothed angle) and estimates the angle's noise, and its synthetic recordings carry 1 deg of
it. ``lenient=True`` fits a recording that fails a gate and names the gate in
``FitResult.warnings``.

References: De Groote F, Blum KP, Horslen BC, Ting LH 2018 PLOS ONE 13:e0205763; Bajd & Bowman
1982 J Biomed Eng 4:90 (release and start angle of the pendulum test).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.signal import savgol_filter

from myoreflex import model, runtime
from myoreflex.errors import ParameterError, ProtocolError, RecordingError, describe
from myoreflex.fit import pipeline
from myoreflex.fit.core import DEFAULT_SETTINGS, FitSettings
from myoreflex.fit.pipeline import FitChannel, Nuisance, Prepared, Series
from myoreflex.fit.result import FitResult
from myoreflex.measures import pendulum as pendulum_measures
from myoreflex.physiology.limb import LimbParams, angular_acceleration
from myoreflex.simulation import run_loop
from myoreflex.trial import Trial
from myoreflex.units import DEG

RELEASE_VELOCITY = 20 * DEG
"""rad/s: the swing has started when the smoothed velocity exceeds this (ANCHORS 4.1 / 4.3)."""
RELEASE_SAMPLES = 3
"""Consecutive samples above :data:`RELEASE_VELOCITY` that mark the release (robust to noise)."""
SMOOTHING_S = pendulum_measures.SWING_SMOOTHING_S
"""s: Savitzky-Golay window (quadratic) used only to find the release, never for the residuals."""
swing_direction = pendulum_measures.swing_direction
DEFAULT_FREE = ("motoneuron.gain", "limb.damping", "limb.stiffness", "limb.baseline_torque")
"""The free parameters of a pendulum fit unless told otherwise, chosen by an identifiability analysis on
the real children's recordings CP1 right, CP1 left and TD5 (issue 14): the Laplace posterior (Fisher
information of the data plus the prior) of the six candidates ``motoneuron.gain``,
``motoneuron.threshold``, ``motoneuron.tone``, ``limb.damping``, ``limb.stiffness``,
``limb.baseline_torque`` with the release angle and time, at each recording's fit of this set (child
muscles 500/300 N as in tests/fit/test_fit_children.py, threshold at 0 and at 30 pps):

- damping, stiffness and baseline torque (De Groote et al. 2018's passive pendulum and its tone) are
  jointly identified on all three: 95 % intervals at most 12 % as wide as their prior's, pairwise
  |r| <= 0.93 (stiffness with baseline torque on CP1 right, the largest);
- the reflex gain is nearly uncorrelated with them (|r| <= 0.06 on all three), so freeing it costs the
  others nothing. Its information is one-sided, which the Laplace approximation cannot show and the
  profile (``FitSettings(profile=...)``, ``--profile``) does: the swing bounds it above in CP1 left and
  TD5 (no reflex) and below in CP1 right (above too with the adult-scaled muscles of the plain preset);
- the motor-neuron tone trades against damping (r = -0.85 on TD5) and is left fixed;
- the threshold carries no information at all at 30 pps (posterior sd = prior sd on all three) and
  trades against the gain (in fits from 2 starts the gain of CP1 right falls from 0.016 to 0.0057 1/pps when the
  threshold goes from 0 to 30 pps, at the same RMSE): it is fixed at 0 pps (:data:`DEFAULT_START`).
  With it at 0 the reflex drive is proportional to the spindle input, so the gain alone measures the
  reflex; at the preset's 150 pps the slow swing's afferent rates never reach it, the gain has no
  gradient and the fit stayed at its start (issue 14).

The segment's inertia (``limb.inertia``, from the body's anthropometry) is not in the set: freed, it
carries the 20 % prior of its regression (:data:`myoreflex.fit.pipeline.REGRESSION_PRIORS`) and
removes the gain's bias from a wrong inertia, but trades with the gain and the tissue parameters
(benchmarks/RESULTS.md run L: coloured noise alone then sends 6 of 8 synthetic gains off by more than
25 %, against 1 of 8 with it fixed). ``--free limb.inertia`` frees it.
"""
DEFAULT_START = {"motoneuron.threshold": 0.0}
"""Values ``myoreflex fit pendulum`` gives the preset before fitting :data:`DEFAULT_FREE` (a parameter
named in ``--free`` keeps the preset's value as its start)."""
DEFAULT_PASSIVE_FREE = ("baseline_torque", "damping")
NUISANCE = ("release_time",)
"""Nuisance parameter always fitted: when (s) the leg is let go; the angle (rad) it is let go from, at
rest, is the recorded angle then (``params["initial_angle"]``, module doc)."""
FIT_GATES = ("plateau_settled", "samples_per_swing", "first_swing_reverses", "damped_decay")
"""The pendulum quality gates a fit applies (module notes): all but ``velocity_noise``."""
GOOD_RMSE_DEG = 5.0
"""deg: a pendulum fit whose angle RMSE is below this is ``quality == "good"``, else ``"poor"``. The
acceptance threshold of issue 14 for real children's swings. It is under a tenth of their first-swing
excursion (53 deg for CP1 right, 104 deg for CP1 left, 126 deg for TD5: tests/measures/test_pendulum_real.py),
so a good fit reproduces the first swing, and with it R1, to about 10 %; and it is the upper end of what
a systematic review of marker-based kinematics calls a reasonable knee-angle error (McGinley, Baker,
Wolfe & Morris 2009 Gait Posture 29:360: below 2 deg good, 2-5 deg reasonable), so a fit within it is
as close as the recorded angle itself can be trusted to be."""
QUALITY_RULE = f"good when the angle RMSE is below {GOOD_RMSE_DEG:g} deg (fit.pendulum.GOOD_RMSE_DEG), else poor"
RELEASE_ROOM_S = 0.3
"""s: extra simulated time so the release time can move without running off the simulated swing."""
RELEASE_PATH_S = 0.5
"""s: the recorded path before the release kept in ``FitResult.data["release_path"]`` runs from the
window's start to this long after the detected release: ten prior sd of the release time (0.05 s)."""
RELEASE_PATH_SPACING_S = 0.005
"""s: the kept path's samples are at least this far apart (every sample of a 100 Hz recording)."""


# ---------------------------------------------------------------------------------------------
# Aligning the recording


@dataclasses.dataclass(frozen=True)
class PendulumWindow:
    """The part of a recording a pendulum fit compares with the model (SI units).

    ``time`` is absolute recording time (s) from ``hold_s`` before the detected release to
    ``window_s`` after it; ``angle`` is the raw recorded angle there (rad) and ``smoothed`` the
    smoothed one that the release is found on (rad; the model's angle before the release, module
    doc). ``initial_angle`` (rad) is the measured release angle and ``release_time_s`` the detected
    release, the prior centre and start of the release time.
    """

    time: np.ndarray
    angle: np.ndarray
    initial_angle: float
    release_time_s: float
    window_s: float
    hold_s: float
    source: str
    channel: str
    warnings: tuple[str, ...] = ()  # failed quality gates of a lenient fit (FIT_GATES); empty when all pass
    direction: float = 1.0  # sign of the swing: +1 when the leg falls towards larger angles (swing_direction)
    smoothed: np.ndarray | None = None  # the smoothed angle on `time` (rad); None: the raw one

    @property
    def path(self) -> np.ndarray:
        """The smoothed angle on :attr:`time` (rad): the model's angle before the release."""
        return self.angle if self.smoothed is None else self.smoothed

    def release_path(self) -> dict:
        """The recorded path before the release, as plain JSON: ``{"time_s", "angle_deg"}`` from the
        window's start to :data:`RELEASE_PATH_S` after the detected release, the smoothed angle at
        samples at least :data:`RELEASE_PATH_SPACING_S` apart."""
        step = float(np.median(np.diff(self.time))) if self.time.size > 1 else RELEASE_PATH_SPACING_S
        keep = np.flatnonzero(self.time <= self.release_time_s + RELEASE_PATH_S)
        keep = keep[:: max(1, round(RELEASE_PATH_SPACING_S / step))]
        return {"time_s": [float(x) for x in self.time[keep]], "angle_deg": [float(x) for x in self.path[keep] / DEG]}

    def describe(self) -> dict:
        """Plain-type summary for :attr:`FitResult.data` (with :meth:`release_path`)."""
        rate = 1.0 / float(np.median(np.diff(self.time))) if self.time.size > 1 else float("nan")
        return {
            "source": self.source,
            "channel": self.channel,
            "n_samples": int(self.time.size),
            "rate_hz": rate,
            "from_s": float(self.time[0]),
            "to_s": float(self.time[-1]),
            "window_s": float(self.window_s),
            "detected_release_time_s": float(self.release_time_s),
            "measured_initial_angle_deg": float(self.initial_angle / DEG),
            "release_path": self.release_path(),
        }


def align_pendulum(
    trial: Trial, *, window_s: float | None = 5.0, hold_s: float = 0.25, channel: str = "angle",
    lenient: bool = False,
) -> PendulumWindow:
    """Find the release in a pendulum recording and cut the samples the fit compares.

    The angle is smoothed (Savitzky-Golay, quadratic, :data:`SMOOTHING_S` window) only to find
    the release: the first of :data:`RELEASE_SAMPLES` consecutive samples whose velocity exceeds
    :data:`RELEASE_VELOCITY` in the swing direction (towards the final rest). The measured
    release angle is the extreme of the smoothed angle within 0.2 s before it (the first sample
    when the recording starts in motion). The window runs from ``hold_s`` before the release
    (where the held leg fixes the release angle) to ``window_s`` after it (None: the end).

    The whole recording must pass the pendulum quality gates of :data:`FIT_GATES` (module notes):
    a failed gate raises :class:`~myoreflex.errors.QualityGateError`, or with ``lenient=True`` is
    named in the window's ``warnings``.

    Examples
    --------
    >>> from myoreflex.conditions import apply_condition
    >>> from myoreflex.fit import synthetic_pendulum
    >>> from myoreflex.model import default_params
    >>> trial = synthetic_pendulum(apply_condition(default_params("knee"), "stroke", 0.7), duration_s=4.0)
    >>> window = align_pendulum(trial, window_s=1.0)
    >>> abs(window.release_time_s - 0.3) < 0.05, window.window_s, window.warnings
    (True, 1.0, ())
    """
    source = str(trial.metadata.get("source", "trial"))
    where = f"`{source}`, channel `{channel}`"
    angle = np.asarray(trial[channel], dtype=float)
    t = trial.time
    if angle.ndim != 1 or not np.all(np.isfinite(angle)):
        raise RecordingError(describe(where, "a 1-D finite knee angle (rad)", "NaN, inf or several columns"))
    if trial.duration < 1.0:
        raise RecordingError(describe(where, "a pendulum swing of at least 1 s", f"{trial.duration:.2f} s"))
    # The measures' gates first, on the whole recording: a file the measures refuse gets their reason.
    warnings = pendulum_measures.check(trial, channel=channel, gates=FIT_GATES, lenient=lenient)
    step = float(np.median(np.diff(t)))
    width = max(5, round(SMOOTHING_S / step) | 1)  # odd, at least 5 samples
    width = min(width, angle.size if angle.size % 2 else angle.size - 1)
    smooth = savgol_filter(angle, width, 2, mode="interp")
    velocity = savgol_filter(angle, width, 2, deriv=1, delta=step, mode="interp")
    direction = pendulum_measures.direction_of_rest(t, angle, smooth)
    fast = direction * velocity > RELEASE_VELOCITY
    run = np.convolve(fast.astype(int), np.ones(RELEASE_SAMPLES, dtype=int), mode="valid") == RELEASE_SAMPLES
    if not run.any():
        raise RecordingError(describe(where, "a released leg (velocity above 20 deg/s)", "no swing"))
    release = int(np.argmax(run))
    before = np.flatnonzero((t >= t[release] - 0.2) & (t <= t[release]))
    start = int(before[np.argmin(direction * smooth[before])])
    t_release = float(t[release])
    end = t[-1] if window_s is None else t_release + window_s
    keep = (t >= t_release - hold_s) & (t <= end + 1e-9)
    if np.sum(t[keep] > t_release) < 10:
        raise RecordingError(
            describe(where, "at least 10 samples after the release", int(np.sum(t[keep] > t_release)))
        )
    return PendulumWindow(
        time=t[keep],
        angle=angle[keep],
        initial_angle=float(smooth[start]),
        release_time_s=t_release,
        window_s=float(end - t_release),
        hold_s=float(hold_s),
        source=source,
        channel=channel,
        warnings=warnings,
        direction=direction,
        smoothed=smooth[keep],
    )


# ---------------------------------------------------------------------------------------------
# The model: parameters -> simulated angle and velocity on the grid k dt, k = 0..n_steps, after a
# release from rest at angle0, compared with the recording


def _full_model_swing(params, angle0, n_steps, dt):
    """The reflex loop released from rest at ``angle0``; every muscle state at rest there."""
    zeros = jnp.zeros(n_steps)
    angles, velocities = run_loop(params, angle0, (zeros, zeros, zeros), dt,
                                  lambda obs: (obs.angle, obs.angular_velocity), prescribed=False)
    start = jnp.reshape(jnp.asarray(angle0, dtype=float), (1,))
    return jnp.concatenate([start, angles]), jnp.concatenate([jnp.zeros(1), velocities])


def _passive_swing(limb, angle0, n_steps, dt):
    """``I q'' = m g l_c cos q + tau_passive``, semi-implicit Euler (as ``simulate_passive``)."""

    def one(state, _):
        angle, velocity = state
        velocity = velocity + dt * angular_acceleration(angle, velocity, 0.0, limb)
        angle = angle + dt * velocity
        return (angle, velocity), (angle, velocity)

    start = (jnp.asarray(angle0, dtype=float), jnp.zeros(()))
    _, (angles, velocities) = jax.lax.scan(one, start, None, length=n_steps)
    return (
        jnp.concatenate([jnp.reshape(start[0], (1,)), angles]),
        jnp.concatenate([jnp.zeros(1), velocities]),
    )


def _hermite(s, dt, angles, velocities):
    """Cubic Hermite interpolation of the simulated swing at times ``s`` after the release.

    C1 in ``s`` (so the residuals are smooth in the release time); the held angle before the
    release (``s < 0``) and the last simulated angle after the end.
    """
    n = angles.shape[0] - 1
    x = jnp.clip(s / dt, 0.0, n - 1e-9)
    k = jnp.floor(x).astype(jnp.int32)
    u = x - k
    u2, u3 = u * u, u * u * u
    return (
        (2 * u3 - 3 * u2 + 1) * angles[k]
        + (u3 - 2 * u2 + u) * dt * velocities[k]
        + (-2 * u3 + 3 * u2) * angles[k + 1]
        + (u3 - u2) * dt * velocities[k + 1]
    )


@dataclasses.dataclass(frozen=True)
class SwingResiduals:
    """``weight (q_model - q_observed)`` of a swing released at ``t_r`` (the nuisance value): the
    recorded (smoothed) path ``data["held"]`` before the release, then the swing simulated from
    rest at the path's angle at ``t_r`` (:func:`release_angle`); ``swing`` simulates ``n_steps``
    steps of ``dt`` (the static settings)."""

    swing: Callable
    n_steps: int
    dt: float

    def __call__(self, params, nuisance, data):
        release = nuisance[0]
        angles, velocities = self.swing(params, release_angle(release, data["path_times"], data["path"]),
                                        self.n_steps, self.dt)
        since = data["times"] - release
        model = jnp.where(since < 0, data["held"], _hermite(since, self.dt, angles, velocities))
        return data["weight"] * (model - data["observed"])


def release_angle(release_time, path_times, path):
    """The release angle: the recorded (smoothed) ``path`` at ``release_time``, linearly interpolated
    (traceable, so the residuals are differentiable in the release time)."""
    return jnp.interp(release_time, path_times, path)


@dataclasses.dataclass(frozen=True)
class PendulumModel:
    """The released pendulum as a fit model (:mod:`myoreflex.fit.pipeline`): one recording, its knee
    angle compared from just before the release, the release time as nuisance parameter (the leg let
    go from the recorded angle then, module doc).

    ``passive`` picks the swing: False, the reflex loop (``params0`` a knee
    :class:`~myoreflex.model.ReflexParams`); True, the passive pendulum of De Groote et al. 2018
    (``params0`` a :class:`~myoreflex.physiology.limb.LimbParams`, :func:`passive_limb`). The other
    fields are the settings of :func:`fit_pendulum`.

    Examples
    --------
    >>> PendulumModel(passive=True, window_s=None, dt=1e-3).reference
    'De Groote et al. 2018 PLOS ONE 13:e0205763 passive pendulum (ANCHORS 3.3)'
    """

    passive: bool = False
    window_s: float | None = 5.0
    dt: float = 2e-3
    channel: str = "angle"
    release_time_sd_s: float = 0.05
    lenient: bool = False

    def __post_init__(self):
        if not self.dt > 0:
            raise ParameterError(describe("dt", "a step > 0 s", self.dt))
        if self.window_s is not None and not self.window_s > 0.5:
            raise ParameterError(
                describe("window_s", "more than 0.5 s (or None for the whole recording)", self.window_s)
            )
        if not self.release_time_sd_s > 0:
            raise ParameterError(describe("release_time_sd_s", "a prior sd > 0", self.release_time_sd_s))

    @property
    def reference(self) -> str:
        if self.passive:
            return "De Groote et al. 2018 PLOS ONE 13:e0205763 passive pendulum (ANCHORS 3.3)"
        return "myoreflex reflex loop (myoreflex.model), released pendulum"

    def _check_params(self, params0):
        if self.passive:
            if not isinstance(params0, LimbParams):
                raise ParameterError(describe("limb", "a LimbParams (see passive_limb)", type(params0).__name__))
            return
        if not isinstance(params0, model.ReflexParams):
            raise ParameterError(
                describe("params0", "a ReflexParams (e.g. default_params('knee'))", type(params0).__name__)
            )
        if params0.joint != "knee":
            raise ProtocolError(describe("pendulum fit joint", "knee", params0.joint))

    def prepare(self, trials: Sequence[Trial], params0) -> Prepared:
        """Align the one recording's release (:func:`align_pendulum`, with its quality gates) and pad its window."""
        self._check_params(params0)
        if len(trials) != 1:
            raise RecordingError(describe("pendulum fit", "one pendulum recording", f"{len(trials)} recordings"))
        window = align_pendulum(trials[0], window_s=self.window_s, channel=self.channel, lenient=self.lenient)
        if window.direction < 0:
            raise RecordingError(describe(
                f"`{window.source}`, channel `{window.channel}`",
                "knee flexion positive: a leg released from extension falls towards larger angles",
                "a swing towards smaller angles (flexion negative, as in OpenSim)",
                "read the recording with angle_sign=-1 (CLI: --angle-sign -1, or leave --angle-sign out "
                "to detect it)"))
        m = window.time.size
        padded = pipeline.padded_length(m)
        data = {
            "times": pipeline.pad([window.time], padded, fill_last=True)[0],
            "observed": pipeline.pad([window.angle], padded)[0],
            "weight": pipeline.pad([np.ones(m)], padded)[0],
            "held": pipeline.pad([window.path], padded, fill_last=True)[0],
            "path_times": window.time,
            "path": window.path,
        }
        # The swing is simulated from the release to the window's end, with room for the release time to move.
        n_steps = math.ceil((window.time[-1] - window.release_time_s + RELEASE_ROOM_S) / self.dt)
        swing = _passive_swing if self.passive else _full_model_swing
        return Prepared(
            residuals=SwingResiduals(swing, n_steps, float(self.dt)),
            data=data,
            n_residuals=padded,
            channels=(FitChannel("angle", "deg", DEG, 1.0 * DEG),),
            series=(Series(0, 0, window.source, window.channel, window.time, window.angle),),
            description=window.describe(),
            what=f"pendulum fit of `{window.source}`",
            settings={"model": "passive" if self.passive else "full", "model_reference": self.reference,
                      "dt_s": float(self.dt), "window_s": window.window_s},
            nuisance=(
                Nuisance("release_time", window.release_time_s, self.release_time_sd_s,
                         f"release time ~ N(detected, ({self.release_time_sd_s:g} s)^2); the release angle is "
                         "the recorded angle then"),
            ),
            warnings=window.warnings,
        )

    def report(self, prepared: Prepared, fit) -> dict:
        """The angle RMSE and noise sd in deg, and the fitted swing in SI (``FitResult.fitted``)."""
        (series,), (residual,) = prepared.series, prepared.split(fit.residuals)
        rmse_deg = float(np.sqrt(np.mean(residual**2)) / DEG)
        return {
            "rmse_deg": rmse_deg,
            "quality": "good" if rmse_deg < GOOD_RMSE_DEG else "poor",
            "quality_rule": QUALITY_RULE,
            "noise_sd_deg": float(fit.noise_sd[0] / DEG),
            "noise_sd": {"angle_deg": float(fit.noise_sd[0] / DEG)},
            "fitted": (series.time, series.observed, series.observed + residual),
            "diagnostics": {
                "residual_autocorrelation_time": float(fit.autocorrelation_time[0]),
                "white_noise_sd_deg": float(fit.white_noise_sd[0] / DEG),
            },
        }


def with_release_angle(result: FitResult) -> FitResult:
    """``result`` with the release angle ``initial_angle`` (rad) among its ``params``: the recorded
    path (``result.data["release_path"]``) at the fitted release time, with its ``sd`` (delta method:
    the path's slope times the release time's sd), its ``ci95`` (the path at the ends of the release
    time's) and, for NUTS, its draws. It is not a free variable of the fit, so ``names`` and
    ``correlations`` leave it out.

    >>> from myoreflex.fit.result import FitResult
    >>> fit = FitResult(params={"release_time": 0.35}, ci95={"release_time": (0.3, 0.4)}, sd={"release_time": 0.025},
    ...                 rmse_deg=1.0, converged=True, names=("release_time",), correlations=np.eye(1), warnings=(),
    ...                 method="map", data={"release_path": {"time_s": [0.2, 0.3, 0.4], "angle_deg": [10.0, 10.0, 14.0]}},
    ...                 model_version="0", settings={}, seed=0, history=(), noise_sd_deg=1.0,
    ...                 laplace_ci95={"release_time": (0.3, 0.4)})
    >>> out = with_release_angle(fit)
    >>> round(out.params["initial_angle"] / DEG, 6), [round(x / DEG, 6) for x in out.ci95["initial_angle"]]
    (12.0, [10.0, 14.0])
    """
    path = result.data.get("release_path")
    if not path or "release_time" not in result.params:
        return result
    times = np.asarray(path["time_s"], dtype=float)
    angles = np.asarray(path["angle_deg"], dtype=float) * DEG

    def at(t):
        return np.interp(np.asarray(t, dtype=float), times, angles)

    release = result.params["release_time"]
    slope = float(np.interp(release, times, np.gradient(angles, times))) if times.size > 1 else 0.0

    def interval(bounds):
        return tuple(sorted(float(x) for x in at(np.asarray(bounds))))

    changes = {
        "params": {**result.params, "initial_angle": float(at(release))},
        "sd": {**result.sd, "initial_angle": abs(slope) * float(result.sd.get("release_time", 0.0))},
    }
    for name in ("ci95", "laplace_ci95"):
        intervals = getattr(result, name)
        if "release_time" in intervals:
            changes[name] = {**intervals, "initial_angle": interval(intervals["release_time"])}
    if result.samples is not None and "release_time" in result.samples:
        changes["samples"] = {**result.samples, "initial_angle": at(result.samples["release_time"])}
    if result.chains is not None and "release_time" in result.chains:
        changes["chains"] = {**result.chains, "initial_angle": at(result.chains["release_time"])}
    return dataclasses.replace(result, **changes)


RELEASE_DRIFT_SD = 4.0
"""A fitted release further than this many prior sd from the detected one is named in ``warnings``."""


def flag_release_drift(result: FitResult, release_time_sd_s: float) -> FitResult:
    """``result`` with a warning when its fitted release time lies more than :data:`RELEASE_DRIFT_SD`
    prior sd from the detected release: the model follows the recorded path up to the release (module
    doc), so a fit that cannot swing like the recording can lower its misfit by releasing late and
    copying the recorded swing (issue 14: TD5 with the knee's former stiff passive tissue, released at
    8.24 s against 7.54 s detected, 14 prior sd, RMSE 11 deg, "converged").

    >>> from myoreflex.fit.result import FitResult
    >>> fit = FitResult(params={"release_time": 8.24}, ci95={}, sd={}, rmse_deg=11.0, converged=True, names=(),
    ...                 correlations=np.eye(0), warnings=(), method="map", data={"detected_release_time_s": 7.54},
    ...                 model_version="0", settings={}, seed=0, history=(), noise_sd_deg=1.0, laplace_ci95={})
    >>> flag_release_drift(fit, 0.05).warnings[0][:60]
    'the fitted release (8.24 s) is 0.70 s (14 prior sd) from the'
    """
    detected, fitted = result.data.get("detected_release_time_s"), result.params.get("release_time")
    if detected is None or fitted is None or abs(fitted - detected) <= RELEASE_DRIFT_SD * release_time_sd_s:
        return result
    drift = abs(fitted - detected)
    message = (f"the fitted release ({fitted:.2f} s) is {drift:.2f} s ({drift / release_time_sd_s:.0f} prior sd) from the "
               f"detected one ({detected:.2f} s): the model may be copying the recorded path instead of swinging "
               "like it; look at the fit's figure before using its parameters")
    return dataclasses.replace(result, warnings=tuple(result.warnings) + (message,))


@runtime.float64
def fit_pendulum(
    trial: Trial,
    params0: model.ReflexParams,
    *,
    free: Sequence[str] = DEFAULT_FREE,
    window_s: float | None = 5.0,
    dt: float = 2e-3,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    release_time_sd_s: float = 0.05,
    channel: str = "angle",
    settings: FitSettings = DEFAULT_SETTINGS,
    lenient: bool = False,
) -> FitResult:
    """Fit the reflex-loop model's ``free`` parameters to a recorded (or simulated) pendulum test.

    Parameters
    ----------
    trial : Trial with a knee ``angle`` channel (rad, flexion positive), e.g. from
        ``read_opensim(path, angle_channel="knee_angle_r", angle_sign=-1)``.
    params0 : knee :class:`~myoreflex.model.ReflexParams` holding the fixed parameters and the
        first start of the free ones (e.g. ``default_params("knee", body_mass=..., height=...)``).
    free : dotted paths to estimate; bounds and priors come from each parameter's metadata. The
        default, :data:`DEFAULT_FREE`, was chosen for a preset whose threshold is at
        :data:`DEFAULT_START` (0 pps), as ``myoreflex fit pendulum`` sets it. At most one of
        ``motoneuron.threshold``, ``descending.inhibition``, ``descending.facilitation`` (they enter
        the model only as their sum, :data:`myoreflex.fit.pipeline.SUMMED`).
    window_s : seconds after the release to fit (None: to the end of the recording).
    dt : simulation step (s). 2 ms keeps the swing within 0.2 deg RMS of the 0.5 ms solution and
        halves the time of the simulator's default 1 ms; the fitted reflex gain of the 2 ms model
        is about 5 % below that of the 1 ms model for the same swing (the discretisation error is
        absorbed by the gain), so compare gains fitted with the same ``dt``.
    bounds : optional ``{path: (low, high)}`` replacing the metadata bounds.
    release_time_sd_s : prior sd of the release time around the detected one (s). The release
        angle is the recorded angle then (module doc): ``params["initial_angle"]``, with its
        interval from the release time's (:func:`with_release_angle`).
    channel : the angle channel of ``trial``.
    settings : :class:`~myoreflex.fit.core.FitSettings`: ``method`` ``"map"`` (maximum a
        posteriori with Laplace intervals) or ``"nuts"`` (adds the full posterior by NUTS;
        ``ci95`` then comes from its draws), ``starts`` (``params0`` and ``starts - 1`` draws
        around it, from ``seed``), ``noise_sd={"angle": sd}`` to fix the angle noise (rad; by
        default it is estimated from the residuals: the optimum uses their white-noise sd, the
        intervals that sd widened by the square root of the residuals' integrated
        autocorrelation time, :meth:`myoreflex.fit.core.NoiseModel.estimate`, which is large
        when the model misses the recording systematically) and the NUTS settings (the
        posterior costs 25-40 s on 2 cores, the Laplace intervals a second).
    lenient : False (default): a recording failing a pendulum quality gate (:data:`FIT_GATES`,
        module notes) raises :class:`~myoreflex.errors.QualityGateError` before any fitting. True:
        it is fitted and the failed gates are named in ``FitResult.warnings``.

    Returns
    -------
    FitResult (``to_json()`` gives the command-line contract); its ``warnings`` hold the failed
    gates of a lenient fit, then the identifiability messages; ``identified`` says per free parameter
    whether the data identify it (``identification`` why), ``quality`` grades the RMSE
    (:data:`GOOD_RMSE_DEG`), ``convergence`` the tests behind ``converged``. A recording whose leg
    falls towards smaller angles (flexion negative) raises :class:`~myoreflex.errors.RecordingError`
    (:func:`swing_direction`).

    Notes
    -----
    Residuals ``q_model(t_i) - q_recorded(t_i)`` over the window after the release, Gaussian
    likelihood, logit-normal prior on the documented bounds (:mod:`myoreflex.fit.core`). A
    :class:`NotIdentifiedWarning` names any free parameter the data leave undetermined.

    Examples
    --------
    The fit itself is skipped in the doc tests (compiling the model's Jacobian takes about 20 s):

    >>> from myoreflex import apply_condition, default_params
    >>> from myoreflex.fit import fit_pendulum, synthetic_pendulum
    >>> truth = apply_condition(default_params("knee"), "stroke", 0.7)
    >>> trial = synthetic_pendulum(truth, noise_sd_deg=1.0, seed=1)
    >>> result = fit_pendulum(trial, truth, window_s=4.0)  # doctest: +SKIP
    >>> sorted(result.to_dict())                           # doctest: +SKIP
    ['ci95', 'convergence', 'converged', 'identification', 'identified', 'params', 'quality', 'quality_rule', 'rmse_deg']
    """
    model = PendulumModel(window_s=window_s, dt=dt, channel=channel, release_time_sd_s=release_time_sd_s,
                          lenient=lenient)
    result = with_release_angle(pipeline.run(model, [trial], params0, free=free, bounds=bounds, settings=settings))
    return flag_release_drift(result, release_time_sd_s)


def passive_limb(
    mass: float,
    com_distance: float,
    inertia: float,
    *,
    baseline_torque: float = 0.0,
    damping: float = 0.2,
    stiffness: float = 0.0,
    neutral_angle: float = 0.0,
) -> LimbParams:
    """A shank for the passive pendulum of De Groote et al. 2018: no range-of-motion limit torques.

    ``mass`` (kg), ``com_distance`` (m) from the knee, ``inertia`` (kg m^2) about the knee. The
    tutorial child (ANCHORS 3.3): ``passive_limb(2.3351, 0.2367, 0.1535)``.

    Examples
    --------
    >>> limb = passive_limb(2.3351, 0.2367, 0.1535)
    >>> limb.inertia, limb.limit_low_torque, limb.limit_high_torque
    (0.1535, 0.0, 0.0)
    """
    return LimbParams(mass=mass, com_distance=com_distance, inertia=inertia, damping=damping, stiffness=stiffness,
                      neutral_angle=neutral_angle, baseline_torque=baseline_torque,
                      limit_low_torque=0.0, limit_high_torque=0.0)


@runtime.float64
def fit_passive_pendulum(
    trial: Trial,
    limb: LimbParams,
    *,
    free: Sequence[str] = DEFAULT_PASSIVE_FREE,
    window_s: float | None = None,
    dt: float = 1e-3,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    release_time_sd_s: float = 0.05,
    channel: str = "angle",
    settings: FitSettings = DEFAULT_SETTINGS,
    lenient: bool = False,
) -> FitResult:
    """Fit baseline torque ``T_b`` and damping ``B`` (optionally ``stiffness``) of the passive pendulum.

    ``I q'' = m g l_c cos(q) - T_b - B q' [- K (q - q_n)]`` (De Groote et al. 2018; ANCHORS 3.3),
    with ``limb`` from :func:`passive_limb` giving ``m``, ``l_c`` and ``I``. ``free`` are paths of
    :class:`~myoreflex.physiology.limb.LimbParams` (``"baseline_torque"``, ``"damping"``,
    ``"stiffness"``, ``"neutral_angle"``). By default the whole recording after the release is
    fitted, as in the tutorial. Other arguments (``lenient`` and the quality gates included) as
    :func:`fit_pendulum`.

    Examples
    --------
    With the tutorial's trace (skipped in the doc tests, which have no such file):

    >>> from myoreflex.fit import fit_passive_pendulum, passive_limb
    >>> from myoreflex.io import read_csv
    >>> trial = read_csv("DataPendulum.csv", angle_sign=-1)                         # doctest: +SKIP
    >>> result = fit_passive_pendulum(trial, passive_limb(2.3351, 0.2367, 0.1535))  # doctest: +SKIP
    >>> round(result.params["baseline_torque"], 1), round(result.params["damping"], 2)  # doctest: +SKIP
    (2.0, 0.15)
    """
    model = PendulumModel(passive=True, window_s=window_s, dt=dt, channel=channel,
                          release_time_sd_s=release_time_sd_s, lenient=lenient)
    result = with_release_angle(pipeline.run(model, [trial], limb, free=free, bounds=bounds, settings=settings))
    return flag_release_drift(result, release_time_sd_s)
