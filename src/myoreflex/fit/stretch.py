"""Fit the reflex-loop model to motorized stretches at several velocities (torque, optionally EMG).

In a motorized stretch the motor prescribes the joint angle, so the model is driven by the
recorded angle and compared on what the motor and the electrodes measure: the resisting torque
and, optionally, the EMG of the stretched muscle. The residuals, over every sample ``t_i`` of
every stretch::

    r_tau,i = tau(t_i; theta) - tau_recorded(t_i)                          (N m)
    r_emg,i = e(t_i; theta) - emg_recorded(t_i)                            (EMG in unit 1)
    r_emg,i = a + s e(t_i; theta) - envelope(t_i)                          (EMG in V)

where ``tau`` is the motor torque of the model under prescribed kinematics,
``tau = I q'' - (tau_gravity + tau_passive + tau_muscle)`` (:func:`myoreflex.model.step` with
``prescribed=True``), ``e`` the excitation of the stretched (agonist) muscle and ``theta`` the
free parameters. EMG normalised to the model's scale (unit ``1``, as simulated) is compared
directly. A recording in volts is band-passed, rectified and low-passed
(:func:`myoreflex.measures.emg.emg_process`, 6 Hz linear envelope) and compared with an affine
map of the excitation whose offset ``a`` (baseline noise) and scale ``s`` (electrode gain) are
profiled out: for each ``theta`` they are the weighted least-squares solution over all stretches,
differentiated through (variable projection, Golub & Pereyra 1973 SIAM J Numer Anal 10:413).
The envelope's low-pass is not applied to the model: in a synthetic check (stroke elbow at 60 and
180 deg/s, raw EMG as excitation-modulated noise) this biased the fitted gain and threshold by
-1.4 % and -0.5 %, against 0.1-0.2 % from the torque alone.

The drive: a cubic spline through the recorded angle (optionally Savitzky-Golay smoothed first,
``smoothing_s``) gives angle, velocity and acceleration on the simulation grid ``t_0 + j dt``; the
model starts at rest at the first recorded angle, so a recording should start before the motor
moves. There is no angle residual (``rmse_deg`` is None; ``rmse_nm`` is the torque error).
This module is the fit model (:class:`StretchModel`, the contract of :mod:`myoreflex.fit.pipeline`);
everything else (priors, optimiser, noise estimate, Laplace, NUTS) is the pipeline's.

Quality gate (issue 19): the stretches of one fit are of one muscle, the measures' ``same_joint``
gate (:data:`myoreflex.measures.decomposition.SAME_JOINT`: subject, joint, side and movement, where
two recordings' metadata both give them, must agree), since one parameter set is fitted to all of
them; a failed gate raises :class:`~myoreflex.errors.QualityGateError`, or with ``lenient=True`` is
named in ``FitResult.warnings``. The threshold measure's gates (3 stretches over half the fastest
velocity) do not apply: a fit of one stretch is legitimate for some free parameters, and what the
stretches leave undetermined is reported by the identifiability warnings.

References: Levin & Feldman 1994 Brain Res 657:23 and McPherson et al. 2019 Exp Brain Res
237:121 (threshold and gain of the velocity-dependent stretch reflex in motorized stretches);
Golub & Pereyra 1973 (variable projection).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import savgol_filter

from myoreflex import model, runtime
from myoreflex.errors import ParameterError, ProtocolError, RecordingError, describe
from myoreflex.fit import pipeline
from myoreflex.fit.core import DEFAULT_SETTINGS, FitSettings
from myoreflex.fit.pipeline import FitChannel, Prepared, Series
from myoreflex.fit.result import FitResult
from myoreflex.measures.decomposition import same_joint
from myoreflex.measures.gates import evaluate
from myoreflex.simulation import run_loop
from myoreflex.trial import Trial
from myoreflex.units import DEG

DEFAULT_FREE = ("motoneuron.gain", "motoneuron.threshold")
"""Reflex gain (1/pps) and threshold (pps) of the motor neuron pool: the two a stretch shows best."""
STEP_BLOCK = 50
"""The simulated duration is rounded up to a multiple of this many steps, for the same reason."""
MIN_SAMPLES = 20
"""Fewest samples a stretch must have."""
MIN_RANGE = 2 * DEG
"""rad: smallest angle range that counts as a stretch."""
EMG_MODES = {"1": "direct", "V": "scaled"}
"""EMG unit -> how it is compared: directly with the excitation, or through a profiled affine map."""
START_NOISE_FRACTION = 0.05
"""Before the first estimate, each channel's noise sd is taken as this fraction of its range."""


