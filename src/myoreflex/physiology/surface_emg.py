"""Surface EMG: motor-unit action potential trains through a volume conductor, in volts, with noise.

Each discharge of unit ``i`` adds its motor-unit action potential (MUAP) as seen by one surface
electrode: a first-order Hermite-Rodriguez function (Lo Conte, Merletti & Sandri 1994) whose
amplitude and duration come from the unit's size and are filtered by the tissue between the unit and
the electrode (the volume-conductor model of Cisi & Kohn 2008, as parameterised in the NeMU
notebook)::

    A_i   = A_1 + (A_n - A_1) (RTE(i) - RTE(1)) / (RTE(n) - RTE(1))    (amplitude grows with size)
    l_i   = l_n + (l_1 - l_n) (1/RTE(i) - 1/RTE(n)) / (1/RTE(1) - 1/RTE(n))  (duration shrinks with size)
    A'_i  = A_i exp(-d_i / delta)                                      (attenuation with depth d)
    l'_i  = l_i (1 + k d_i)                                            (widening with depth)
    m_i(t) = A'_i (u / l'_i) exp(-(u / l'_i)^2),   u = t - t_spike - 3 l'_i
    EMG(t) = sum_i sum_spikes m_i(t) + noise,      noise ~ N(0, sigma^2) white

``RTE`` are the pool's recruitment thresholds (:mod:`myoreflex.physiology.motor_units`), so a larger,
later-recruited unit has a larger and shorter MUAP; unit depths are drawn uniformly between a minimum
(skin and subcutaneous fat) and a maximum (the deep border of the muscle). A deep unit's MUAP is
smaller and wider, so the spectrum of the sum depends on which units fire.

Deviations: the MUAP is delayed by ``3 l'_i`` after its discharge, so that it begins (within
``exp(-9)``) at the discharge: the discharge time is the true onset of electrical activity. One
monopolar channel; no propagation along the fibres, no end-of-fibre effects, no electrode
filtering (a bipolar or high-density montage is a later model).

References: Lo Conte LR, Merletti R, Sandri GV (1994) Hermite expansions of compact support waveforms:
applications to myoelectric signals. IEEE Trans Biomed Eng 41:1147-1159. Cisi RRL, Kohn AF (2008)
Simulation system of spinal cord motor nuclei and associated nerves and muscles, in a Web-based
architecture. J Comput Neurosci 25:520-542. NeMU notebook (Molinari & Elias; github
molinaris/neuromuscular_notebook, ``config_reference``): MUAP amplitudes 1 -> 11.4 mV, durations
3 -> 1.4 ms, amplitude attenuation length 5 mm, widening factor 100 per m.
"""

from __future__ import annotations

import equinox as eqx
import numpy as np
from scipy.signal import fftconvolve

from myoreflex.params import param
from myoreflex.physiology.motor_units import MotorUnitPoolParams, recruitment_thresholds

NEMU = ("Cisi & Kohn 2008 J Comput Neurosci 25:520 volume conductor, values of the NeMU notebook "
        "(Molinari & Elias, molinaris/neuromuscular_notebook config_reference)")
HERMITE = "Lo Conte, Merletti & Sandri 1994 IEEE Trans Biomed Eng 41:1147 (first-order Hermite-Rodriguez MUAP)"
MUAP_DELAY = 3.0
"""The MUAP's centre follows its discharge by this many duration factors ``l'``: the waveform
``u exp(-u^2)`` is below exp(-9) of its peak outside |u| < 3."""


class SurfaceEmgParams(eqx.Module):
    """MUAP size and duration of the first and last unit, volume conductor, unit depths and noise."""

    first_amplitude: float = param(
        1.0e-3, unit="V", bounds=(1e-6, 0.05), source=NEMU + ": first MUAP amplitude factor 1.0 mV (at source)"
    )
    last_amplitude: float = param(
        11.4e-3, unit="V", bounds=(1e-6, 0.5), source=NEMU + ": last MUAP amplitude factor 11.4 mV (at source)"
    )
    first_duration: float = param(
        3.0e-3, unit="s", bounds=(2e-4, 0.02), source=NEMU + " and " + HERMITE + ": first MUAP duration factor 3 ms"
    )
    last_duration: float = param(
        1.4e-3, unit="s", bounds=(2e-4, 0.02), source=NEMU + " and " + HERMITE + ": last MUAP duration factor 1.4 ms"
    )
    attenuation_length: float = param(
        5.0e-3, unit="m", bounds=(5e-4, 0.05), source=NEMU + ": amplitude attenuation exp(-d / 5 mm)"
    )
    widening: float = param(
        100.0, unit="1/m", bounds=(0.0, 1000.0), source=NEMU + ": duration widening (1 + 100 d) with d in m"
    )
    min_depth: float = param(
        3.0e-3,
        unit="m",
        bounds=(0.0, 0.05),
        source="assumed: skin and subcutaneous fat of a lean adult limb, a few mm (the NeMU reference "
        "configuration uses 0.3 mm); sets the closest unit's attenuation",
    )
    max_depth: float = param(
        20.0e-3,
        unit="m",
        bounds=(1e-3, 0.1),
        source="assumed: deep border of a limb muscle about 2 cm thick (biceps brachii, tibialis anterior)",
    )
    noise_rms: float = param(
        3.0e-6,
        unit="V",
        bounds=(0.0, 1e-3),
        source="baseline noise of a good surface-EMG recording, a few uV RMS (Konrad 2005, The ABC of EMG, "
        "Noraxon: 3-5 uV at most, 1-2 uV the aim; unverified)",
    )


