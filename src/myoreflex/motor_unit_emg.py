"""Motor-unit pool and surface EMG for a simulated Trial: realistic EMG from the loop's neural drive.

A simulated Trial's ``emg_<muscle>`` channel is the reflex loop's normalised excitation ``e`` (1, in
[0, 1], noise-free): the lumped motor neuron pool's output (:mod:`myoreflex.physiology.motoneuron`).
:func:`with_motor_units` drives a Fuglevand et al. (1993) motor-unit pool with it
(:mod:`myoreflex.physiology.motor_units`) and turns the pool's discharges into a monopolar surface
EMG in volts, with noise (:mod:`myoreflex.physiology.surface_emg`)::

    E(t)    = e(t) E_max,   E_max = RTE(n) + (PFR(n) - MFR) / g_e     (47 with the default pool)
    FR_i(t) = Fuglevand's rate of unit i at E(t)                         (pps)
    spikes  = spike_trains(FR, dt)                                       (s, one array per unit)
    EMG(t)  = sum of the units' surface MUAPs + white noise               (V)
    F(t)    = sum of the units' twitches / F_max                          (1)

``e = 1`` is every unit at its peak rate, the saturation of the lumped pool ("threshold-linear,
saturating at a peak rate", after the same paper), so the map is linear and has no free parameter.
The first unit is recruited at ``e = RTE(1) / E_max = 0.022`` and the last at ``e = 0.64``: a relaxed
healthy muscle (resting tone 0.005) has no discharges and its EMG is the amplifier's noise only,
while the stroke preset's raised resting tone (0.034 at severity 0.7) keeps about 16 small units
firing at 8 pps, the sustained spontaneous discharges seen in resting spastic-paretic biceps
(Chang et al. 2013).

One time base. A :class:`~myoreflex.trial.Trial` has one time vector, and the EMG needs a finer one
than the loop's 1 ms step (or the 8 ms of a pendulum recording): surface EMG carries energy to about
500 Hz (De Luca 2002; SENIAM's low-pass "near 500 Hz", Hermens et al. 2000), so it is sampled at
1-2 kHz or more (SENIAM; Ives & Wigglesworth 2003 found nothing gained above the Nyquist rate), and
the Hermite-Rodriguez MUAPs of 1.4-3 ms need a few samples per phase. :func:`with_motor_units`
therefore returns the whole Trial on a finer grid: each interval of the loop's grid is split into
``k = ceil(rate_hz * step)`` equal parts (``rate_hz`` = 2 kHz by default: 2 parts of a 1 ms step, 16
of an 8 ms one), every loop channel is linearly interpolated onto it, and the loop's own samples are
kept bit for bit at every ``k``-th sample. The loop's signals are smooth (the pool's 10 ms time
constant and the limb's inertia keep them far below the loop's Nyquist frequency), so interpolation
invents nothing there, while every measure, the writers and the DSRT angle lookup keep working on
one Trial. The alternatives were worse: the EMG at 1 kHz aliases and loses its MUAP shapes; a
separate EMG Trial lacks the angular velocity that :func:`myoreflex.measures.emg.stretch_windows`
and the threshold measures need.

What is added, per muscle ``m``:

- ``emg_surface_<m>`` (V): the surface EMG. It is an ``emg_`` channel in V, so
  :func:`myoreflex.measures.emg.emg_onsets` and :func:`~myoreflex.measures.emg.measure` band-pass
  and measure it as a recording (muscle name ``surface_<m>``), beside the excitation ``emg_<m>``
  (unit 1) that they measure as it is.
- ``pool_force_<m>`` (1): the pool's twitch force over its force with every unit at its peak rate,
  the pool's counterpart of the lumped ``activation_<m>``.
- metadata ``discharge_times_s[m]``: ``{unit label: discharge times (s)}`` of every unit that fired
  (label = 1-based index in recruitment order); :func:`discharge_times` makes it a
  :class:`~myoreflex.measures.motor_units.DischargeTimes` for
  :func:`myoreflex.measures.motor_units.measure`.
- metadata ``motor_unit_emg``: the settings and, per muscle, the units recruited, the discharges, and
  the consistency check of the pool's force against the lumped model (peaks and correlation).

Pool force vs the lumped model. The lumped muscle's activation follows the excitation (first-order,
10-15 ms to rise); the pool's force follows Fuglevand's convex recruitment and its slow twitches. At
steady state (:func:`steady_pool_force`) the pool gives 0.5 % of its maximal force at e = 0.034,
3.4 % at 0.1, 7.7 % at 0.17, 19 % at 0.3 and 42 % at 0.5 (the lumped activation: e itself): with
thresholds and twitch forces both spaced exponentially, the first half of the units recruited carry
little force. In time, the pool's force lags the lumped activation by about 90 ms (twitches peak 30-90
ms after their discharge) and, so shifted, follows it closely (:func:`force_agreement`). In the
stroke elbow stretch at 200 deg/s (docs/simulated_emg.md): at rest 0.0048 of maximal force (steady
value 0.0048), at the reflex peak 0.055 against a lumped activation of 0.163, lag 89-99 ms,
correlation 0.99 (seeds 0-2). The lumped model's muscle force is not changed: the pool is a
recording device here, not the loop's muscle.

Randomness. Each muscle's unit depths, discharge intervals and noise come from three generators
spawned from ``numpy.random.SeedSequence([seed, crc32(muscle)])``: a seed gives the same EMG, a
muscle's EMG does not depend on which other muscles are chosen, and the unit depths (the electrode
over the muscle) do not depend on the trial's drive, so stretches of one "subject" at several speeds
share one electrode geometry when they share the seed.

Start of the recording. A unit already firing at the first sample fired before it: it is started at
a random phase, one interval or less before a warm-up of ``8 T_L`` (8 contraction times of the
slowest twitch) plus one interval at its first-sample rate, so that neither the EMG starts with a
synchronous volley nor the force with a ramp. Only discharges from the first sample on are kept.

References: Fuglevand AJ, Winter DA, Patla AE (1993) J Neurophysiol 70:2470-2488. Chang SH,
Francisco GE, Zhou P, Rymer WZ, Li S (2013) Spasticity, weakness, force variability, and sustained
spontaneous motor unit discharges of resting spastic-paretic biceps brachii muscles in chronic
stroke. Muscle Nerve 48:85-92. De Luca CJ (2002) Surface electromyography: detection and recording.
DelSys Inc. (energy 0-500 Hz, dominant 50-150 Hz; amplitude 0-10 mV peak to peak, 0-1.5 mV RMS).
Hermens HJ, Freriks B, Disselhorst-Klug C, Rau G (2000) Development of recommendations for SEMG
sensors and sensor placement procedures (SENIAM). J Electromyogr Kinesiol 10:361-374. Ives JC,
Wigglesworth JK (2003) Sampling rate effects on surface EMG timing and amplitude measures. Clin
Biomech 18:543-552.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Mapping, Sequence
from numbers import Integral
from pathlib import Path

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures.motor_units import DischargeTimes
from myoreflex.params import validate
from myoreflex.physiology.motor_units import (
    MotorUnitPoolParams,
    firing_rates,
    force_gain,
    max_excitation,
    pool_force,
    spike_trains,
    twitch_properties,
)
from myoreflex.physiology.surface_emg import SurfaceEmgParams, surface_emg, unit_depths
from myoreflex.trial import Channel, Trial

DEFAULT_RATE_HZ = 2000.0
"""Least EMG sampling rate (Hz) :func:`with_motor_units` is asked for: surface EMG carries energy to
about 500 Hz (De Luca 2002; SENIAM low-pass near 500 Hz, Hermens et al. 2000) and is recorded at
1-2 kHz or more; 2 kHz also puts 4 or more samples on each phase of the shortest MUAP (1.4 ms)."""
RATE_BOUNDS_HZ = (2000.0, 50000.0)
"""Accepted EMG sampling rates (Hz): from :data:`DEFAULT_RATE_HZ` to a rate far above any EMG's."""
MAX_FORCE_LAG_S = 0.2
"""Longest delay of the pool's force behind the lumped activation searched by :func:`force_agreement`
(s): twitches peak 30-90 ms after a discharge and decay over several contraction times."""
MIN_LUMPED_CHANGE = 1e-3
"""Least range of the lumped signal (1) for :func:`force_agreement` to compare a force with it."""
MAX_RATE_VALUES = 50_000_000
"""Most samples x motor units one muscle's rates may take (8 bytes each: 400 MB): 208 s at 2 kHz
with 120 units. A clinical test lasts seconds to a minute; cut a longer Trial with ``trial.window``."""
WARM_UP_CONTRACTION_TIMES = 8.0
"""Warm-up before the first sample, in contraction times of the slowest twitch: the twitch kernel of
:func:`~myoreflex.physiology.motor_units.pool_force` spans 8 contraction times."""
EMG_PREFIX = "emg_surface_"
FORCE_PREFIX = "pool_force_"
REFERENCES = ("Fuglevand, Winter & Patla 1993 J Neurophysiol 70:2470 (motor-unit pool); Lo Conte, "
              "Merletti & Sandri 1994 and Cisi & Kohn 2008 (surface MUAPs, volume conductor)")


