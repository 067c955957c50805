"""Motor-unit pool: size-ordered recruitment, rate coding, discharge variability and twitch force
(Fuglevand, Winter & Patla 1993; ANCHORS 7.3).

A pool of ``n`` motor units shares one excitation ``E`` (arbitrary units of the paper). With the unit
index ``i = 1 .. n`` in recruitment order (Henneman's size principle)::

    RTE(i) = exp(a i),            a = ln(RR) / n                     (recruitment threshold, eq. 1)
    PFR(i) = PFR1 - PFRD RTE(i) / RTE(n)                             (peak firing rate, eq. 5)
    FR(i)  = min(g_e (E - RTE(i)) + MFR, PFR(i))  for E >= RTE(i)    (rate coding, eq. 2-4)
    ISI    = (1 / FR) (1 + cv Z),  Z ~ N(0, 1) truncated at +-3.9    (discharge variability)
    P(i)   = exp(b i),            b = ln(RP) / n                     (twitch peak force, eq. 13)
    T(i)   = T_L (1 / P(i))^(1 / c),  c = ln(RP) / ln(RT)             (contraction time, eq. 14)
    f(t)   = P (t / T) exp(1 - t / T)                                (twitch, eq. 15)
    gain   = 1 if x <= 0.4 else S(x) / S(0.4),  S(x) = (1 - exp(-2 x^3)) / x,  x = T FR
                                                                     (force-frequency gain, eq. 16-17)

With the defaults (RR 30, MFR 8 pps, PFR 35 -> 25 pps, g_e 1, RP 100, T_L 90 ms, RT 3) every unit is
recruited at ``E = 30`` and every unit fires at its peak rate at ``E_max = RTE(n) + (PFR(n) - MFR) / g_e
= 47``; twitch forces span 100-fold and contraction times 90 -> 30 ms.

The pool is pluggable: :func:`firing_rates` gives Fuglevand's rates for an excitation,
:func:`hysteretic_firing_rates` adds a persistent-inward-current-like offset (a unit once recruited
keeps an extra excitation until it falls silent: recruitment-derecruitment hysteresis with a known
paired-motor-unit delta-F), and any other excitability model (a bistable motor neuron) can hand its
own rates per unit to :func:`spike_trains`, which turns rates into discharge times.

Deviations from the paper. The gain is normalised by ``S(0.4) = 0.30034`` exactly (the paper's
figure of 0.3 makes the gain jump by 0.1 % at x = 0.4). A unit's first discharge falls on the first
sample at which its rate is positive (no random phase), so recruitment times are exact; the next
interval is drawn from the rate at the discharge that starts it (as in the paper, rates are updated
at each discharge). The ISI coefficient of variation of 0.2 and the truncation at 3.9 SD are read in
public implementations of the paper (ANCHORS 7.3; the 0.2 unverified against the paper itself).

References: Fuglevand AJ, Winter DA, Patla AE (1993) Models of recruitment and rate coding
organization in motor-unit pools. J Neurophysiol 70:2470-2488, doi:10.1152/jn.1993.70.6.2470.
"""

from __future__ import annotations

import equinox as eqx
import numpy as np

from myoreflex.params import check_choices, choice, param

FUGLEVAND = "Fuglevand, Winter & Patla 1993 J Neurophysiol 70:2470 (ANCHORS 7.3)"
ISI_TRUNCATION_SD = 3.9
"""Largest standard normal deviate of an interspike interval: with cv <= 0.25 an interval stays
positive (public implementations of Fuglevand et al. 1993, ANCHORS 7.3)."""
GAIN_KNEE = 0.4
"""Normalised stimulus rate ``x = T FR`` below which twitches sum linearly (Fuglevand et al. 1993)."""


