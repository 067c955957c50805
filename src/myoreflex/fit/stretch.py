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
Everything else (priors, optimiser, noise estimate, Laplace, NUTS) is :mod:`myoreflex.fit.core`.

References: Levin & Feldman 1994 Brain Res 657:23 and McPherson et al. 2019 Exp Brain Res
237:121 (threshold and gain of the velocity-dependent stretch reflex in motorized stretches);
Golub & Pereyra 1973 (variable projection).
"""

from __future__ import annotations

import dataclasses
import math
import time as _time
import warnings
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import savgol_filter

from myoreflex import model, runtime
from myoreflex.errors import ParameterError, ProtocolError, RecordingError, describe
from myoreflex.fit import core
from myoreflex.fit.result import FitResult, FittedTrace, NotIdentifiedWarning
from myoreflex.params import get_param, with_overrides
from myoreflex.simulation import run_loop
from myoreflex.trial import Trial
from myoreflex.units import DEG

DEFAULT_FREE = ("motoneuron.gain", "motoneuron.threshold")
"""Reflex gain (1/pps) and threshold (pps) of the motor neuron pool: the two a stretch shows best."""
PAD = 128
"""Each stretch's samples are padded to a multiple of this, so similar recordings share a compilation."""
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
ESTIMATED_NOISE = "estimated from the residuals; intervals widened by their integrated autocorrelation time"


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
    >>> from myoreflex.io import read_trial
    >>> recording = prepare_stretch(read_trial("ref_data_0_1_v90.csv"))  # doctest: +SKIP
    >>> round(recording.peak_velocity_deg_s)                             # doctest: +SKIP
    92
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
        source=source,
        time=relative,
        torque=torque,
        emg=compared,
        emg_channel=channel,
        emg_unit=unit,
        initial_angle=float(angle[0]),
        drive=drive,
        peak_velocity_deg_s=float(np.max(np.abs(drive[1])) / DEG),
        start_s=float(t[0]),
    )


# ---------------------------------------------------------------------------------------------
# The model: free values -> torque and agonist excitation of every stretch on the grid k dt


def _stretch_response(values, base, free, drive, initial_angle, dt, gravity_scale):
    """Motor torque (N m) and agonist excitation on ``dt, 2 dt, ...`` for one prescribed drive."""
    params = with_overrides(base, dict(zip(free, values)), check=False)
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


@runtime.jit(static_argnames=("free", "dt", "gravity_scale", "emg_mode"))
def _residuals_and_jacobians(
    z, base, drive, initial_angle, times, torque, torque_weight, emg, emg_weight, low, high,
    *, free, dt, gravity_scale, emg_mode,
):
    """Residuals (torque, then EMG; stretch-major) and ``dr/dz`` for a batch of points ``z``."""
    grid = dt * jnp.arange(1, drive.shape[-1] + 1)

    def residual(zrow):
        x = low + (high - low) * jax.nn.sigmoid(zrow)
        simulated, excitation = jax.vmap(_stretch_response, in_axes=(None, None, None, 0, 0, None, None))(
            x, base, free, drive, initial_angle, dt, gravity_scale
        )
        at_samples = jax.vmap(jnp.interp, in_axes=(0, None, 0))
        parts = [(torque_weight * (at_samples(times, grid, simulated) - torque)).ravel()]
        if emg_mode != "none":
            model_emg = at_samples(times, grid, excitation)
            if emg_mode == "scaled":
                model_emg = _profiled_affine(model_emg, emg, emg_weight)
            parts.append((emg_weight * (model_emg - emg)).ravel())
        return jnp.concatenate(parts)

    def one(zrow):
        jac, r = jax.jacfwd(lambda q: (residual(q), residual(q)), has_aux=True)(zrow)
        return r, jac

    return jax.vmap(one)(z)


def _padded(rows: Sequence[np.ndarray], length: int, fill_last: bool) -> np.ndarray:
    out = np.zeros((len(rows), length))
    for i, row in enumerate(rows):
        out[i, : row.size] = row
        if fill_last:
            out[i, row.size :] = row[-1]
    return out


# ---------------------------------------------------------------------------------------------
# The fit