@dataclasses.dataclass(frozen=True)
class MotorUnitActivity:
    """One muscle's motor-unit pool over a uniformly sampled time.

    Attributes
    ----------
    time : sample times (s), shape (T,).
    emg : monopolar surface EMG (V), shape (T,).
    force : pool force over its maximal (every unit at its peak rate) force (1), shape (T,).
    trains : discharge times (s) of each unit in recruitment order, from ``time[0]`` on.
    depths : depth of each unit below the electrode (m), shape (n,).
    """

    time: np.ndarray
    emg: np.ndarray
    force: np.ndarray
    trains: tuple[np.ndarray, ...]
    depths: np.ndarray

    @property
    def n_recruited(self) -> int:
        """Units that discharged at least once."""
        return sum(1 for train in self.trains if train.size)

    @property
    def n_discharges(self) -> int:
        """Discharges of all units."""
        return sum(int(train.size) for train in self.trains)


def pool_excitation(excitation, pool: MotorUnitPoolParams) -> np.ndarray:
    """Fuglevand's excitation ``E = e E_max`` for a normalised excitation ``e`` (clipped to [0, 1]).

    Examples
    --------
    >>> pool = MotorUnitPoolParams()
    >>> [round(float(x), 3) for x in pool_excitation([0.0, 0.5, 1.0, 1.2], pool)]
    [0.0, 23.5, 47.0, 47.0]
    """
    return np.clip(np.asarray(excitation, dtype=float), 0.0, 1.0) * max_excitation(pool)