class MotorUnitPoolParams(eqx.Module):
    """Recruitment, rate coding, discharge variability and twitch parameters of a motor-unit pool."""

    n_units: int = choice(120, doc="number of motor units (static: sets array shapes)")
    recruitment_range: float = param(
        30.0, unit="1", bounds=(1.5, 200.0), source=FUGLEVAND + ": RR, ratio of last to first threshold"
    )
    excitation_gain: float = param(
        1.0, unit="pps per excitation unit", bounds=(0.1, 10.0), source=FUGLEVAND + ": g_e"
    )
    min_rate: float = param(8.0, unit="pps", bounds=(1.0, 30.0), source=FUGLEVAND + ": MFR")
    first_peak_rate: float = param(35.0, unit="pps", bounds=(10.0, 100.0), source=FUGLEVAND + ": PFR1")
    peak_rate_difference: float = param(
        10.0, unit="pps", bounds=(0.0, 50.0), source=FUGLEVAND + ": PFRD, PFR1 minus the last unit's peak rate"
    )
    twitch_force_range: float = param(
        100.0, unit="1", bounds=(1.5, 1000.0), source=FUGLEVAND + ": RP, ratio of largest to smallest twitch"
    )
    longest_contraction_time: float = param(
        0.090, unit="s", bounds=(0.01, 0.2), source=FUGLEVAND + ": T_L, contraction time of the first unit"
    )
    contraction_time_range: float = param(
        3.0, unit="1", bounds=(1.0, 10.0), source=FUGLEVAND + ": RT, ratio of longest to shortest contraction time"
    )
    isi_variability: float = param(
        0.2,
        unit="1",
        bounds=(0.0, 0.25),
        source=FUGLEVAND + ": coefficient of variation of the interspike interval (0.2; implementations "
        "use 0.1-0.2, unverified against the paper); at most 0.25 so a truncated interval stays positive",
    )

    def __check_init__(self):
        check_choices(self)


def _index(params: MotorUnitPoolParams) -> np.ndarray:
    return np.arange(1, params.n_units + 1, dtype=float)


def recruitment_thresholds(params: MotorUnitPoolParams) -> np.ndarray:
    """Recruitment threshold excitation of every unit, ``RTE(i) = exp(ln(RR) i / n)`` (1, shape (n,)).

    Examples
    --------
    >>> rte = recruitment_thresholds(MotorUnitPoolParams())
    >>> rte.shape, round(float(rte[0]), 3), round(float(rte[-1]), 1)
    ((120,), 1.029, 30.0)
    """
    return np.exp(np.log(params.recruitment_range) / params.n_units * _index(params))


def peak_rates(params: MotorUnitPoolParams) -> np.ndarray:
    """Peak firing rate of every unit, ``PFR(i) = PFR1 - PFRD RTE(i) / RTE(n)`` (pps, shape (n,)).

    Examples
    --------
    >>> rates = peak_rates(MotorUnitPoolParams())
    >>> round(float(rates[0]), 2), round(float(rates[-1]), 2)
    (34.66, 25.0)
    """
    rte = recruitment_thresholds(params)
    return params.first_peak_rate - params.peak_rate_difference * rte / rte[-1]


def max_excitation(params: MotorUnitPoolParams) -> float:
    """Excitation at which the last unit reaches its peak rate, ``RTE(n) + (PFR(n) - MFR) / g_e``.

    Examples
    --------
    >>> round(max_excitation(MotorUnitPoolParams()), 6)
    47.0
    """
    rte = recruitment_thresholds(params)
    return float(rte[-1] + (peak_rates(params)[-1] - params.min_rate) / params.excitation_gain)


def firing_rates(excitation, params: MotorUnitPoolParams) -> np.ndarray:
    """Fuglevand's rate coding: the firing rate of every unit for an excitation (pps).

    Parameters
    ----------
    excitation : excitation in the paper's units (0 to :func:`max_excitation`), any shape ``S``.
    params : the pool.

    Returns
    -------
    Rates (pps), shape ``S + (n,)``: 0 below a unit's threshold, then ``g_e (E - RTE) + MFR`` capped at
    the unit's peak rate.

    Examples
    --------
    >>> p = MotorUnitPoolParams()
    >>> rates = firing_rates(np.array([0.0, 29.9, 30.5, 47.0]), p)
    >>> rates.shape, float(rates[0].max()), float(rates[1, -1]), round(float(rates[2, -1]), 6)
    ((4, 120), 0.0, 0.0, 8.5)
    >>> round(float(rates[3, 0]), 2), round(float(rates[3, -1]), 2)  # every unit at its peak rate
    (34.66, 25.0)
    """
    excitation = np.asarray(excitation, dtype=float)[..., None]
    rte = recruitment_thresholds(params)
    rate = np.minimum(params.excitation_gain * (excitation - rte) + params.min_rate, peak_rates(params))
    return np.where(excitation >= rte, rate, 0.0)


