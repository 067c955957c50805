"""A reduced, fast, bistable motor neuron and a pool of them, calibrated to Booth, Rinzel & Kiehn 1997.

One neuron is a rate unit whose persistent inward current (PIC) is switched by the neuron's own
state. With ``u`` the synaptic drive (in drive units, ``DRIVE_UNIT``: the somatic current density
of the BRK cell of :mod:`myoreflex.physiology.booth` that has the same effect), ``I`` the synaptic
inhibition, ``m`` the monoamine level, ``A`` the PIC amplitude, ``q`` its activation and ``h`` its
slow inactivation::

    v      = u - I + A m h q                                   own depolarising input (drive units)
    tau_q q' = sigma((v - theta_pic) / s) (1 - q) - sigma((theta_off - v) / s) q
    theta_off = theta_pic + A m h - delta                      (deactivation level of the own state)
    tau_h h' = (1 - phi q) - h                                 (slow partial inactivation)
    rate   = min(r0 + g (v - theta), r_max)  if v >= theta, else 0     (pps)

The PIC turns on when the neuron's own depolarisation ``v`` reaches ``theta_pic`` and off when
``v`` falls below ``theta_off``: since ``v`` then includes the PIC itself (``A m h``), the PIC
switches off when the drive falls ``delta`` below the drive that switched it on. ``delta``
(``pic_deactivation``) is the hysteresis width of the PIC in drive units, ``A m`` its amplitude;
together with the firing threshold ``theta`` they set recruitment and derecruitment on a slow ramp
(``s`` -> 0, ``h`` = 1)::

    recruitment   = I + theta_pic            if theta_pic <= theta <= theta_pic + A m
                    I + theta                if theta_pic >= theta
    derecruitment = I + max(theta - A m h, theta_pic - delta)

A neuron whose PIC is on keeps firing without drive when ``A m h - I >= theta``: a self-sustained
discharge (plateau) after a brief input, the long-lasting reflex of chronic spinal cord injury;
the slow inactivation ends it (:func:`rate_response`). This differs from the pool of
:mod:`myoreflex.physiology.motoneuron`, whose PIC follows the synaptic input only.

Calibration to Booth (the module's reference, :func:`booth_calibration`). On the triangular
current ramp -10 -> 25 -> -10 uA/cm^2 over 11 s (:data:`CALIBRATION_RAMP`, extended below zero so
that the 5-HT cell derecruits at all; on a ramp that returns to 0 it fires on at ~58 pps), the BRK
cell at dt 25 us recruits and derecruits at 5.16 and 5.29 uA/cm^2 (canonical) and at 1.26 and
-6.84 uA/cm^2 (5-HT). The reduced neuron reproduces the canonical cell with ``m = 0`` (``theta``
= 5.2: no PIC, no hysteresis) and the 5-HT cell with ``m = 1``: its PIC turns on at
``theta_pic`` = 1.26, which recruits the neuron (``theta_pic + A >= theta``), and the neuron
derecruits at ``theta - A`` = ``theta_pic - delta`` = -6.84, hence ``A`` = 12.0 and ``delta`` =
8.1. The rate at recruitment ``r0`` and gain ``g`` are the canonical cell's (11.5 pps, 2.2 pps per
uA/cm^2 between recruitment and 25 uA/cm^2). ``tau_q`` is the L-like Ca activation time constant
of 40 ms; the BRK cell has no inactivation, so the calibrated neuron has ``phi`` = 0. Between
``m`` 0 and 1 the two models differ (the BRK cell's recruitment falls gradually with 5-HT, the
reduced neuron's jumps to ``theta_pic`` once ``A m >= theta - theta_pic``); only the end points
are calibrated.

Conditions. :data:`HEALTHY` and :data:`SCI` are parameter sets of the same neuron: after chronic
spinal cord injury the motor neurons' PICs are larger (5-HT2 receptors become constitutively
active: Murray et al. 2010 Nat Med 16:694; Bennett, Li, Harvey & Gorassini 2001 J Neurophysiol
86:1972, self-sustained firing and long-lasting reflexes in chronic spinal rats) and synaptic
inhibition is weaker (Mahrous et al. 2024 J Neurosci 44:e1695232023; ANCHORS 7.2). The sizes are
ASSUMPTIONS chosen so that the paired-motor-unit delta-F of the healthy pool lies in the 3-5 pps
of healthy lower-limb muscles (ANCHORS 7.2, unverified secondary figure) and the SCI pool's lowest
units self-sustain after a brief input; the slow inactivation (``tau_h`` 2.5 s, the Ca PIC's
slow inactivation of the Powers & Heckman 2017 model, ModelDB 239582, ANCHORS 7.1; fraction
``phi`` an ASSUMPTION) ends the self-sustained discharge after seconds.

Pool. :class:`BistablePoolParams` spreads the firing threshold of ``n_units`` such neurons over a
range in Fuglevand's exponential order (many low-threshold units; Fuglevand et al. 1993), keeping
each unit's PIC onset at the same offset from its firing threshold; :func:`pool_rates` gives the
per-unit rates that :func:`myoreflex.physiology.motor_units.spike_trains` turns into discharges.

References: Booth V, Rinzel J, Kiehn O (1997) J Neurophysiol 78:3371. Bennett DJ, Li Y, Harvey
PJ, Gorassini M (2001) J Neurophysiol 86:1972. Murray KC et al. (2010) Nat Med 16:694. Powers RK,
Heckman CJ (2017) J Neurophysiol 117:1171. Fuglevand AJ, Winter DA, Patla AE (1993) J
Neurophysiol 70:2470.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import runtime
from myoreflex.errors import ParameterError, describe
from myoreflex.params import check_choices, choice, param, validate

DRIVE_UNIT = "uA/cm^2"
"""Unit of drive, thresholds and inhibition: the BRK cell's somatic current density with the same
effect (the calibration's unit)."""
CALIBRATED = "calibrated to Booth, Rinzel & Kiehn 1997 (physiology.booth) on CALIBRATION_RAMP"
ASSUMED = "ASSUMPTION"
CALIBRATION_RAMP = (-10.0, 25.0, 11.0)
"""Triangular somatic current of the calibration: from -10 to 25 and back to -10 uA/cm^2 in 11 s."""
BOOTH_REFERENCE = {"canonical": (5.16, 5.29), "serotonin": (1.26, -6.84)}
"""Recruitment and derecruitment (uA/cm^2) of the BRK cell on :data:`CALIBRATION_RAMP` at dt 25 us,
without and with 5-HT (regression values of ``tests/physiology/test_booth.py``)."""


class BistableParams(eqx.Module):
    """One reduced bistable motor neuron (drive, thresholds and inhibition in :data:`DRIVE_UNIT`)."""

    threshold: float = param(5.2, unit=DRIVE_UNIT, bounds=(0.0, 100.0), source=CALIBRATED + ": canonical recruitment")
    rate_at_recruitment: float = param(
        11.5, unit="pps", bounds=(1.0, 40.0), source=CALIBRATED + ": first interval of the canonical cell"
    )
    rate_gain: float = param(
        2.2, unit="pps per uA/cm^2", bounds=(0.1, 20.0), source=CALIBRATED + ": canonical F-I slope to 25 uA/cm^2"
    )
    max_rate: float = param(
        35.0, unit="pps", bounds=(5.0, 200.0), source="Fuglevand et al. 1993: peak rate of the first unit (PFR1)"
    )
    pic_amplitude: float = param(
        12.0, unit=DRIVE_UNIT, bounds=(0.0, 100.0), source=CALIBRATED + ": 5-HT derecruitment = threshold - A"
    )
    pic_threshold: float = param(
        1.26, unit=DRIVE_UNIT, bounds=(-50.0, 100.0), source=CALIBRATED + ": 5-HT recruitment (PIC onset)"
    )
    pic_deactivation: float = param(
        8.1, unit=DRIVE_UNIT, bounds=(0.0, 100.0),
        source=CALIBRATED + ": hysteresis width, 5-HT recruitment minus derecruitment",
    )
    pic_sharpness: float = param(
        0.02, unit=DRIVE_UNIT, bounds=(0.001, 5.0), source="numerical: smoothing s of the PIC switch (sharp)"
    )
    pic_time_constant: float = param(
        0.040, unit="s", bounds=(0.001, 1.0), source="Booth et al. 1997: L-like Ca activation, 40 ms (ANCHORS 7.1)"
    )
    pic_inactivation: float = param(
        0.0, unit="1", bounds=(0.0, 1.0), source=CALIBRATED + ": the BRK cell's plateau does not inactivate"
    )
    pic_inactivation_time: float = param(
        2.5, unit="s", bounds=(0.1, 100.0),
        source="Powers & Heckman 2017 (ModelDB 239582): Ca PIC inactivation 2500 ms (ANCHORS 7.1)",
    )
    monoamine_level: float = param(
        1.0, unit="1", bounds=(0.0, 2.0), source=CALIBRATED + ": 1 = the BRK cell's 5-HT state, 0 = canonical"
    )
    inhibition: float = param(0.0, unit=DRIVE_UNIT, bounds=(0.0, 50.0), source=CALIBRATED + ": none in the slice")


HEALTHY = BistableParams(monoamine_level=0.18, inhibition=1.0, pic_threshold=5.3, pic_deactivation=4.0,
                         pic_inactivation=0.3)
"""Healthy adult (ASSUMPTION for each size): a fraction of the 5-HT bath's PIC (delta-F 3-5 pps,
ANCHORS 7.2), the PIC switched on just above recruitment (human PICs turn on at recruitment, which
makes the recruitment-derecruitment hysteresis that delta-F measures), tonic inhibition."""
SCI = BistableParams(monoamine_level=0.55, inhibition=0.3, pic_threshold=4.0, pic_deactivation=12.0,
                     pic_inactivation=0.3)
"""Chronic spinal cord injury: larger PIC (constitutive 5-HT2 activity, Murray et al. 2010; large PICs
and self-sustained firing, Bennett et al. 2001) that turns on below recruitment (the 5-HT cell's PIC
recruits it, physiology.booth), weaker inhibition (Mahrous et al. 2024); sizes ASSUMPTIONS (ANCHORS
10c: direction sourced, human magnitudes unverified)."""
CONDITIONS = {"healthy": HEALTHY, "sci": SCI}
"""The reduced neuron's condition presets by name."""


def calibrated() -> BistableParams:
    """The neuron calibrated to the BRK cell (5-HT state; ``monoamine_level=0`` is the canonical cell).

    Examples
    --------
    >>> p = calibrated()
    >>> p.threshold - p.pic_amplitude, p.pic_threshold - p.pic_deactivation
    (-6.8, -6.84)
    """
    return BistableParams()


def _sigmoid(x):
    return jax.nn.sigmoid(x)


def _step(params: BistableParams, state, drive, dt):
    """One exact exponential step of (q, h) at the start-of-step own state; returns state and rate."""
    q, h = state
    amp = params.pic_amplitude * params.monoamine_level * h
    v = drive - params.inhibition + amp * q
    s = params.pic_sharpness
    on = _sigmoid((v - params.pic_threshold) / s)
    off = _sigmoid((params.pic_threshold + amp - params.pic_deactivation - v) / s)
    total = (on + off) / params.pic_time_constant
    q_target = on / jnp.maximum(on + off, 1e-300)
    q = q_target + (q - q_target) * jnp.exp(-dt * total)
    h_target = 1.0 - params.pic_inactivation * q
    h = h_target + (h - h_target) * jnp.exp(-dt / params.pic_inactivation_time)
    v = drive - params.inhibition + params.pic_amplitude * params.monoamine_level * h * q
    above = v - params.threshold
    rate = jnp.where(above >= 0.0, jnp.minimum(params.rate_at_recruitment + params.rate_gain * above,
                                                 params.max_rate), 0.0)
    return (q, h), (rate, q)


@runtime.jit
def _scan(params, drive, dt):
    shape = drive.shape[1:]
    start = (jnp.zeros(shape), jnp.ones(shape))
    _, (rate, q) = jax.lax.scan(lambda state, u: _step(params, state, u, dt), start, drive)
    return rate, q


def _check(drive, dt):
    drive = np.asarray(drive, dtype=float)
    if drive.ndim != 1 or drive.size < 2 or not np.all(np.isfinite(drive)):
        raise ParameterError(describe("`drive_t`", f"a finite 1-D drive ({DRIVE_UNIT}) with >= 2 samples",
                                      f"shape {drive.shape}"))
    if not (isinstance(dt, (int, float)) and 1e-5 <= dt <= 0.01):
        raise ParameterError(describe("`dt`", "a step in [1e-5, 0.01] s", dt))
    return drive


def rate_response(params: BistableParams, drive_t, dt: float, *, with_pic: bool = False):
    """Firing rate of one reduced neuron under a synaptic drive, from rest.

    Parameters
    ----------
    params : the neuron.
    drive_t : synaptic drive (:data:`DRIVE_UNIT`) per sample, shape (T,).
    dt : sample interval (s); 1 ms resolves the 40-ms PIC activation.
    with_pic : also return the PIC activation ``q`` (1).

    Returns
    -------
    Rate (pps), shape (T,) (and ``q``, shape (T,)).

    Examples
    --------
    >>> p = calibrated()
    >>> t = np.arange(0.0, 3.0, 1e-3)
    >>> pulse = np.where((t > 0.5) & (t < 1.0), 8.0, 0.0)   # 0.5 s of drive, then none
    >>> rate = rate_response(p, pulse, 1e-3)
    >>> bool(rate[400] == 0), bool(rate[2900] > 0)           # silent before, self-sustained after
    (True, True)
    >>> bool(rate_response(dataclasses.replace(p, monoamine_level=0.0), pulse, 1e-3)[2900] == 0)
    True
    """
    validate(params)
    drive = _check(drive_t, dt)
    rate, q = _scan(params, drive, float(dt))
    rate, q = np.asarray(rate), np.asarray(q)
    return (rate, q) if with_pic else rate


def ramp_thresholds(params: BistableParams, drive_t, dt: float) -> tuple[float, float]:
    """Drive at the first and the last sample with a positive rate (recruitment, derecruitment), NaN
    for a neuron that never fires.

    Examples
    --------
    >>> from myoreflex.physiology.booth import triangular_ramp
    >>> low, high, duration = CALIBRATION_RAMP
    >>> ramp = low + triangular_ramp(high - low, duration, 1e-3)
    >>> [round(x, 2) for x in ramp_thresholds(calibrated(), ramp, 1e-3)]  # Booth's 5-HT cell: 1.26, -6.84
    [1.32, -6.76]
    """
    drive = _check(drive_t, dt)
    on = np.flatnonzero(rate_response(params, drive, dt) > 0)
    if on.size == 0:
        return float("nan"), float("nan")
    return float(drive[on[0]]), float(drive[on[-1]])


class BistablePoolParams(eqx.Module):
    """A pool of reduced bistable neurons whose firing thresholds are spread by size."""

    unit: BistableParams = BistableParams()
    n_units: int = choice(20, doc="number of motor neurons (static: sets array shapes)")
    threshold_range: float = param(
        12.0, unit=DRIVE_UNIT, bounds=(0.0, 200.0),
        source="ASSUMPTION: the last unit's threshold this far above the first's (recruitment over the ramp)",
    )
    recruitment_range: float = param(
        30.0, unit="1", bounds=(1.5, 200.0),
        source="Fuglevand et al. 1993: RR, sets the exponential spacing of thresholds (ANCHORS 7.3)",
    )

    def __check_init__(self):
        check_choices(self)
        if not isinstance(self.n_units, int) or isinstance(self.n_units, bool) or not 1 <= self.n_units <= 1000:
            raise ParameterError(describe("parameter `n_units`", "a whole number of units in [1, 1000]",
                                          repr(self.n_units)))


def unit_thresholds(pool: BistablePoolParams) -> np.ndarray:
    """Firing threshold of every unit (:data:`DRIVE_UNIT`): the neuron's threshold plus an exponentially
    spaced offset rising to ``threshold_range`` (Fuglevand's order: many low-threshold units).

    Examples
    --------
    >>> th = unit_thresholds(BistablePoolParams(n_units=5))
    >>> th.shape, float(th[0]), round(float(th[-1]), 6)
    ((5,), 5.2, 17.2)
    """
    index = np.arange(pool.n_units, dtype=float)
    rte = np.exp(np.log(pool.recruitment_range) * index / max(pool.n_units - 1, 1))
    spread = (rte - 1.0) / max(pool.recruitment_range - 1.0, 1e-12)
    return pool.unit.threshold + pool.threshold_range * spread


def _units(pool: BistablePoolParams) -> BistableParams:
    """The pool's neurons as one parameter tree with a leading unit axis on the two thresholds."""
    offset = unit_thresholds(pool) - pool.unit.threshold
    return dataclasses.replace(pool.unit, threshold=pool.unit.threshold + offset,
                               pic_threshold=pool.unit.pic_threshold + offset)


def pool_rates(pool_params: BistablePoolParams, drive_t, dt: float) -> np.ndarray:
    """Rates of every unit of the pool under one shared synaptic drive.

    Parameters
    ----------
    pool_params : the pool.
    drive_t : synaptic drive (:data:`DRIVE_UNIT`) per sample, shape (T,).
    dt : sample interval (s).

    Returns
    -------
    Rates (pps), shape (T, n_units), for :func:`myoreflex.physiology.motor_units.spike_trains`.

    Examples
    --------
    >>> pool = BistablePoolParams(unit=HEALTHY, n_units=4)
    >>> rates = pool_rates(pool, np.full(500, 8.0), 1e-3)
    >>> rates.shape, [bool(r > 0) for r in rates[-1]]
    ((500, 4), [True, True, False, False])
    """
    validate(pool_params)
    drive = _check(drive_t, dt)
    units = _units(pool_params)
    batched = np.broadcast_to(drive[:, None], (drive.size, pool_params.n_units))
    rate, _ = _scan(units, np.ascontiguousarray(batched), float(dt))
    return np.asarray(rate)