def _steady_force(excitation, pool: MotorUnitPoolParams) -> np.ndarray:
    """Mean force (Fuglevand's units) of regular discharges at the rates of ``excitation`` (paper's units):
    a twitch ``P (t/T) exp(1 - t/T)`` integrates to ``P T e``, so a unit adds ``P T e FR gain(T FR)``."""
    peak, contraction = twitch_properties(pool)
    rates = firing_rates(excitation, pool)
    return np.sum(peak * contraction * math.e * rates * force_gain(contraction * rates), axis=-1)


def steady_pool_force(excitation, pool: MotorUnitPoolParams | None = None) -> np.ndarray:
    """Steady force of the pool at a constant normalised excitation, over its maximal force (1).

    Regular discharges at Fuglevand's rates; the lumped muscle's steady activation at the same
    excitation is the excitation itself, so this is the pool's force-excitation curve to set against
    the identity.

    Examples
    --------
    >>> [round(float(f), 3) for f in steady_pool_force([0.005, 0.1, 0.17, 0.5, 1.0])]
    [0.0, 0.034, 0.077, 0.419, 1.0]
    """
    pool = MotorUnitPoolParams() if pool is None else pool
    return _steady_force(pool_excitation(excitation, pool), pool) / _steady_force(max_excitation(pool), pool)


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ParameterError(describe("seed", "a non-negative integer", repr(seed)))