# ---------------------------------------------------------------------------------------------
# One stretch as the fit sees it


@dataclasses.dataclass(frozen=True)
class StretchRecording:
    """A recorded stretch prepared for the fit (SI units).

    ``time`` (s, from the first sample), ``torque`` (N m) and ``emg`` (the compared EMG: the
    channel in unit 1, or the envelope of one in V; None without EMG) are the compared samples.
    ``drive`` (3, n) holds angle (rad), velocity (rad/s) and acceleration (rad/s^2) at
    ``dt, 2 dt, ...``; ``initial_angle`` the angle the model starts from at rest.
    """

    source: str
    time: np.ndarray
    torque: np.ndarray
    emg: np.ndarray | None
    emg_channel: str | None
    emg_unit: str | None
    initial_angle: float
    drive: np.ndarray
    peak_velocity_deg_s: float
    start_s: float

    def describe(self) -> dict:
        """Plain-type summary for :attr:`FitResult.data`."""
        rate = 1.0 / float(np.median(np.diff(self.time)))
        return {
            "source": self.source,
            "n_samples": int(self.time.size),
            "rate_hz": rate,
            "from_s": self.start_s,
            "to_s": self.start_s + float(self.time[-1]),
            "peak_velocity_deg_s": self.peak_velocity_deg_s,
            "initial_angle_deg": self.initial_angle / DEG,
            "emg_channel": self.emg_channel,
            "emg_unit": self.emg_unit,
        }


def _finite_channel(trial: Trial, source: str, name: str, expected: str) -> np.ndarray:
    if name not in trial:
        raise RecordingError(
            describe(
                f"`{source}`, channel `{name}`",
                expected,
                f"no such channel (channels: {', '.join(sorted(trial.channels)) or 'none'})",
            )
        )
    values = np.asarray(trial[name], dtype=float)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise RecordingError(describe(f"`{source}`, channel `{name}`", f"{expected}, finite", "NaN or inf"))
    return values


def _emg_channel(trial: Trial, source: str, muscle: str | None, agonist: str) -> str:
    names = trial.emg_names()
    if muscle is not None:
        if muscle not in names:
            raise RecordingError(
                describe(f"`{source}`, channel `emg_{muscle}`", f"one of {['emg_' + n for n in names]}",
                         "no such channel")
            )
        return f"emg_{muscle}"
    if not names:
        raise RecordingError(
            describe(f"`{source}`", "an emg_<muscle> channel of the stretched muscle (emg=True)", "none",
                     "fit without EMG or add the channel")
        )
    return f"emg_{agonist}" if agonist in names else f"emg_{names[0]}"