def unit_depths(pool: MotorUnitPoolParams, params: SurfaceEmgParams, rng: np.random.Generator) -> np.ndarray:
    """Depth of every unit below the electrode (m), uniform between ``min_depth`` and ``max_depth``.

    Examples
    --------
    >>> depths = unit_depths(MotorUnitPoolParams(), SurfaceEmgParams(), np.random.default_rng(0))
    >>> depths.shape, bool(depths.min() >= 3e-3 and depths.max() <= 20e-3)
    ((120,), True)
    """
    return rng.uniform(params.min_depth, params.max_depth, pool.n_units)


def muap_parameters(depths, pool: MotorUnitPoolParams, params: SurfaceEmgParams) -> tuple[np.ndarray, np.ndarray]:
    """Amplitude factor ``A'`` (V) and duration factor ``l'`` (s) of every unit's surface MUAP.

    Examples
    --------
    >>> pool, emg = MotorUnitPoolParams(n_units=3), SurfaceEmgParams()
    >>> amplitude, duration = muap_parameters(np.zeros(3), pool, emg)  # at the skin: no filtering
    >>> [round(float(a) * 1e3, 1) for a in amplitude], [round(float(l) * 1e3, 2) for l in duration]
    ([1.0, 3.5, 11.4], [3.0, 1.79, 1.4])
    """
    rte = recruitment_thresholds(pool)
    size = (rte - rte[0]) / (rte[-1] - rte[0]) if pool.n_units > 1 else np.zeros(1)
    slowness = (1 / rte - 1 / rte[-1]) / (1 / rte[0] - 1 / rte[-1]) if pool.n_units > 1 else np.ones(1)
    amplitude = params.first_amplitude + (params.last_amplitude - params.first_amplitude) * size
    duration = params.last_duration + (params.first_duration - params.last_duration) * slowness
    depths = np.asarray(depths, dtype=float)
    return amplitude * np.exp(-depths / params.attenuation_length), duration * (1.0 + params.widening * depths)


def muap_waveform(t, amplitude, duration) -> np.ndarray:
    """First-order Hermite-Rodriguez MUAP ``A (u / l) exp(-(u / l)^2)``, ``u = t - 3 l`` (V), t from the
    discharge (s). Its peaks are ``+-A exp(-1/2) / sqrt(2)`` (0.429 A), ``l sqrt(2)`` apart.

    Examples
    --------
    >>> t = np.arange(0.0, 0.02, 1e-5)
    >>> wave = muap_waveform(t, 1.0, 2e-3)
    >>> round(float(wave.max()), 3), round(float(t[wave.argmax()] - t[wave.argmin()]) * 1e3, 1)
    (0.429, 2.8)
    """
    u = (np.asarray(t, dtype=float) - MUAP_DELAY * duration) / duration
    return amplitude * u * np.exp(-(u**2))


def surface_emg(trains, time, depths, pool: MotorUnitPoolParams, params: SurfaceEmgParams,
                rng: np.random.Generator) -> np.ndarray:
    """Monopolar surface EMG (V) of a pool's discharges, with white Gaussian noise of ``noise_rms``.

    Parameters
    ----------
    trains : discharge times (s) of each unit (:func:`myoreflex.physiology.motor_units.spike_trains`).
    time : uniformly sampled times (s), shape (T,); a rate of 2 kHz or more resolves the MUAPs.
    depths : depth of each unit (m), :func:`unit_depths`.
    pool, params : the motor-unit pool and the EMG model.
    rng : random generator of the noise.

    Returns
    -------
    EMG (V), shape (T,). Each discharge is placed at its nearest sample.

    Examples
    --------
    >>> from myoreflex.physiology.motor_units import firing_rates, spike_trains
    >>> pool, emg = MotorUnitPoolParams(), SurfaceEmgParams()
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(0.0, 1.0, 1 / 4096)
    >>> trains = spike_trains(firing_rates(np.full(t.size, 20.0), pool), t[1], rng, pool)
    >>> signal = surface_emg(trains, t, unit_depths(pool, emg, rng), pool, emg, rng)
    >>> 1e-4 < float(np.sqrt(np.mean(signal**2))) < 3e-3  # hundreds of uV to a few mV
    True
    """
    time = np.asarray(time, dtype=float)
    dt = float(time[1] - time[0])
    amplitude, duration = muap_parameters(depths, pool, params)
    signal = np.zeros(time.size)
    for unit, train in enumerate(trains):
        train = np.asarray(train, dtype=float)
        if train.size == 0:
            continue
        impulses = np.zeros(time.size)
        index = np.round((train - time[0]) / dt).astype(int)
        np.add.at(impulses, index[(index >= 0) & (index < time.size)], 1.0)
        support = np.arange(0.0, 2.0 * MUAP_DELAY * duration[unit] + dt, dt)
        signal += fftconvolve(impulses, muap_waveform(support, amplitude[unit], duration[unit]))[: time.size]
    return signal + rng.normal(0.0, params.noise_rms, time.size)