def _generators(seed) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Depth, discharge and noise generators spawned from one seed (an int or a sequence of ints)."""
    depth, spikes, noise = np.random.SeedSequence(seed).spawn(3)
    return np.random.default_rng(depth), np.random.default_rng(spikes), np.random.default_rng(noise)


def simulate_motor_units(time, excitation, *, seed=0, pool: MotorUnitPoolParams | None = None,
                         surface: SurfaceEmgParams | None = None) -> MotorUnitActivity:
    """Discharges, surface EMG and force of one muscle's motor-unit pool driven by a normalised excitation.

    Parameters
    ----------
    time : uniformly sampled times (s), shape (T,), at the EMG's rate (2 kHz or more).
    excitation : normalised excitation ``e`` (1, clipped to [0, 1]) at those times, shape (T,).
    seed : an int or a sequence of ints (:class:`numpy.random.SeedSequence`).
    pool, surface : the motor-unit pool and the surface-EMG model (None: their defaults).

    Returns
    -------
    MotorUnitActivity: EMG (V), normalised force (1), discharge times (s) and unit depths (m).

    Notes
    -----
    ``E = e E_max`` (:func:`pool_excitation`); rates by
    :func:`~myoreflex.physiology.motor_units.firing_rates`, discharges by
    :func:`~myoreflex.physiology.motor_units.spike_trains`, EMG by
    :func:`~myoreflex.physiology.surface_emg.surface_emg`, force by
    :func:`~myoreflex.physiology.motor_units.pool_force` over the steady force with every unit at
    its peak rate. A unit active at the first sample starts before it (module docstring).

    Examples
    --------
    >>> t = np.arange(0.0, 1.0, 1 / 2000)
    >>> quiet = simulate_motor_units(t, np.full(t.size, 0.005))  # below the first threshold
    >>> quiet.n_recruited, round(float(np.sqrt(np.mean(quiet.emg**2))) * 1e6)  # noise only (uV)
    (0, 3)
    >>> active = simulate_motor_units(t, np.full(t.size, 0.2))
    >>> active.n_recruited, 1e-4 < float(np.sqrt(np.mean(active.emg**2))) < 1.5e-3
    (79, True)
    """
    pool = MotorUnitPoolParams() if pool is None else pool
    surface = SurfaceEmgParams() if surface is None else surface
    time = np.asarray(time, dtype=float)
    dt = float(time[1] - time[0])
    depth_rng, spike_rng, noise_rng = _generators(seed)
    depths = unit_depths(pool, surface, depth_rng)
    rates = firing_rates(pool_excitation(excitation, pool), pool)
    first = rates[0]
    active = first > 0
    warm = 0
    if active.any():  # units firing before the recording: random phase, then a warm-up at the first rate
        phase = np.where(active, spike_rng.uniform(0.0, 1.0, first.size) / np.where(active, first, 1.0), 0.0)
        span = WARM_UP_CONTRACTION_TIMES * pool.longest_contraction_time + float(phase.max())
        warm = math.ceil(span / dt)
        start = np.round(phase / dt).astype(int)  # unit i starts at this warm-up sample
        before = np.where(np.arange(warm)[:, None] >= start[None, :], first[None, :], 0.0)
        rates = np.concatenate([before, rates])
    extended = time[0] + dt * np.arange(-warm, time.size)
    trains = spike_trains(rates, dt, spike_rng, pool)
    trains = [extended[0] + train for train in trains]
    emg = surface_emg(trains, extended, depths, pool, surface, noise_rng)[warm:]
    force = pool_force(trains, extended, pool)[warm:] / _steady_force(max_excitation(pool), pool)
    kept = tuple(train[train >= time[0] - 0.5 * dt] for train in trains)
    return MotorUnitActivity(time=time, emg=emg, force=force, trains=kept, depths=depths)


def emg_time(time, rate_hz: float = DEFAULT_RATE_HZ) -> tuple[np.ndarray, int]:
    """The EMG's time grid for a loop's time grid: each interval split into ``k`` equal parts.

    ``k = ceil(rate_hz * step)`` for the loop's median step, so the rate is at least ``rate_hz`` and
    every ``k``-th sample is one of the loop's own times. Returns ``(times, k)``.

    Examples
    --------
    >>> fine, k = emg_time(np.arange(1, 6) * 1e-3)  # a 1 ms loop
    >>> k, fine.size, [round(float(x) * 1e3, 2) for x in fine[:3]]
    (2, 9, [1.0, 1.5, 2.0])
    """
    time = np.asarray(time, dtype=float)
    step = float(np.median(np.diff(time)))
    k = max(1, math.ceil(rate_hz * step - 1e-9))
    parts = np.arange(k) / k
    fine = (time[:-1, None] + np.diff(time)[:, None] * parts[None, :]).ravel()
    return np.concatenate([fine, time[-1:]]), k


def _interpolated(values: np.ndarray, time: np.ndarray, fine: np.ndarray, k: int) -> np.ndarray:
    """``values`` on ``fine`` (linear), the loop's samples kept exactly at every ``k``-th sample."""
    if values.ndim == 1:
        out = np.interp(fine, time, values)
        out[::k] = values
        return out
    flat = values.reshape(time.size, -1)
    return np.stack([_interpolated(column, time, fine, k) for column in flat.T], axis=-1).reshape(
        (fine.size,) + values.shape[1:])