def prepare_stretch(
    trial: Trial,
    *,
    dt: float = 2e-3,
    smoothing_s: float = 0.0,
    emg: bool = False,
    emg_muscle: str | None = None,
    agonist: str = "",
) -> StretchRecording:
    """Check one stretch recording and build the model's drive from its angle.

    Needs ``angle`` (rad) and ``torque`` (N m) channels with finite values, at least
    :data:`MIN_SAMPLES` samples and an angle range of at least 2 deg; with ``emg=True`` also
    ``emg_<emg_muscle>`` (default: the ``agonist``'s channel, else the first EMG channel) in unit
    ``1`` or ``V``. ``smoothing_s > 0`` smooths the angle (Savitzky-Golay, cubic, that window)
    before the spline; 0 keeps it (an encoder's angle is clean, and smoothing blunts the
    acceleration at the ramp's corners, where the inertial torque peaks).

    Examples
    --------
    >>> from myoreflex.fit import synthetic_stretches
    >>> from myoreflex.model import default_params
    >>> recording = prepare_stretch(synthetic_stretches(default_params("elbow"), [90.0])[0])
    >>> round(recording.peak_velocity_deg_s), recording.emg is None
    (90, True)
    """
    source = str(trial.metadata.get("source", "trial"))
    angle = _finite_channel(trial, source, "angle", "a joint angle (rad) prescribed by the motor")
    torque = _finite_channel(trial, source, "torque", "a resisting torque (N m) measured by the motor")
    t = trial.time
    if t.size < MIN_SAMPLES:
        raise RecordingError(describe(f"`{source}`", f"a stretch of at least {MIN_SAMPLES} samples", t.size))
    if np.ptp(angle) < MIN_RANGE:
        raise RecordingError(
            describe(f"`{source}`, channel `angle`", "a stretch (the angle moving by 2 deg or more)",
                     f"a range of {np.ptp(angle) / DEG:.2f} deg")
        )
    if smoothing_s > 0:
        step = float(np.median(np.diff(t)))
        width = max(5, round(smoothing_s / step) | 1)
        angle = savgol_filter(angle, min(width, angle.size - (1 - angle.size % 2)), 3, mode="interp")
    relative = t - t[0]
    spline = CubicSpline(relative, angle)
    n_steps = math.ceil(relative[-1] / dt - 1e-9)
    grid = np.minimum(np.arange(1, n_steps + 1) * dt, relative[-1])
    drive = np.stack([spline(grid), spline(grid, 1), spline(grid, 2)])
    compared, channel, unit = None, None, None
    if emg:
        channel = _emg_channel(trial, source, emg_muscle, agonist)
        unit = trial.unit(channel)
        values = _finite_channel(trial, source, channel, "an EMG")
        if unit not in EMG_MODES:
            raise RecordingError(
                describe(f"`{source}`, channel `{channel}`", "EMG in unit 1 (normalised) or V", repr(unit))
            )
        if unit == "V":
            from myoreflex.measures.emg import emg_process

            values = emg_process(values, trial.sampling_rate).envelope
        compared = values
    return StretchRecording(
        source=source, time=relative, torque=torque, emg=compared, emg_channel=channel, emg_unit=unit,
        initial_angle=float(angle[0]), drive=drive, peak_velocity_deg_s=float(np.max(np.abs(drive[1])) / DEG),
        start_s=float(t[0]),
    )


# ---------------------------------------------------------------------------------------------
# The model: parameters -> torque and agonist excitation of every stretch on the grid k dt


def _stretch_response(params, drive, initial_angle, dt, gravity_scale):
    """Motor torque (N m) and agonist excitation on ``dt, 2 dt, ...`` for one prescribed drive."""
    return run_loop(params, initial_angle, (drive[0], drive[1], drive[2]), dt,
                    lambda obs: (obs.torque, obs.excitation[0]), prescribed=True, gravity_scale=gravity_scale)


def _profiled_affine(model_values, observed, weight):
    """``a + s x`` with ``(a, s)`` the weighted least-squares fit of ``observed`` (variable projection)."""
    total = jnp.sum(weight)
    mean_x = jnp.sum(weight * model_values) / total
    mean_y = jnp.sum(weight * observed) / total
    dx = model_values - mean_x
    scale = jnp.sum(weight * dx * (observed - mean_y)) / (jnp.sum(weight * dx * dx) + 1e-300)
    return mean_y + scale * dx


