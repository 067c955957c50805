"""Cramp induction: electrically induced cramps on rising stimulation trains, and a maximal voluntary
contraction in the shortened position; relief applied during a simulated cramp.

Electrically induced cramp (Miller & Knight 2009, 2012; ANCHORS 8.2). The nerve is stimulated with
trains at 4, 6, 8, ... Hz (2 Hz steps from 4 Hz) until the muscle cramps; the cramp threshold
frequency is the lowest frequency that cramps. Here every train lasts :data:`TRAIN_S` = 2 s (an
ASSUMPTION: the abstracts read give the frequencies, not the train length) and starts from rest (the
rest between trains is taken to return the pool to rest). Each stimulus adds an afferent volley's
synaptic drive to the pool (:class:`myoreflex.cramps.CrampParams`); the stimulation of the motor
axons themselves makes the muscle twitch but, being peripheral, is not modelled (with the spinal loop
cut by a nerve block the cramps that remain last 2.6 s, Minetto et al. 2011). After each train the
pool's discharges are screened for :data:`SCREEN_S` = 3 s for activity outlasting the train
(:func:`myoreflex.measures.cramp.measure`); the first train that cramps is then recorded for
:data:`RECORD_S` = 150 s to measure the cramp's duration and firing rates. Frequencies go up to
:data:`TOP_HZ` = 40 Hz (ASSUMPTION; the highest threshold frequencies in ANCHORS 8.2 are ~33 Hz);
without a cramp by then the threshold is None.

Voluntary cramp (Khan & Burne 2007; Bertolasi et al. 1993). A maximal voluntary contraction
(:data:`EFFORT_S` = 5 s, ASSUMPTION) of the shortened muscle: a drive that recruits every unit,
then none. ``position="neutral"`` adds the Ib inhibition of a muscle contracting at neutral length
(``CrampParams.lengthened_inhibition``): Bertolasi et al. saw no cramp after maximal effort without
shortening, 7 of 10 subjects cramped with it.

Relief (:data:`myoreflex.cramps.RELIEFS`) starts ``relief_at_s`` (default 5 s) after the drive ends.

:func:`simulate_cramp` is the library entry: a condition of :data:`myoreflex.cramps.CONDITIONS` at a
severity, one protocol, optional relief; ``as_dict()`` holds ``condition``, ``severity``,
``cramp_threshold_frequency_hz`` (None without a cramp up to the top frequency, and for the
voluntary protocol), ``cramp_duration_s`` and ``mean_firing_rate_pps`` (None without a cramp), plus
``protocol``, ``relief``, ``cramp`` and ``n_units``.

This protocol is not registered in :data:`myoreflex.protocols.PROTOCOLS`: it runs no reflex loop and
returns no Trial.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy.signal import lfilter

from myoreflex import cramps
from myoreflex.errors import ParameterError, describe
from myoreflex.measures import Record, as_json
from myoreflex.measures.cramp import CrampMeasures, measure, threshold_frequency
from myoreflex.measures.motor_units import DischargeTimes
from myoreflex.physiology import bistable
from myoreflex.physiology.motor_units import MotorUnitPoolParams, spike_trains

DT = 1e-3
"""Sample interval (s): resolves the 40-ms PIC activation and intervals at up to 40 pps."""
START_HZ, STEP_HZ, TOP_HZ = 4.0, 2.0, 40.0
"""Train frequencies (Hz): from 4 Hz in 2 Hz steps (Miller & Knight 2009) up to 40 Hz (ASSUMPTION)."""
TRAIN_S = 2.0
"""Length of one stimulation train (s), ASSUMPTION."""
LEAD_S = 0.5
"""Rest before the drive (s)."""
SCREEN_S = 3.0
"""Time after a train (s) screened for a cramp: enough for the 1-s criterion and a margin."""
RECORD_S = 150.0
"""Time after the cramping train (s) recorded to measure the cramp (cramps last 55.6 +- 19.2 s,
Minetto et al. 2011)."""
EFFORT_S = 5.0
"""Length of the maximal voluntary contraction (s), ASSUMPTION."""
RELIEF_AT_S = 5.0
"""Default start of a relief manoeuvre after the drive ends (s)."""
PROTOCOLS = ("electrical", "voluntary")


def train_frequencies(top_hz: float = TOP_HZ) -> np.ndarray:
    """The train frequencies (Hz) of the protocol: 4, 6, 8, ... up to ``top_hz``.

    Examples
    --------
    >>> train_frequencies(12.0).tolist()
    [4.0, 6.0, 8.0, 10.0, 12.0]
    """
    return np.arange(START_HZ, top_hz + STEP_HZ / 2, STEP_HZ)


def stimulation_drive(params: cramps.CrampParams, frequency_hz: float, time, start_s: float,
                      duration_s: float = TRAIN_S) -> np.ndarray:
    """Synaptic drive of a stimulation train: one decaying volley per stimulus, on the background.

    Parameters
    ----------
    params : the subject.
    frequency_hz : train frequency (Hz).
    time : sample times (s), spaced :data:`DT`, shape (T,).
    start_s, duration_s : the train's first stimulus and length (s).

    Returns
    -------
    Drive (:data:`myoreflex.cramps.DRIVE_UNIT`), shape (T,).

    Examples
    --------
    >>> t = np.arange(0.0, 3.0, DT)
    >>> drive = stimulation_drive(cramps.HEALTHY, 20.0, t, 0.5)
    >>> round(float(drive[:400].mean()), 2), round(float(drive[1500:2500].mean()), 1)   # mean: 4 + 1.05 * 0.1 * 20
    (4.0, 6.1)
    """
    time = np.asarray(time, dtype=float)
    pulses = np.zeros(time.size)
    stimuli = start_s + np.arange(int(np.ceil(duration_s * frequency_hz - 1e-9))) / frequency_hz
    pulses[np.clip(np.round((stimuli - time[0]) / DT).astype(int), 0, time.size - 1)] = params.volley_drive
    decay = np.exp(-DT / params.volley_time_constant)
    return params.background_drive + lfilter([1.0], [1.0, -decay], pulses)


@dataclasses.dataclass(frozen=True)
class CrampTrace:
    """One simulated drive and what followed: time (s), drive, unit rates (pps), discharges, measures."""

    time_s: np.ndarray
    drive: np.ndarray
    rates_pps: np.ndarray
    units: DischargeTimes
    drive_end_s: float
    measures: CrampMeasures


def _run(params: cramps.CrampParams, drive: np.ndarray, drive_end_s: float, seed: int) -> CrampTrace:
    time = np.arange(drive.size) * DT
    rates = bistable.pool_rates(params.pool, drive, DT)
    trains = spike_trains(rates, DT, np.random.default_rng(seed), MotorUnitPoolParams(n_units=params.pool.n_units))
    units = DischargeTimes.from_mapping({f"MU{i + 1}": train for i, train in enumerate(trains)},
                                        source="simulated cramp pool")
    return CrampTrace(time, drive, rates, units, drive_end_s, measure(units, drive_end_s))


def _relieved(drive, time, params, relief, onset_s):
    return drive if relief is None else drive + cramps.relief_input(relief, time, onset_s, params)


def _check_relief(relief, relief_at_s):
    if relief is not None:
        cramps.RELIEFS.lookup(relief)
    if isinstance(relief_at_s, bool) or not isinstance(relief_at_s, (int, float)) or not 0.0 <= relief_at_s <= 100.0:
        raise ParameterError(describe("`relief_at_s`", "a time in [0, 100] s after the drive ends", repr(relief_at_s)))


@dataclasses.dataclass(frozen=True)
class ElectricalCramp:
    """The rising-train protocol: frequencies tried (Hz), whether each cramped, the threshold frequency
    (Hz, None without a cramp), the recording of the cramping train (None without) and the screening
    trace of every train (:data:`SCREEN_S` after it)."""

    frequencies_hz: tuple[float, ...]
    cramped: tuple[bool, ...]
    threshold_frequency_hz: float | None
    cramp: CrampTrace | None
    screens: tuple[CrampTrace, ...] = dataclasses.field(default=(), repr=False, compare=False)


def electrically_induced_cramp(params: cramps.CrampParams = cramps.HEALTHY, *, top_hz: float = TOP_HZ,
                               relief: str | None = None, relief_at_s: float = RELIEF_AT_S,
                               record_s: float = RECORD_S, seed: int = 0) -> ElectricalCramp:
    """Stimulation trains rising in 2 Hz steps from 4 Hz until the pool cramps.

    Parameters
    ----------
    params : the subject (:func:`myoreflex.cramps.apply_cramp_condition`).
    top_hz : the highest train frequency tried (Hz).
    relief : a relief manoeuvre (:data:`myoreflex.cramps.RELIEFS`) applied during the cramp, or None.
    relief_at_s : its start after the cramping train ends (s).
    record_s : time recorded after the cramping train (s).
    seed : seed of the discharge variability.

    Returns
    -------
    ElectricalCramp.

    Examples
    --------
    >>> out = electrically_induced_cramp(cramps.HEALTHY, record_s=10.0)
    >>> out.threshold_frequency_hz, out.cramp.measures.cramp
    (26.0, True)
    """
    _check_relief(relief, relief_at_s)
    frequencies, cramped, screens = [], [], []
    screen_time = np.arange(round((LEAD_S + TRAIN_S + SCREEN_S) / DT)) * DT
    end = LEAD_S + TRAIN_S
    for frequency in train_frequencies(top_hz):
        drive = stimulation_drive(params, float(frequency), screen_time, LEAD_S)
        trace = _run(params, drive, end, seed)
        frequencies.append(float(frequency))
        cramped.append(trace.measures.cramp)
        screens.append(trace)
        if trace.measures.cramp:
            break
    ctf = threshold_frequency(frequencies, cramped)
    recording = None
    if ctf is not None:
        time = np.arange(round((end + record_s) / DT)) * DT
        drive = _relieved(stimulation_drive(params, ctf, time, LEAD_S), time, params, relief, end + relief_at_s)
        recording = _run(params, drive, end, seed)
    return ElectricalCramp(tuple(frequencies), tuple(cramped), ctf, recording, tuple(screens))


def voluntary_cramp(params: cramps.CrampParams = cramps.HEALTHY, *, position: str = "shortened",
                    relief: str | None = None, relief_at_s: float = RELIEF_AT_S, record_s: float = RECORD_S,
                    seed: int = 0) -> CrampTrace:
    """A maximal voluntary contraction of :data:`EFFORT_S` in the shortened (or neutral) position.

    Parameters
    ----------
    params : the subject.
    position : ``"shortened"`` (the cramp-inducing position of Khan & Burne 2007) or ``"neutral"`` (adds
        ``params.lengthened_inhibition``).
    relief, relief_at_s, record_s, seed : as :func:`electrically_induced_cramp`.

    Returns
    -------
    CrampTrace of the contraction and what followed it.

    Examples
    --------
    >>> voluntary_cramp(record_s=5.0).measures.cramp, voluntary_cramp(position="neutral", record_s=5.0).measures.cramp
    (True, False)
    """
    if position not in ("shortened", "neutral"):
        raise ParameterError(describe("`position`", "'shortened' or 'neutral'", repr(position)))
    _check_relief(relief, relief_at_s)
    if position == "neutral":
        unit = dataclasses.replace(params.pool.unit,
                                   inhibition=params.pool.unit.inhibition + params.lengthened_inhibition)
        params = dataclasses.replace(params, pool=dataclasses.replace(params.pool, unit=unit))
    time = np.arange(round((LEAD_S + EFFORT_S + record_s) / DT)) * DT
    end = LEAD_S + EFFORT_S
    maximal = float(bistable.unit_thresholds(params.pool)[-1]) + params.pool.unit.inhibition + 2.0
    drive = np.where((time >= LEAD_S) & (time < end), maximal, params.background_drive)
    return _run(params, _relieved(drive, time, params, relief, end + relief_at_s), end, seed)


@dataclasses.dataclass(frozen=True)
class CrampResult(Record):
    """A simulated cramp: the contract of ``myoreflex simulate cramp --json`` and a few more keys."""

    condition: str
    severity: float
    cramp_threshold_frequency_hz: float | None
    cramp_duration_s: float | None
    mean_firing_rate_pps: float | None
    protocol: str = "electrical"
    relief: str | None = None
    cramp: bool = False
    n_units: int = 0
    traces: Any = dataclasses.field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """``{"condition", "severity", "cramp_threshold_frequency_hz", "cramp_duration_s",
        "mean_firing_rate_pps", "protocol", "relief", "cramp", "n_units"}`` as JSON values."""
        return {field.name: as_json(getattr(self, field.name)) for field in dataclasses.fields(self)
                if field.name != "traces"}


def simulate_cramp(condition: str = "healthy", severity: float = 1.0, *, relief: str | None = None,
                   relief_at_s: float = RELIEF_AT_S, protocol: str = "electrical", seed: int = 0) -> CrampResult:
    """Simulate a cramp protocol for a cramp condition at a severity, optionally relieved.

    Parameters
    ----------
    condition : a name of :data:`myoreflex.cramps.CONDITIONS`.
    severity : in [0, 1].
    relief : a name of :data:`myoreflex.cramps.RELIEFS` applied during the cramp, or None.
    relief_at_s : its start after the drive ends (s).
    protocol : ``"electrical"`` (rising trains) or ``"voluntary"`` (maximal contraction, shortened).
    seed : seed of the discharge variability.

    Returns
    -------
    CrampResult; ``traces`` holds the protocol's output (:class:`ElectricalCramp` or :class:`CrampTrace`).

    Examples
    --------
    >>> out = simulate_cramp("cramp_prone").as_dict()
    >>> out["cramp_threshold_frequency_hz"], 6.0 <= out["mean_firing_rate_pps"] <= 25.0
    (14.0, True)
    """
    if protocol not in PROTOCOLS:
        raise ParameterError(describe("`protocol`", f"one of {', '.join(PROTOCOLS)}", repr(protocol)))
    params = cramps.apply_cramp_condition(cramps.HEALTHY, condition, severity)
    if protocol == "electrical":
        out = electrically_induced_cramp(params, relief=relief, relief_at_s=relief_at_s, seed=seed)
        ctf, trace = out.threshold_frequency_hz, out.cramp
    else:
        trace = out = voluntary_cramp(params, relief=relief, relief_at_s=relief_at_s, seed=seed)
        ctf = None
    found = trace.measures if trace is not None else None
    cramped = bool(found is not None and found.cramp)
    return CrampResult(str(condition), float(severity), ctf, found.duration_s if cramped else None,
                       found.mean_firing_rate_pps if cramped else None, protocol, relief, cramped,
                       found.n_units if cramped else 0, out)