def _muscles(trial: Trial, muscles: Sequence[str] | None) -> list[str]:
    if muscles is None:
        chosen = [name for name in trial.emg_names()
                  if not name.startswith("surface_") and trial.unit(f"emg_{name}") == "1"]
        if not chosen:
            raise RecordingError(describe(f"`{trial.source}`", "an emg_<muscle> channel of normalised "
                                          "excitation (unit 1, as simulated)", f"channels {sorted(trial.channels)}"))
        return chosen
    if isinstance(muscles, str):
        muscles = [muscles]
    for muscle in muscles:
        name = f"emg_{muscle}"
        if name not in trial.channels:
            raise RecordingError(describe(f"`{trial.source}`, channel `{name}`",
                                          f"one of the Trial's muscles {trial.emg_names()}", "no such channel"))
        if trial.unit(name) != "1":
            raise RecordingError(describe(f"`{trial.source}`, channel `{name}`", "a normalised excitation "
                                          "(unit 1, as simulated)", f"unit {trial.unit(name)!r}",
                                          "a recorded EMG already is an EMG"))
    return list(muscles)


def _check_rate(rate_hz) -> float:
    low, high = RATE_BOUNDS_HZ
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, (int, float)) or not low <= float(rate_hz) <= high:
        raise ParameterError(describe("rate_hz", f"an EMG sampling rate in [{low:g}, {high:g}] Hz", repr(rate_hz)))
    return float(rate_hz)


def force_agreement(pool_force_norm, lumped, rate_hz: float) -> tuple[float | None, float | None]:
    """How closely a pool's force follows the lumped model: ``(lag_s, r)``, the delay (s, 0 to
    :data:`MAX_FORCE_LAG_S`) at which the pool force best correlates with the lumped signal, and that
    Pearson correlation. ``(None, None)`` when the lumped signal varies by less than
    :data:`MIN_LUMPED_CHANGE` (nothing to follow) or the pool force is constant.

    Examples
    --------
    >>> t = np.arange(0.0, 2.0, 1e-3)
    >>> bump = np.exp(-(((t - 1.0) / 0.1) ** 2))
    >>> lag, r = force_agreement(0.3 * np.roll(bump, 80), bump, 1000.0)  # 80 ms late, a third as big
    >>> round(lag, 3), round(r, 3)
    (0.08, 1.0)
    >>> force_agreement(bump, np.full(t.size, 0.034), 1000.0)
    (None, None)
    """
    force = np.asarray(pool_force_norm, dtype=float)
    lumped = np.asarray(lumped, dtype=float)
    if np.ptp(lumped) < MIN_LUMPED_CHANGE or np.ptp(force) == 0:
        return None, None
    most = min(round(MAX_FORCE_LAG_S * rate_hz), force.size - 3)
    best = (-2.0, 0)
    for lag in range(most + 1):
        a, b = force[lag:], lumped[: force.size - lag]
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            continue
        r = float(np.corrcoef(a, b)[0, 1])
        if r > best[0]:
            best = (r, lag)
    return (best[1] / rate_hz, best[0]) if best[0] > -2.0 else (None, None)