@dataclasses.dataclass(frozen=True)
class StretchResiduals:
    """Residuals of every stretch (torque, then EMG; stretch-major within each): the model driven by
    each recorded angle at step ``dt``; ``emg_mode`` ``"none"``, ``"direct"`` or ``"scaled"``
    (:data:`EMG_MODES`)."""

    dt: float
    gravity_scale: float
    emg_mode: str

    def __call__(self, params, nuisance, data):
        drive = data["drive"]
        grid = self.dt * jnp.arange(1, drive.shape[-1] + 1)
        simulated, excitation = jax.vmap(_stretch_response, in_axes=(None, 0, 0, None, None))(
            params, drive, data["initial_angle"], self.dt, self.gravity_scale
        )
        at_samples = jax.vmap(jnp.interp, in_axes=(0, None, 0))
        times, weight = data["times"], data["weight"]
        parts = [(weight * (at_samples(times, grid, simulated) - data["torque"])).ravel()]
        if self.emg_mode != "none":
            model_emg = at_samples(times, grid, excitation)
            if self.emg_mode == "scaled":
                model_emg = _profiled_affine(model_emg, data["emg"], weight)
            parts.append((weight * (model_emg - data["emg"])).ravel())
        return jnp.concatenate(parts)


@dataclasses.dataclass(frozen=True)
class StretchModel:
    """Motorized stretches as a fit model (:mod:`myoreflex.fit.pipeline`): the reflex loop driven by
    each recorded angle, compared on the torque and, with ``emg``, the stretched muscle's EMG.
    ``params0`` is a :class:`~myoreflex.model.ReflexParams` of the recordings' joint; the fields are
    the settings of :func:`fit_stretch`.

    Examples
    --------
    >>> StretchModel(emg=True).dt
    0.002
    """

    emg: bool = False
    emg_muscle: str | None = None
    dt: float = 2e-3
    smoothing_s: float = 0.0
    gravity_scale: float = 0.0
    lenient: bool = False

    def __post_init__(self):
        if not self.dt > 0:
            raise ParameterError(describe("dt", "a step > 0 s", self.dt))
        if not self.smoothing_s >= 0:
            raise ParameterError(describe("smoothing_s", "a window >= 0 s (0: no smoothing)", self.smoothing_s))
        if not 0.0 <= self.gravity_scale <= 1.0:
            raise ParameterError(
                describe("gravity_scale", "a number in [0, 1] (0: horizontal plane, as MotorizedStretch)",
                         self.gravity_scale)
            )

    def prepare(self, trials: Sequence[Trial], params0) -> Prepared:
        """Each stretch through :func:`prepare_stretch`, padded to one shape (stretch-major arrays)."""
        if not isinstance(params0, model.ReflexParams):
            raise ParameterError(
                describe("params0", "a ReflexParams (e.g. default_params('elbow'))", type(params0).__name__)
            )
        for trial in trials:
            joint = trial.metadata.get("joint")
            if joint is not None and joint != params0.joint:
                raise ProtocolError(
                    describe(f"`{trial.metadata.get('source', 'trial')}`", f"a recording of the {params0.joint} "
                             "(params0's joint)", f"one of the {joint}")
                )
        # One muscle for one parameter set: every stretch against the first (gate same_joint).
        first = trials[0]
        checks = [same_joint(first, t) for t in trials[1:]]
        checks = [dataclasses.replace(c, got=f"`{t.source}`: {c.got}") if not c.passed else c
                  for c, t in zip(checks, trials[1:])]
        warnings = evaluate(f"stretch fit, against `{first.source}`", checks, lenient=self.lenient)
        recordings = [
            prepare_stretch(t, dt=self.dt, smoothing_s=self.smoothing_s, emg=self.emg, emg_muscle=self.emg_muscle,
                            agonist=params0.muscle_names[0])
            for t in trials
        ]
        units = {r.emg_unit for r in recordings}
        if len(units) > 1:
            raise RecordingError(
                describe("EMG of the stretches", "one unit for all (1 or V)", sorted(map(str, units)))
            )
        emg_mode = EMG_MODES[recordings[0].emg_unit] if self.emg else "none"
        sizes = [r.time.size for r in recordings]
        length = pipeline.padded_length(max(sizes))
        n_steps = pipeline.padded_length(max(r.drive.shape[1] for r in recordings), STEP_BLOCK)
        weight = pipeline.pad([np.ones(n) for n in sizes], length)
        data = {
            "drive": np.stack([pipeline.pad(list(r.drive), n_steps, fill_last=True) for r in recordings]),
            "initial_angle": np.array([r.initial_angle for r in recordings]),
            "times": pipeline.pad([r.time for r in recordings], length, fill_last=True),
            "torque": pipeline.pad([r.torque for r in recordings], length),
            "weight": weight,
            "emg": pipeline.pad([r.emg for r in recordings], length) if self.emg else np.zeros_like(weight),
        }
        # Residual layout: channel-major blocks of (stretch, sample), each padded to `length`.
        labels = [f"{r.source} ({r.peak_velocity_deg_s:.0f} deg/s)" for r in recordings]
        torque_range = max(float(np.ptp(np.concatenate([r.torque for r in recordings]))), 1e-6)
        channels = [FitChannel("torque_Nm", "N m", 1.0, START_NOISE_FRACTION * torque_range)]
        series = [Series(0, i * length, label, "torque", r.time, r.torque)
                  for i, (label, r) in enumerate(zip(labels, recordings))]
        if self.emg:
            emg_range = max(float(np.ptp(np.concatenate([r.emg for r in recordings]))), 1e-12)
            unit = recordings[0].emg_unit
            channels.append(FitChannel(f"emg_{unit}", unit, 1.0, START_NOISE_FRACTION * emg_range))
            series += [Series(1, (len(recordings) + i) * length, label, r.emg_channel, r.time, r.emg)
                       for i, (label, r) in enumerate(zip(labels, recordings))]
        return Prepared(
            residuals=StretchResiduals(float(self.dt), float(self.gravity_scale), emg_mode),
            data=data,
            n_residuals=len(channels) * len(recordings) * length,
            channels=tuple(channels),
            series=tuple(series),
            description={"stretches": [r.describe() for r in recordings], "n_samples": int(sum(sizes))},
            what="stretch fit of " + ", ".join(f"`{r.source}`" for r in recordings),
            settings={
                "model": "reflex loop, prescribed kinematics (motorized stretch)",
                "model_reference": "myoreflex reflex loop (myoreflex.model), driven by the recorded angle",
                "joint": params0.joint,
                "dt_s": float(self.dt),
                "smoothing_s": float(self.smoothing_s),
                "gravity_scale": float(self.gravity_scale),
                "emg": emg_mode,
            },
            warnings=warnings,
        )

    def report(self, prepared: Prepared, fit) -> dict:
        """The torque RMSE (N m; ``rmse_deg`` is None, the angle is prescribed), per stretch, and the EMG's."""
        torque = prepared.of_channel(fit.residuals, 0)
        diagnostics = {"rmse_nm_per_stretch": [float(np.sqrt(np.mean(e**2))) for e in torque]}
        if self.emg:
            emg = prepared.of_channel(fit.residuals, 1)
            diagnostics["rmse_emg"] = float(np.sqrt(np.mean(np.concatenate(emg) ** 2)))
        return {"rmse_nm": float(np.sqrt(np.mean(np.concatenate(torque) ** 2))), "diagnostics": diagnostics}