def _check_settings(dt, smoothing_s, noise_sd_nm, noise_sd_emg, gravity_scale):
    if not dt > 0:
        raise ParameterError(describe("dt", "a step > 0 s", dt))
    if not smoothing_s >= 0:
        raise ParameterError(describe("smoothing_s", "a window >= 0 s (0: no smoothing)", smoothing_s))
    for name, value in (("noise_sd_nm", noise_sd_nm), ("noise_sd_emg", noise_sd_emg)):
        if value is not None and not value > 0:
            raise ParameterError(describe(name, "a positive sd, or None to estimate it", value))
    if not 0.0 <= gravity_scale <= 1.0:
        raise ParameterError(
            describe("gravity_scale", "a number in [0, 1] (0: horizontal plane, as MotorizedStretch)",
                     gravity_scale)
        )


@runtime.float64
def fit_stretch(
    trials: Sequence[Trial] | Trial,
    params0: model.ReflexParams,
    *,
    free: Sequence[str] = DEFAULT_FREE,
    emg: bool = False,
    emg_muscle: str | None = None,
    method: str = "map",
    starts: int = 4,
    seed: int = 0,
    noise_sd_nm: float | None = None,
    noise_sd_emg: float | None = None,
    dt: float = 2e-3,
    smoothing_s: float = 0.0,
    gravity_scale: float = 0.0,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    num_warmup: int = 10,
    num_samples: int = 40,
    num_chains: int = 8,
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
    method : ``"map"`` (Laplace intervals) or ``"nuts"`` (adds the NUTS posterior; ``fit`` extra).
    starts : optimiser starts: ``params0`` and ``starts - 1`` screened draws around it (``seed``).
    noise_sd_nm, noise_sd_emg : noise sd of the torque (N m) and of the EMG (its unit); None
        estimates it from the residuals, the intervals widened by their autocorrelation time
        (:meth:`myoreflex.fit.core.NoiseModel.estimate`).
    dt : simulation step (s); 2 ms changes a stroke elbow's stretch torque by about 0.03 N m RMS
        from 1 ms. Compare parameters fitted with the same ``dt``.
    smoothing_s : Savitzky-Golay window (s) for a noisy recorded angle; 0 (default) uses it as it is.
    gravity_scale : 0 for a stretch in the horizontal plane (as
        :class:`~myoreflex.protocols.stretch.MotorizedStretch`), 1 for one against gravity.
    num_warmup, num_samples, num_chains : NUTS settings (``method="nuts"``).

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
    >>> from myoreflex.model import default_params
    >>> from myoreflex.conditions import apply_condition
    >>> from myoreflex.fit import fit_stretch, synthetic_stretches
    >>> truth = apply_condition(default_params("elbow"), "stroke", 0.7)
    >>> trials = synthetic_stretches(truth, [60.0, 180.0], seed=1)       # doctest: +SKIP
    >>> result = fit_stretch(trials, default_params("elbow"), emg=True)  # doctest: +SKIP
    >>> sorted(result.to_dict())                                         # doctest: +SKIP
    ['ci95', 'converged', 'params', 'rmse_deg', 'rmse_nm']
    """
    clock = _time.perf_counter()
    if not isinstance(params0, model.ReflexParams):
        raise ParameterError(
            describe("params0", "a ReflexParams (e.g. default_params('elbow'))", type(params0).__name__)
        )
    trials = [trials] if isinstance(trials, Trial) else list(trials)
    if not trials or not all(isinstance(t, Trial) for t in trials):
        raise ParameterError(
            describe("trials", "one or more stretch Trials", [type(t).__name__ for t in trials])
        )
    free = tuple(free)
    core.check_choices(method, starts, free)
    _check_settings(dt, smoothing_s, noise_sd_nm, noise_sd_emg, gravity_scale)
    for trial in trials:
        joint = trial.metadata.get("joint")
        if joint is not None and joint != params0.joint:
            raise ProtocolError(
                describe(f"`{trial.metadata.get('source', 'trial')}`", f"a recording of the {params0.joint} "
                         "(params0's joint)", f"one of the {joint}")
            )
    recordings = [
        prepare_stretch(t, dt=dt, smoothing_s=smoothing_s, emg=emg, emg_muscle=emg_muscle,
                        agonist=params0.muscle_names[0])
        for t in trials
    ]
    units = {r.emg_unit for r in recordings}
    if len(units) > 1:
        raise RecordingError(
            describe("EMG of the stretches", "one unit for all (1 or V)", sorted(map(str, units)))
        )
    emg_mode = EMG_MODES[recordings[0].emg_unit] if emg else "none"
    low, high = core.bounds_of(params0, free, bounds)
    x0 = np.array([float(get_param(params0, path)) for path in free])
    k = len(free)

    n_trials = len(recordings)
    sizes = [r.time.size for r in recordings]
    length = -(-max(sizes) // PAD) * PAD
    n_steps = -(-max(r.drive.shape[1] for r in recordings) // STEP_BLOCK) * STEP_BLOCK
    drive = np.stack([_padded(list(r.drive), n_steps, fill_last=True) for r in recordings])
    weight = _padded([np.ones(n) for n in sizes], length, fill_last=False)
    emg_values = _padded([r.emg for r in recordings], length, False) if emg else np.zeros_like(weight)
    arrays = {
        "base": params0,
        "drive": jnp.asarray(drive),
        "initial_angle": jnp.asarray([r.initial_angle for r in recordings]),
        "times": jnp.asarray(_padded([r.time for r in recordings], length, fill_last=True)),
        "torque": jnp.asarray(_padded([r.torque for r in recordings], length, fill_last=False)),
        "torque_weight": jnp.asarray(weight),
        "emg": jnp.asarray(emg_values),
        "emg_weight": jnp.asarray(weight if emg else np.zeros_like(weight)),
        "low": jnp.asarray(low),
        "high": jnp.asarray(high),
    }
    statics = {"free": free, "dt": float(dt), "gravity_scale": float(gravity_scale), "emg_mode": emg_mode}
    batch = max(core.MIN_BATCH, int(starts), int(num_chains) if method == "nuts" else 1)
    n_channels = 2 if emg else 1
    n_data = sum(sizes) * n_channels
    problem = core.Problem(
        names=free,
        low=low,
        high=high,
        bounded=np.ones(k, dtype=bool),
        prior_mean=core.to_unconstrained(x0, low, high),
        prior_sd=np.full(k, core.PRIOR_SD_Z),
        evaluate=core.batched_evaluator(_residuals_and_jacobians, batch, arrays, statics),
        n_data=n_data,
    )
    # Residual layout: channel-major blocks of (stretch, sample); padding has group and segment -1.
    mask = np.tile(weight.ravel() > 0, n_channels)
    channel_of = np.repeat(np.arange(n_channels), n_trials * length)
    series_of = np.repeat(np.arange(n_channels * n_trials), length)
    emg_label = f"emg_{recordings[0].emg_unit}" if emg else None
    torque_range = max(float(np.ptp(np.concatenate([r.torque for r in recordings]))), 1e-6)
    starts_sd = [START_NOISE_FRACTION * torque_range]
    fixed = [noise_sd_nm]
    labels = ["torque_Nm"]
    if emg:
        emg_range = max(float(np.ptp(np.concatenate([r.emg for r in recordings]))), 1e-12)
        starts_sd.append(START_NOISE_FRACTION * emg_range)
        fixed.append(noise_sd_emg)
        labels.append(emg_label)
    noise = core.NoiseModel(
        group=np.where(mask, channel_of, -1),
        segment=np.where(mask, series_of, -1),
        labels=tuple(labels),
        fixed=tuple(fixed),
        start=tuple(starts_sd),
    )
    sources = ", ".join(f"`{r.source}`" for r in recordings)
    fit = core.estimate(
        problem,
        noise,
        z_first=problem.unconstrained(x0),
        spread=np.full(k, core.START_SPREAD_Z),
        method=method,
        starts=starts,
        seed=seed,
        batch=batch,
        checked=[True] * k,
        what=f"stretch fit of {sources}",
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        started=clock,
    )
    for message in fit.warnings:
        warnings.warn(message, NotIdentifiedWarning, stacklevel=2)

    blocks = fit.residuals.reshape(n_channels, n_trials, length)
    torque_residuals = [blocks[0, i, :n] for i, n in enumerate(sizes)]
    rmse_nm = float(np.sqrt(np.mean(np.concatenate(torque_residuals) ** 2)))
    traces = []
    for i, r in enumerate(recordings):
        label = f"{r.source} ({r.peak_velocity_deg_s:.0f} deg/s)"
        traces.append(FittedTrace(label, "torque", "N m", r.time, r.torque, r.torque + torque_residuals[i]))
    diagnostics = {
        **fit.diagnostics,
        "rmse_nm_per_stretch": [float(np.sqrt(np.mean(e**2))) for e in torque_residuals],
        "residual_autocorrelation_time": dict(zip(labels, map(float, fit.autocorrelation_time))),
        "white_noise_sd": dict(zip(labels, map(float, fit.white_noise_sd))),
    }
    if emg:
        emg_residuals = [blocks[1, i, :n] for i, n in enumerate(sizes)]
        diagnostics["rmse_emg"] = float(np.sqrt(np.mean(np.concatenate(emg_residuals) ** 2)))
        for i, r in enumerate(recordings):
            label = f"{r.source} ({r.peak_velocity_deg_s:.0f} deg/s)"
            fitted = r.emg + emg_residuals[i]
            traces.append(FittedTrace(label, r.emg_channel, r.emg_unit, r.time, r.emg, fitted))
    settings = {
        "model": "reflex loop, prescribed kinematics (motorized stretch)",
        "model_reference": "myoreflex reflex loop (myoreflex.model), driven by the recorded angle",
        "joint": params0.joint,
        "free": list(free),
        "bounds": {p: [float(lo), float(hi)] for p, lo, hi in zip(free, low, high)},
        "prior": f"logit-normal on the bounds, z ~ N(z(params0), {core.PRIOR_SD_Z:.4f}^2)",
        "method": method,
        "method_reference": core.METHODS[method].reference,
        "optimiser": core.OPTIMISER,
        "starts": int(starts),
        "screened_candidates": fit.screened_candidates,
        "dt_s": float(dt),
        "smoothing_s": float(smoothing_s),
        "gravity_scale": float(gravity_scale),
        "emg": emg_mode,
        "noise": {
            label: "fixed" if value is not None else ESTIMATED_NOISE for label, value in zip(labels, fixed)
        },
        "noise_sd_nm": noise_sd_nm,
        "noise_sd_emg": noise_sd_emg,
    }
    return core.fit_result(
        fit,
        free,
        method=method,
        seed=seed,
        data={"stretches": [r.describe() for r in recordings], "n_samples": int(sum(sizes))},
        settings=settings,
        diagnostics=diagnostics,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        rmse_deg=None,
        noise_sd_deg=None,
        rmse_nm=rmse_nm,
        noise_sd=dict(zip(labels, map(float, fit.noise_sd))),
        traces=tuple(traces),
    )


# ---------------------------------------------------------------------------------------------
# One subject of a cohort


@dataclasses.dataclass(frozen=True)
class StretchFitter:
    """:func:`fit_stretch` for one subject of a cohort: ``fitter(trials, row) -> {column: value}``.

    The fields are the fit's settings (recorded in the cohort's provenance and resume keys). The
    start and prior centre is ``apply_condition(default_params(joint, body_mass, height),
    condition, severity)``, with body mass and height from the row's ``body_mass_kg`` and
    ``height_m`` columns when it has them; the row's ``seed`` replaces ``seed``.

    Returned columns: for each free parameter ``p``, ``p``, ``p_ci95_low`` and ``p_ci95_high``
    (the parameter's unit, see ``myoreflex params``); ``rmse_nm``, ``converged``,
    ``n_stretches``, ``noise_sd_torque_Nm``, ``not_identified`` (the identifiability messages,
    ``"; "``-joined) and ``fit_s`` (seconds).

    Examples
    --------
    >>> fitter = StretchFitter(joint="elbow", emg=True)
    >>> fitter.free
    ('motoneuron.gain', 'motoneuron.threshold')
    """

    joint: str = "elbow"
    free: tuple[str, ...] = DEFAULT_FREE
    emg: bool = False
    emg_muscle: str | None = None
    condition: str = "healthy"
    severity: float = 0.0
    body_mass_kg: float = 75.0
    height_m: float = 1.75
    method: str = "map"
    starts: int = 4
    seed: int = 0
    dt: float = 2e-3
    smoothing_s: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "free", tuple(self.free))

    def params0(self, row: Mapping | None = None) -> model.ReflexParams:
        """The subject's start: the preset for its body under the condition."""
        return core.subject_preset(self.joint, row or {}, body_mass_kg=self.body_mass_kg, height_m=self.height_m,
                                   condition=self.condition, severity=self.severity)

    def __call__(self, trials: Sequence[Trial], row: Mapping) -> dict:
        seed = row.get("seed")
        clock = _time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotIdentifiedWarning)  # kept in the `not_identified` column
            result = fit_stretch(
                trials,
                self.params0(row),
                free=self.free,
                emg=self.emg,
                emg_muscle=self.emg_muscle,
                method=self.method,
                starts=self.starts,
                seed=self.seed if seed is None else int(seed),
                dt=self.dt,
                smoothing_s=self.smoothing_s,
            )
        return {
            **core.result_columns(result),
            "rmse_nm": result.rmse_nm,
            "n_stretches": len(trials),
            "noise_sd_torque_Nm": result.noise_sd["torque_Nm"],
            "fit_s": _time.perf_counter() - clock,
        }