def with_motor_units(trial: Trial, *, seed: int = 0, pool: MotorUnitPoolParams | None = None,
                     surface: SurfaceEmgParams | None = None, muscles: Sequence[str] | None = None,
                     rate_hz: float = DEFAULT_RATE_HZ) -> Trial:
    """A simulated Trial with each muscle's motor-unit pool, surface EMG and discharges added.

    Parameters
    ----------
    trial : a simulated Trial (:func:`myoreflex.simulate`) with ``emg_<muscle>`` excitation
        channels (unit 1).
    seed : non-negative integer; the same seed gives the same EMG (module docstring).
    pool, surface : motor-unit pool and surface-EMG parameters, the same for every muscle (None:
        their defaults, :class:`~myoreflex.physiology.motor_units.MotorUnitPoolParams` and
        :class:`~myoreflex.physiology.surface_emg.SurfaceEmgParams`).
    muscles : which muscles (default: every excitation channel).
    rate_hz : least EMG sampling rate (Hz); the rate used is the loop's rate times
        ``k = ceil(rate_hz * step)`` (:func:`emg_time`).

    Returns
    -------
    Trial on the EMG's time grid: every channel of ``trial`` linearly interpolated (the loop's
    samples kept exactly at every ``k``-th sample), plus ``emg_surface_<m>`` (V) and
    ``pool_force_<m>`` (1) per muscle; metadata ``rate_hz`` (the EMG's rate), ``loop_rate_hz``,
    ``discharge_times_s`` (``{muscle: {unit: times in s}}``) and ``motor_unit_emg`` (settings and,
    per muscle, ``n_recruited``, ``n_discharges``, ``pool_force_peak``, ``lumped_channel``,
    ``lumped_peak``, ``force_lag_s``, ``force_correlation``: :func:`force_agreement`). Status unchanged.

    Raises
    ------
    RecordingError
        No excitation channel, a muscle without one, a channel not in unit 1, NaN or inf, a Trial
        too long (:data:`MAX_RATE_VALUES`).
    ParameterError
        A bad seed, rate or pool/EMG parameter; a Trial that already carries motor-unit EMG.

    Examples
    --------
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(1, 1001) * 1e-3  # 1 s at 1 kHz, as simulate records it
    >>> drive = 0.005 + 0.2 * (t > 0.5)
    >>> loop = Trial(t, {"emg_biceps": Channel(drive, "1")}, {"rate_hz": 1000.0})
    >>> out = with_motor_units(loop, seed=1)
    >>> out.rate_hz, out.unit("emg_surface_biceps"), bool(np.all(out["emg_biceps"][::2] == drive))
    (2000.0, 'V', True)
    >>> out.metadata["motor_unit_emg"]["muscles"]["biceps"]["n_recruited"]
    79
    """
    if not isinstance(trial, Trial):
        raise ParameterError(describe("with_motor_units: trial", "a myoreflex Trial", type(trial).__name__))
    if "motor_unit_emg" in trial.metadata:
        raise ParameterError(describe(f"`{trial.source}`", "a Trial without motor-unit EMG",
                                      "one that already has it", "start from the simulated Trial"))
    _check_seed(seed)
    rate_hz = _check_rate(rate_hz)
    pool = validate(MotorUnitPoolParams() if pool is None else pool)
    surface = validate(SurfaceEmgParams() if surface is None else surface)
    chosen = _muscles(trial, muscles)
    for muscle in chosen:
        values = trial[f"emg_{muscle}"]
        if not np.all(np.isfinite(values)):
            raise RecordingError(describe(f"`{trial.source}`, channel `emg_{muscle}`", "finite values",
                                          "NaN or inf", "a failed simulation has no EMG"))
    fine, k = emg_time(trial.time, rate_hz)
    if fine.size * pool.n_units > MAX_RATE_VALUES:
        raise RecordingError(describe(f"`{trial.source}`", f"at most {MAX_RATE_VALUES // pool.n_units} EMG samples "
                                      f"({pool.n_units} units)", f"{fine.size} ({trial.duration:g} s)",
                                      "cut it with trial.window(start, stop)"))
    channels = {name: Channel(_interpolated(c.values, trial.time, fine, k), c.unit)
                for name, c in trial.channels.items()}
    loop_rate = trial.rate_hz if trial.rate_hz is not None else trial.sampling_rate
    step = float(np.median(np.diff(trial.time)))
    summary, discharges = {}, {}
    for muscle in chosen:
        crc = zlib.crc32(muscle.encode())
        activity = simulate_motor_units(fine, channels[f"emg_{muscle}"].values, seed=[int(seed), crc],
                                        pool=pool, surface=surface)
        channels[f"{EMG_PREFIX}{muscle}"] = Channel(activity.emg, "V")
        channels[f"{FORCE_PREFIX}{muscle}"] = Channel(activity.force, "1")
        discharges[muscle] = {str(i + 1): train for i, train in enumerate(activity.trains) if train.size}
        lumped = f"activation_{muscle}" if f"activation_{muscle}" in channels else f"emg_{muscle}"
        lag, r = force_agreement(activity.force, channels[lumped].values, k / step)
        summary[muscle] = {
            "n_recruited": activity.n_recruited,
            "n_discharges": activity.n_discharges,
            "pool_force_peak": float(activity.force.max()),
            "lumped_channel": lumped,
            "lumped_peak": float(channels[lumped].values.max()),
            "force_lag_s": lag,
            "force_correlation": r,
        }
    metadata = {
        "rate_hz": round(k / step, 6),
        "loop_rate_hz": float(loop_rate),
        "discharge_times_s": discharges,
        "motor_unit_emg": {"seed": int(seed), "rate_hz": round(k / step, 6), "upsampling": k,
                           "n_units": pool.n_units, "reference": REFERENCES, "muscles": summary},
    }
    return dataclasses.replace(trial, time=fine, channels=channels, metadata={**trial.metadata, **metadata})