def hysteretic_firing_rates(excitation, params: MotorUnitPoolParams, pic_excitation) -> np.ndarray:
    """Rates of a pool whose units keep an extra excitation once recruited (PIC-like hysteresis).

    A unit switches on when ``E >= RTE(i)`` and from then on receives ``E + P(i)``, where ``P`` is its
    persistent-inward-current offset, until ``E + P(i) < RTE(i)``: it is derecruited at an excitation
    ``P(i)`` lower than it was recruited at. Its rate while on is Fuglevand's rate of ``E + P(i)``.
    A lower-threshold control unit that stays on throughout a test unit's discharge therefore fires
    ``g_e P(test)`` pps faster at the test unit's recruitment than at its derecruitment: the
    paired-motor-unit delta-F (Gorassini et al. 2002) of this pool is ``g_e P`` exactly, while the
    control unit is below its peak rate.

    Parameters
    ----------
    excitation : excitation over time (paper's units), shape (T,).
    params : the pool.
    pic_excitation : offset ``P`` (excitation units), a scalar or one per unit (n,).

    Returns
    -------
    Rates (pps), shape (T, n).

    Examples
    --------
    >>> p = MotorUnitPoolParams(n_units=10)
    >>> ramp = np.concatenate([np.linspace(0, 20, 201), np.linspace(20, 0, 201)])
    >>> rates = hysteretic_firing_rates(ramp, p, 1.0)
    >>> on = rates[:, 0] > 0
    >>> round(float(ramp[on.argmax()]), 1), round(float(ramp[len(ramp) - 1 - on[::-1].argmax()]), 1)
    (1.5, 0.5)
    """
    excitation = np.asarray(excitation, dtype=float)
    offset = np.broadcast_to(np.asarray(pic_excitation, dtype=float), (params.n_units,))
    rte = recruitment_thresholds(params)
    peak = peak_rates(params)
    state = np.zeros(params.n_units, dtype=bool)
    rates = np.zeros((excitation.size, params.n_units))
    for k, level in enumerate(excitation):
        state = np.where(state, level + offset >= rte, level >= rte)
        drive = level + offset * state
        rates[k] = np.where(state, np.minimum(params.excitation_gain * (drive - rte) + params.min_rate, peak), 0.0)
    return rates


def _next_sample(marked: np.ndarray, samples: np.ndarray, steps: int) -> np.ndarray:
    """For each sample, the first marked sample at or after it (``steps`` where there is none)."""
    if marked.size == 0:
        return np.full(samples.size, steps)
    index = np.searchsorted(marked, samples)
    return np.where(index < marked.size, marked[np.minimum(index, marked.size - 1)], steps)


def spike_trains(rates, dt: float, rng: np.random.Generator, params: MotorUnitPoolParams) -> list[np.ndarray]:
    """Discharge times of every unit from its rate over time, with Gaussian interval variability.

    Parameters
    ----------
    rates : firing rate of each unit (pps), shape (T, n), sampled every ``dt`` from time 0.
    dt : sample interval (s).
    rng : the random generator (explicit, so a seed gives the same trains).
    params : the pool (its ``isi_variability``).

    Returns
    -------
    One array of discharge times (s) per unit, increasing.

    Notes
    -----
    A unit discharges first at the first sample where its rate is positive. Each next discharge
    comes when the unit's rate, integrated from the last discharge, reaches ``1 + cv Z`` (Z a
    truncated standard normal deviate, cv ``isi_variability``): at a constant rate the interval is
    ``(1 / FR)(1 + cv Z)``, Fuglevand's interval. While the rate changes, an interval reflects the
    mean rate over it rather than the rate at its first discharge (the paper's update at each
    discharge), so instantaneous rates lag the drive by no more than the sampling of the rate
    itself. A unit whose rate falls to 0 before its next discharge is derecruited; when its rate is
    positive again it is recruited anew and discharges at once.

    Examples
    --------
    >>> p = MotorUnitPoolParams(n_units=3)
    >>> rates = np.full((1000, 3), 10.0)
    >>> trains = spike_trains(rates, 1e-3, np.random.default_rng(0), p)
    >>> [len(train) for train in trains], float(trains[0][0])
    ([10, 11, 11], 0.0)
    >>> intervals = np.diff(spike_trains(np.full((100_000, 1), 10.0), 1e-3, np.random.default_rng(1),
    ...                                  MotorUnitPoolParams(n_units=1))[0])
    >>> round(float(intervals.mean()), 2), round(float(intervals.std() / intervals.mean()), 1)
    (0.1, 0.2)
    """
    rates = np.asarray(rates, dtype=float)
    steps, n = rates.shape
    trains = []
    samples = np.arange(steps)
    for unit in range(n):
        rate = rates[:, unit]
        active = rate > 0
        on, off = np.flatnonzero(active), np.flatnonzero(~active)
        times: list[float] = []
        trains.append(times)
        if on.size == 0:
            continue
        next_on = _next_sample(on, samples, steps)  # first sample at or after each sample where it is on
        next_off = _next_sample(off, samples, steps)  # ... and where it is off
        phase = np.cumsum(rate) * dt  # phase reached at the end of each sample (discharges)
        k = int(next_on[0])
        while k < steps:
            times.append(k * dt)
            deviate = np.clip(rng.standard_normal(), -ISI_TRUNCATION_SD, ISI_TRUNCATION_SD)
            target = int(np.searchsorted(phase, phase[k] + 1.0 + params.isi_variability * deviate))
            silent = int(next_off[k])
            if target >= steps and silent >= steps:
                break
            k = target if target < silent else int(next_on[silent]) if silent < steps else steps
    return [np.asarray(train) for train in trains]