@runtime.float64
def fit_stretch(
    trials: Sequence[Trial] | Trial,
    params0: model.ReflexParams,
    *,
    free: Sequence[str] = DEFAULT_FREE,
    emg: bool = False,
    emg_muscle: str | None = None,
    dt: float = 2e-3,
    smoothing_s: float = 0.0,
    gravity_scale: float = 0.0,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    settings: FitSettings = DEFAULT_SETTINGS,
    lenient: bool = False,
) -> FitResult:
    """Fit the reflex-loop model's ``free`` parameters to motorized stretches at several velocities.

    Parameters
    ----------
    trials : stretch Trials (one per velocity, or repeats) with ``angle`` (rad) and ``torque``
        (N m) channels, each starting at rest before the motor moves; e.g. from
        :func:`myoreflex.io.read_trial` or :func:`myoreflex.fit.synthetic_stretches`.
    params0 : :class:`~myoreflex.model.ReflexParams` of the tested joint holding the fixed
        parameters and the first start (and prior centre) of the free ones, e.g.
        ``default_params("elbow")``.
    free : dotted paths to estimate, e.g. the reflex ``motoneuron.gain`` and
        ``motoneuron.threshold`` (default), the baseline ``motoneuron.tone``, the passive
        ``limb.stiffness``, ``limb.damping``, ``limb.baseline_torque``; bounds and priors come from
        each parameter's metadata (``bounds`` replaces them).
    emg : also fit the stretched muscle's EMG (``emg_muscle``; default the agonist's channel, else
        the first EMG channel of each trial). Unit 1: compared with the model's excitation; V:
        its envelope against a profiled offset and scale of it (module doc).
    dt : simulation step (s); 2 ms changes a stroke elbow's stretch torque by about 0.03 N m RMS
        from 1 ms. Compare parameters fitted with the same ``dt``.
    smoothing_s : Savitzky-Golay window (s) for a noisy recorded angle; 0 (default) uses it as it is.
    gravity_scale : 0 for a stretch in the horizontal plane (as
        :class:`~myoreflex.protocols.stretch.MotorizedStretch`), 1 for one against gravity.
    settings : :class:`~myoreflex.fit.core.FitSettings`: ``method`` ``"map"`` (Laplace intervals) or
        ``"nuts"`` (adds the NUTS posterior; ``fit`` extra), ``starts`` (``params0`` and
        ``starts - 1`` screened draws around it, from ``seed``), ``noise_sd`` fixing the noise sd
        of the torque (``"torque_Nm"``, N m) or of the EMG (``"emg_1"`` or ``"emg_V"``, its unit);
        a channel not fixed has its sd estimated from the residuals, the intervals widened by
        their autocorrelation time (:meth:`myoreflex.fit.core.NoiseModel.estimate`); NUTS settings.
    lenient : False (default): stretches of different muscles (gate ``same_joint``, module notes)
        raise :class:`~myoreflex.errors.QualityGateError`; True: fitted, the gate named in
        ``FitResult.warnings``.

    Returns
    -------
    FitResult with ``rmse_deg = None`` (the angle is prescribed), ``rmse_nm`` the torque RMSE
    over every sample, ``noise_sd`` per channel and ``traces`` (torque, and EMG, of every
    stretch with the fitted model's) for :func:`myoreflex.report.figures.fit_figure`.

    Notes
    -----
    Gaussian likelihood of the residuals (module doc), logit-normal prior on the documented
    bounds (:mod:`myoreflex.fit.core`). Gain and threshold trade off (a lower threshold with a
    lower gain gives a similar torque at one velocity); several velocities, and the EMG, separate
    them. A :class:`NotIdentifiedWarning` names any free parameter the data leave undetermined.

    Examples
    --------
    The fit itself is skipped in the doc tests (compiling the model's Jacobian takes about 30 s):

    >>> from myoreflex import apply_condition, default_params
    >>> from myoreflex.fit import fit_stretch, synthetic_stretches
    >>> truth = apply_condition(default_params("elbow"), "stroke", 0.7)
    >>> trials = synthetic_stretches(truth, [60.0, 180.0], seed=1)
    >>> result = fit_stretch(trials, truth, emg=True)  # doctest: +SKIP
    >>> sorted(result.to_dict())                       # doctest: +SKIP
    ['ci95', 'convergence', 'converged', 'identification', 'identified', 'params', 'rmse_deg', 'rmse_nm']
    """
    model = StretchModel(emg=emg, emg_muscle=emg_muscle, dt=dt, smoothing_s=smoothing_s, gravity_scale=gravity_scale,
                         lenient=lenient)
    return pipeline.run(model, trials, params0, free=free, bounds=bounds, settings=settings)