def discharge_times(trial: Trial, muscle: str) -> DischargeTimes:
    """A muscle's simulated discharges as :class:`~myoreflex.measures.motor_units.DischargeTimes`,
    with its excitation ``emg_<muscle>`` (1) as the reference signal, ready for
    :func:`myoreflex.measures.motor_units.measure`.

    Examples
    --------
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(1, 2001) * 1e-3
    >>> loop = Trial(t, {"emg_biceps": Channel(np.full(t.size, 0.05), "1")})
    >>> units = discharge_times(with_motor_units(loop), "biceps")
    >>> units.units[:3], units.reference_unit, round(float(units.reference[0]), 3)
    (('1', '2', '3'), '1', 0.05)
    """
    stored = trial.metadata.get("discharge_times_s")
    if not isinstance(stored, Mapping) or muscle not in stored:
        known = sorted(stored) if isinstance(stored, Mapping) else []
        raise RecordingError(describe(f"`{trial.source}`, metadata `discharge_times_s`",
                                      f"a muscle with simulated discharges {known}", repr(muscle),
                                      "add them with with_motor_units(trial)"))
    reference = {}
    if f"emg_{muscle}" in trial.channels:
        reference = {"reference_time": trial.time, "reference": trial[f"emg_{muscle}"],
                     "reference_unit": trial.unit(f"emg_{muscle}")}
    return DischargeTimes.from_mapping(stored[muscle], source=f"{trial.source}, {muscle}", **reference)


def write_motor_unit_emg(trial: Trial, path: str | Path, *, channels: Sequence[str] | None = None) -> list[Path]:
    """Write a Trial from :func:`with_motor_units` and its discharges; return the paths written.

    ``path`` (``.csv`` or ``.parquet``) gets the Trial by :func:`myoreflex.io.writers.write_trial`,
    on its one time base (the EMG's rate). Beside it, one ``<stem>_<muscle>_discharges.csv`` per
    muscle in the ``unit,time_s`` layout that
    :func:`myoreflex.io.motor_units.read_discharge_times` reads (a CSV Trial keeps no metadata; a
    Parquet one also keeps them in its schema metadata). Each file is written atomically.

    Examples
    --------
    >>> import tempfile
    >>> from myoreflex.io import read_trial
    >>> from myoreflex.io.motor_units import read_discharge_times
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(1, 501) * 1e-3
    >>> out = with_motor_units(Trial(t, {"emg_biceps": Channel(np.full(t.size, 0.05), "1")}))
    >>> paths = write_motor_unit_emg(out, Path(tempfile.mkdtemp()) / "stretch.csv")
    >>> [p.name for p in paths]
    ['stretch.csv', 'stretch_biceps_discharges.csv']
    >>> read_trial(paths[0]).unit("emg_surface_biceps"), len(read_discharge_times(paths[1]).units)
    ('V', 30)
    """
    from myoreflex.io.results import atomic_path, check_output
    from myoreflex.io.writers import write_trial

    stored = trial.metadata.get("discharge_times_s")
    if not isinstance(stored, Mapping):
        raise RecordingError(describe(f"`{trial.source}`", "a Trial from with_motor_units (metadata "
                                      "`discharge_times_s`)", "none", "add them with with_motor_units(trial)"))
    path = Path(path)
    targets = {muscle: path.with_name(f"{path.stem}_{muscle}_discharges.csv") for muscle in stored}
    for target in targets.values():
        check_output(target, suffixes=(".csv",), what="discharge times")
    written = [write_trial(trial, path, channels=channels)]
    for muscle, target in targets.items():
        rows = sorted((float(t), int(unit)) for unit, times in stored[muscle].items() for t in times)
        with atomic_path(target) as temporary, open(temporary, "w", encoding="utf-8", newline="") as stream:
            stream.write("unit,time_s\n")
            stream.writelines(f"{unit},{time!r}\n" for time, unit in rows)
        written.append(target)
    return written