def twitch_properties(params: MotorUnitPoolParams) -> tuple[np.ndarray, np.ndarray]:
    """Twitch peak force ``P(i)`` (1, the first unit ~1) and contraction time ``T(i)`` (s) of every unit.

    Examples
    --------
    >>> force, time = twitch_properties(MotorUnitPoolParams())
    >>> round(float(force[-1] / force[0]), 1), round(float(time[0]), 4), round(float(time[-1]), 4)
    (96.2, 0.0892, 0.03)
    """
    peak = np.exp(np.log(params.twitch_force_range) / params.n_units * _index(params))
    exponent = np.log(params.contraction_time_range) / np.log(params.twitch_force_range)  # 1 / c
    return peak, params.longest_contraction_time * peak ** (-exponent)


def twitch_force(t, peak_force, contraction_time) -> np.ndarray:
    """Fuglevand's twitch, ``f(t) = P (t / T) exp(1 - t / T)`` for t >= 0, else 0 (force units of P).

    Examples
    --------
    >>> round(float(twitch_force(0.05, 2.0, 0.05)), 6), float(twitch_force(-0.01, 2.0, 0.05))
    (2.0, 0.0)
    """
    t = np.asarray(t, dtype=float)
    shape = np.where(t >= 0, t / contraction_time * np.exp(1.0 - t / contraction_time), 0.0)
    return peak_force * shape


def force_gain(normalised_rate) -> np.ndarray:
    """Force-frequency gain of a twitch at normalised rate ``x = T FR`` (1): 1 up to 0.4, then the
    ratio of the sigmoidal to the linear force-rate relation, ``S(x) / S(0.4)``.

    Examples
    --------
    >>> [round(float(g), 3) for g in force_gain(np.array([0.2, 0.4, 1.0, 2.0]))]
    [1.0, 1.0, 2.879, 1.665]
    """
    x = np.maximum(np.asarray(normalised_rate, dtype=float), 1e-12)
    def summed(v):
        return (1.0 - np.exp(-2.0 * v**3)) / v

    return np.where(x <= GAIN_KNEE, 1.0, summed(x) / summed(GAIN_KNEE))


def pool_force(trains, time, params: MotorUnitPoolParams) -> np.ndarray:
    """Force of the pool: every discharge adds its unit's twitch scaled by the force-frequency gain.

    Parameters
    ----------
    trains : discharge times (s) of each unit (:func:`spike_trains`).
    time : uniformly sampled times (s) at which to give the force, shape (T,).
    params : the pool.

    Returns
    -------
    Force in Fuglevand's units (the first unit's twitch ~1), shape (T,). The gain of a discharge uses
    the instantaneous rate ``1 / ISI`` of the interval that ends at it (the first discharge of a train:
    gain 1).

    Examples
    --------
    >>> p = MotorUnitPoolParams(n_units=2)
    >>> t = np.arange(0.0, 1.0, 1e-3)
    >>> force = pool_force([np.array([0.1]), np.array([])], t, p)  # one twitch of the first unit
    >>> peak_force, contraction_time = twitch_properties(p)
    >>> bool(np.isclose(force.max(), peak_force[0], rtol=1e-3))
    True
    >>> bool(abs(t[force.argmax()] - 0.1 - contraction_time[0]) <= 1e-3)
    True
    """
    time = np.asarray(time, dtype=float)
    dt = float(time[1] - time[0])
    peak, contraction = twitch_properties(params)
    force = np.zeros(time.size)
    for unit, train in enumerate(trains):
        train = np.asarray(train, dtype=float)
        if train.size == 0:
            continue
        rate = np.concatenate([[0.0], 1.0 / np.diff(train)])
        gain = force_gain(contraction[unit] * rate)
        impulses = np.zeros(time.size)
        index = np.clip(np.round((train - time[0]) / dt).astype(int), 0, time.size - 1)
        np.add.at(impulses, index, gain)
        kernel = twitch_force(np.arange(0.0, 8.0 * contraction[unit], dt), peak[unit], contraction[unit])
        force += np.convolve(impulses, kernel)[: time.size]
    return force
