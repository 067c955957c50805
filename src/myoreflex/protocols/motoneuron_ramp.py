"""Motor neurons on a slow triangular ramp of synaptic drive: recruitment, derecruitment and delta-F.

A pool of reduced bistable motor neurons (:mod:`myoreflex.physiology.bistable`, calibrated to the
Booth, Rinzel & Kiehn 1997 cell) receives one shared synaptic drive that rises linearly from 0 to a
peak and falls back to 0 (10 s up, 10 s down by default, the slow triangular contractions of the
paired-motor-unit literature). Its rates become discharge times with Fuglevand's interval
variability (:func:`myoreflex.physiology.motor_units.spike_trains`, CV 0.2, seeded) and go through
the paired-motor-unit delta-F of :func:`myoreflex.measures.motor_units.measure` (Gorassini et al.
2002), exactly as a decomposed recording would.

:func:`motoneuron_ramp` reports, for a condition of :data:`myoreflex.physiology.bistable.CONDITIONS`:

- ``recruitment`` and ``derecruitment``: the synaptic drive at the first and last discharge of the
  pool's lowest-threshold unit, in :data:`~myoreflex.physiology.bistable.DRIVE_UNIT` (uA/cm^2 of
  Booth-equivalent somatic current); ``derecruitment`` is None when that unit still fires when the
  drive is back at 0 (a self-sustained discharge);
- ``delta_f_pps``: the mean paired-motor-unit delta-F over test units (pps), None without an
  accepted pair.

:func:`long_lasting_reflex` drives the same pool with a brief (0.1 s) synaptic pulse, the
stimulus that evokes a long-lasting reflex (spasm) in chronic spinal cord injury (Bennett et al.
2001; ANCHORS 7.2), and reports how long the pool fires after the pulse ends.

This protocol is not registered in :data:`myoreflex.protocols.PROTOCOLS`: it runs no reflex loop
and returns no Trial.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.measures import Record
from myoreflex.measures.motor_units import DischargeTimes, measure
from myoreflex.physiology import bistable
from myoreflex.physiology.motor_units import MotorUnitPoolParams, spike_trains

RAMP_DT = 1e-3
"""Sample interval of the drive and rates (s): resolves the 40-ms PIC activation and the 30-150 ms
intervals of discharges at 7-35 pps."""


@dataclasses.dataclass(frozen=True)
class MotoneuronRamp(Record):
    """Recruitment and derecruitment drive of the first unit and the pool's delta-F on a ramp.

    ``recruitment`` and ``derecruitment`` are in :data:`myoreflex.physiology.bistable.DRIVE_UNIT`
    (uA/cm^2 of Booth-equivalent somatic current); ``delta_f_pps`` in pps.
    """

    condition: str
    recruitment: float | None
    derecruitment: float | None
    delta_f_pps: float | None
    traces: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """``{"condition", "recruitment", "derecruitment", "delta_f_pps"}`` as JSON values."""
        out = super().as_dict()
        out.pop("traces", None)
        return out


def condition_params(condition: str) -> bistable.BistableParams:
    """The reduced neuron of a condition (``"healthy"`` or ``"sci"``), or an error naming the choices."""
    key = condition.lower() if isinstance(condition, str) else condition
    if key not in bistable.CONDITIONS:
        raise ParameterError(describe("`condition`", f"one of {', '.join(bistable.CONDITIONS)}", repr(condition)))
    return bistable.CONDITIONS[key]


def _pool(condition: str, n_units: int, monoamine_level: float | None) -> bistable.BistablePoolParams:
    unit = condition_params(condition)
    if monoamine_level is not None:
        unit = dataclasses.replace(unit, monoamine_level=float(monoamine_level))
    return bistable.BistablePoolParams(unit=unit, n_units=n_units)


def motoneuron_ramp(
    condition: str = "healthy",
    *,
    peak_drive: float = 20.0,
    ramp_duration: float = 20.0,
    n_units: int = 20,
    seed: int = 0,
    monoamine_level: float | None = None,
) -> MotoneuronRamp:
    """Simulate a slow triangular ramp of synaptic drive into a bistable motor neuron pool.

    Parameters
    ----------
    condition : ``"healthy"`` or ``"sci"`` (:data:`myoreflex.physiology.bistable.CONDITIONS`).
    peak_drive : top of the ramp (uA/cm^2 of Booth-equivalent current).
    ramp_duration : up and down together (s).
    n_units : units of the pool (all go to the delta-F measure).
    seed : seed of the discharge variability.
    monoamine_level : overrides the condition's monoamine level (1) when given.

    Returns
    -------
    MotoneuronRamp, whose ``as_dict()`` is ``{"condition", "recruitment", "derecruitment",
    "delta_f_pps"}``; ``traces`` holds the time, drive, rates and the delta-F record.

    Examples
    --------
    >>> out = motoneuron_ramp("healthy")
    >>> sorted(out.as_dict())
    ['condition', 'delta_f_pps', 'derecruitment', 'recruitment']
    >>> 3.0 <= out.delta_f_pps <= 5.0
    True
    """
    if not (isinstance(peak_drive, (int, float)) and 1.0 <= peak_drive <= 200.0):
        raise ParameterError(describe("`peak_drive`", "a drive in [1, 200] uA/cm^2", peak_drive))
    if not (isinstance(ramp_duration, (int, float)) and 2.0 <= ramp_duration <= 200.0):
        raise ParameterError(describe("`ramp_duration`", "a duration in [2, 200] s", ramp_duration))
    pool = _pool(condition, n_units, monoamine_level)
    t = np.arange(round(ramp_duration / RAMP_DT) + 1) * RAMP_DT
    drive = peak_drive * (1.0 - np.abs(2.0 * t / ramp_duration - 1.0))
    rates = bistable.pool_rates(pool, drive, RAMP_DT)
    trains = spike_trains(rates, RAMP_DT, np.random.default_rng(seed), MotorUnitPoolParams(n_units=n_units))
    first = trains[0]
    recruitment = derecruitment = None
    if first.size:
        recruitment = float(np.interp(first[0], t, drive))
        still_on = rates[-1, 0] > 0
        derecruitment = None if still_on else float(np.interp(first[-1], t, drive))
    units = DischargeTimes.from_mapping({f"MU{i + 1}": train for i, train in enumerate(trains)},
                                        source=f"simulated {condition} pool", reference_time=t,
                                        reference=drive, reference_unit=bistable.DRIVE_UNIT)
    delta = measure(units) if any(train.size for train in trains) else None
    mean = delta.delta_f_pps.mean if delta is not None else None
    return MotoneuronRamp(str(condition).lower(), recruitment, derecruitment, mean,
                          {"time_s": t, "drive": drive, "rates_pps": rates, "measures": delta})


@dataclasses.dataclass(frozen=True)
class LongLastingReflex(Record):
    """Firing of the pool after a brief synaptic pulse: duration (s) after the pulse ends, peak rate."""

    condition: str
    duration_s: float
    peak_rate_pps: float
    traces: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        out.pop("traces", None)
        return out


def long_lasting_reflex(
    condition: str = "sci",
    *,
    pulse_drive: float = 12.0,
    pulse_duration: float = 0.1,
    record: float = 10.0,
    n_units: int = 20,
    monoamine_level: float | None = None,
) -> LongLastingReflex:
    """Drive the pool with a brief synaptic pulse and measure how long it keeps firing afterwards.

    Parameters
    ----------
    condition : ``"healthy"`` or ``"sci"``.
    pulse_drive : drive during the pulse (uA/cm^2 of Booth-equivalent current), from 0.
    pulse_duration : pulse length (s), 0.1 s by default.
    record : time simulated after the pulse starts (s).
    n_units : units of the pool.
    monoamine_level : overrides the condition's monoamine level (1) when given.

    Returns
    -------
    LongLastingReflex: ``duration_s`` from the end of the pulse to the pool's last sample with a
    positive rate (0 when it falls silent with the pulse; ``record - pulse_duration`` when it still
    fires at the end), and the pool's peak single-unit rate (pps).

    Examples
    --------
    >>> long_lasting_reflex("healthy").duration_s
    0.0
    >>> long_lasting_reflex("sci").duration_s >= 1.0
    True
    """
    if not (isinstance(pulse_duration, (int, float)) and 0.001 <= pulse_duration < record):
        raise ParameterError(describe("`pulse_duration`", f"a duration in [0.001, {record}) s", pulse_duration))
    pool = _pool(condition, n_units, monoamine_level)
    start = 0.1
    t = np.arange(round((start + record) / RAMP_DT)) * RAMP_DT
    pulse = (t >= start) & (t < start + pulse_duration)
    drive = np.where(pulse, float(pulse_drive), 0.0)
    rates = bistable.pool_rates(pool, drive, RAMP_DT)
    active = np.flatnonzero(rates.max(axis=1) > 0)
    end = start + pulse_duration
    duration = max(0.0, float(t[active[-1]] + RAMP_DT - end)) if active.size else 0.0
    duration = round(duration, 6)
    return LongLastingReflex(str(condition).lower(), duration, float(rates.max()),
                             {"time_s": t, "drive": drive, "rates_pps": rates})