def plot_motor_unit_emg(trial: Trial, muscle: str, *, onsets: Mapping[str, float | None] | None = None,
                        envelope_window_s: float = 0.05):
    """Figure of one muscle of a :func:`with_motor_units` Trial: drive and force, surface EMG, its
    envelope, and the discharge raster.

    Panels, sharing the time axis: (1) the loop's excitation ``emg_<m>``, the lumped activation
    (when recorded) and the pool's normalised force (1); (2) the surface EMG (mV); (3) its moving
    RMS envelope (uV) after :func:`~myoreflex.measures.emg.emg_clean`, with a vertical line at each
    time of ``onsets`` (label -> s); (4) the discharges of every unit that fired, in recruitment order.

    Returns a ``matplotlib.figure.Figure`` (never pyplot state; ``plots`` extra).

    Examples
    --------
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(1, 1001) * 1e-3
    >>> out = with_motor_units(Trial(t, {"emg_biceps": Channel(0.005 + 0.1 * (t > 0.5), "1")}))
    >>> fig = plot_motor_unit_emg(out, "biceps", onsets={"excitation": 0.5})
    >>> len(fig.axes)
    4
    """
    from matplotlib.figure import Figure

    from myoreflex.measures.emg import emg_clean, emg_envelope

    if f"{EMG_PREFIX}{muscle}" not in trial.channels:
        raise RecordingError(describe(f"`{trial.source}`, channel `{EMG_PREFIX}{muscle}`",
                                      "a Trial from with_motor_units", "no such channel"))
    time, rate = trial.time, float(trial.rate_hz or trial.sampling_rate)
    emg = trial[f"{EMG_PREFIX}{muscle}"]
    envelope = emg_envelope(emg_clean(emg, rate), rate, method="rms", window_s=envelope_window_s)
    fig = Figure(figsize=(8.0, 8.0), layout="constrained")
    drive, raw, amplitude, raster = fig.subplots(4, 1, sharex=True, height_ratios=[1.2, 1.2, 1.0, 1.2])
    drive.plot(time, trial[f"emg_{muscle}"], color="C0", label="excitation (loop)")
    if f"activation_{muscle}" in trial.channels:
        drive.plot(time, trial[f"activation_{muscle}"], color="C0", linestyle="--", label="activation (lumped)")
    drive.plot(time, trial[f"{FORCE_PREFIX}{muscle}"], color="C3", label="pool force / max")
    drive.set_ylabel("normalised (1)")
    drive.legend(fontsize=8, loc="upper left")
    drive.set_title(f"{trial.source}: {muscle}, motor-unit pool and surface EMG at {rate:g} Hz", fontsize=10)
    raw.plot(time, emg * 1e3, color="0.2", linewidth=0.5)
    raw.set_ylabel("surface EMG (mV)")
    amplitude.plot(time, envelope * 1e6, color="C2")
    amplitude.set_ylabel(f"RMS {envelope_window_s * 1e3:g} ms (uV)")
    for k, (label, at) in enumerate((onsets or {}).items()):
        if at is not None:
            for ax in (drive, raw, amplitude):
                ax.axvline(at, color=f"C{4 + k}", linewidth=1.0, linestyle=":")
            amplitude.annotate(f"{label} {at:.3f} s", (at, 0.0), xycoords=("data", "axes fraction"),
                               xytext=(3, 4 + 11 * k), textcoords="offset points", fontsize=8, color=f"C{4 + k}")
    trains = trial.metadata.get("discharge_times_s", {}).get(muscle, {})
    for unit, times in trains.items():
        row = int(unit)
        raster.vlines(np.asarray(times, dtype=float), row - 0.4, row + 0.4, color="0.2", linewidth=0.5)
    raster.set_ylabel("unit (recruitment order)")
    raster.set_xlabel("time (s)")
    return fig


__all__ = ["DEFAULT_RATE_HZ", "MotorUnitActivity", "discharge_times", "emg_time", "force_agreement",
           "plot_motor_unit_emg", "pool_excitation",
           "simulate_motor_units", "steady_pool_force", "with_motor_units", "write_motor_unit_emg"]
