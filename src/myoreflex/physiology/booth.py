"""Two-compartment motor neuron of Booth, Rinzel & Kiehn 1997: spikes, plateaus and 5-HT.

The reference for the motor neuron's persistent inward current (PIC): a soma (fraction ``p`` of the
membrane area) that spikes, coupled to a lumped dendrite that holds the plateau. Currents per unit
area in the paper's units (mV, ms, mS/cm^2, uA/cm^2, uF/cm^2, uM; ANCHORS 7.1)::

    soma      C Vs' = I_app - I_Na - I_Kdr - I_CaN,s - I_K(Ca),s - I_leak,s - (g_c / p)(Vs - Vd)
    dendrite  C Vd' =       - I_CaN,d - I_CaL - I_K(Ca),d - I_leak,d - (g_c / (1 - p))(Vd - Vs)

    I_Na    = g_Na m_inf(Vs)^3 h (Vs - E_Na)        m_inf: -35 mV, slope 7.8; h_inf: -55 mV, slope 7
              tau_h = 30 / (exp((V + 50) / 15) + exp(-(V + 50) / 16)) ms
    I_Kdr   = g_Kdr n^4 (Vs - E_K)                  n_inf: -28 mV, slope 15
              tau_n = 7 / (exp((V + 40) / 40) + exp(-(V + 40) / 50)) ms
    I_CaN   = g_CaN m_N^2 h_N (V - E_Ca)            m_N,inf: -30 mV, slope 5, 4 ms; h_N,inf: -45 mV, slope 5, 40 ms
    I_CaL   = g_CaL l (Vd - E_Ca)                   l_inf: -40 mV, slope 7, tau 40 ms (non-inactivating)
    I_K(Ca) = g_K(Ca) [Ca] / ([Ca] + K_d) (V - E_K)
    [Ca]'   = f (-alpha I_Ca - k_Ca [Ca])           (each compartment its own pool)

with ``x_inf(V) = 1 / (1 + exp(-(V - V_half) / slope))`` for an activation, ``exp(+...)`` for an
inactivation. Serotonin (5-HT) is modelled by the 5-HT parameter set of ANCHORS 7.1, which reduces
the Ca-activated K conductances of both compartments and keeps the L-like Ca conductance at 0.33
mS/cm^2 (:func:`with_serotonin`; whether the paper also raised g_CaL under 5-HT was not checked
against its text, so ``g_cal`` is a separate field to vary): the dendrite's L-type
plateau is then no longer shunted by I_K(Ca), the neuron keeps firing on a falling current below
the current that recruited it (bistability), and the F-I curve of a triangular current ramp is
hysteretic (:func:`booth_ramp`, ANCHORS 7.1).

Values. Conductances, kinetics, reversal potentials and calcium handling are those of the
simEngine BRK demo (Simatra, ``ReleaseExamples/BRK/brk_iv.m``) that reimplements the paper, the
5-HT K(Ca) values (3.136 and 0.69 mS/cm^2, 0.627 of the canonical 5 and 1.1) and the L-type
(-40 mV, slope 7 mV, 40 ms) as collected in ANCHORS 7.1 [V-code]; checked against the paper's
text only through these reimplementations.

Integration. Every gate and both calcium pools are linear in themselves at a fixed voltage and are
advanced by their exact exponential update over the step (exponential Euler). The two voltages
are advanced the same way, each with its total membrane conductance (including the coupling
conductance to the other compartment's voltage at the start of the step) and the matching
reversal potential: with g_Na + g_Kdr up to ~200 mS/cm^2 the soma's membrane time constant falls
to ~5 us during a spike, which forward Euler would need steps below 10 us to survive, while the
exponential update is stable at any step. Its error is first order in dt; the step that
resolves spikes well enough for recruitment and derecruitment currents is 0.025 ms (the tests
compare 0.05 ms with 0.0125 ms). This is a deviation from the paper (which integrated the ODEs
with an adaptive solver); the equations are the same.

References: Booth V, Rinzel J, Kiehn O (1997) Compartmental model of vertebrate motoneurons for
Ca2+-dependent spiking and plateau potentials under pharmacological treatment. J Neurophysiol
78:3371-3385, doi:10.1152/jn.1997.78.6.3371.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from myoreflex import runtime
from myoreflex.errors import ParameterError, describe
from myoreflex.params import param, validate

BOOTH = "Booth, Rinzel & Kiehn 1997 J Neurophysiol 78:3371 (ANCHORS 7.1; values via the simEngine BRK demo)"
SEROTONIN_KCA_FACTOR = 3.136 / 5.0
"""Fraction of the Ca-activated K conductances left under 5-HT: 3.136 of 5 (soma) and 0.69 of 1.1
(dendrite) mS/cm^2, both 0.627 (ANCHORS 7.1, [V-code])."""

# Gating constants (half-activation V_half and slope in mV, time constants in ms), ANCHORS 7.1.
NA_M = (-35.0, 7.8)
NA_H = (-55.0, -7.0)
KDR_N = (-28.0, 15.0)
CAN_M = (-30.0, 5.0, 4.0)
CAN_H = (-45.0, -5.0, 40.0)
CAL_L = (-40.0, 7.0)
SPIKE_THRESHOLD_MV = 0.0
"""Upward crossing of the somatic voltage that counts as a spike (mV); Booth's spikes overshoot to
about +40 mV and the interspike trough stays below -40 mV, so any level in between gives the
same spikes."""


class BoothParams(eqx.Module):
    """Conductances, coupling, reversal potentials and calcium handling of the BRK motor neuron.

    The defaults are the paper's canonical (no 5-HT) cell; :func:`with_serotonin` gives the 5-HT
    cell. Units are the paper's (per unit membrane area).
    """

    soma_fraction: float = param(0.1, unit="1", bounds=(0.01, 0.99), source=BOOTH + ": p, soma's share of the area")
    coupling: float = param(0.1, unit="mS/cm^2", bounds=(0.001, 10.0), source=BOOTH + ": g_c")
    capacitance: float = param(1.0, unit="uF/cm^2", bounds=(0.1, 10.0), source=BOOTH + ": C")
    g_na: float = param(120.0, unit="mS/cm^2", bounds=(0.0, 500.0), source=BOOTH + ": soma Na")
    g_kdr: float = param(100.0, unit="mS/cm^2", bounds=(0.0, 500.0), source=BOOTH + ": soma K delayed rectifier")
    g_can_soma: float = param(14.0, unit="mS/cm^2", bounds=(0.0, 100.0), source=BOOTH + ": soma N-like Ca")
    g_kca_soma: float = param(5.0, unit="mS/cm^2", bounds=(0.0, 50.0), source=BOOTH + ": soma K(Ca), canonical")
    g_can_dend: float = param(0.03, unit="mS/cm^2", bounds=(0.0, 10.0), source=BOOTH + ": dendrite N-like Ca")
    g_cal: float = param(
        0.33, unit="mS/cm^2", bounds=(0.0, 5.0), source=BOOTH + ": dendrite L-like Ca, the plateau (non-inactivating)"
    )
    g_kca_dend: float = param(
        1.1, unit="mS/cm^2", bounds=(0.0, 20.0), source=BOOTH + ": dendrite K(Ca), canonical"
    )
    g_leak: float = param(0.51, unit="mS/cm^2", bounds=(0.01, 10.0), source=BOOTH + ": leak, both compartments")
    e_na: float = param(55.0, unit="mV", bounds=(20.0, 100.0), source=BOOTH)
    e_k: float = param(-80.0, unit="mV", bounds=(-120.0, -50.0), source=BOOTH)
    e_ca: float = param(80.0, unit="mV", bounds=(20.0, 150.0), source=BOOTH)
    e_leak: float = param(-60.0, unit="mV", bounds=(-90.0, -40.0), source=BOOTH)
    cal_time_constant: float = param(40.0, unit="ms", bounds=(1.0, 500.0), source=BOOTH + ": tau of the L-like Ca")
    ca_free_fraction: float = param(0.01, unit="1", bounds=(1e-4, 1.0), source=BOOTH + ": f, free calcium")
    ca_influx: float = param(
        0.009, unit="uM cm^2/(uA ms)", bounds=(1e-4, 1.0), source=BOOTH + ": alpha, current to concentration"
    )
    ca_removal: float = param(2.0, unit="1/ms", bounds=(0.01, 100.0), source=BOOTH + ": k_Ca")
    kca_half: float = param(0.2, unit="uM", bounds=(0.01, 10.0), source=BOOTH + ": K_d of K(Ca) activation")


def with_serotonin(params: BoothParams | None = None, level: float = 1.0) -> BoothParams:
    """The 5-HT cell: both K(Ca) conductances scaled by ``1 - level (1 - 0.627)``.

    ``level`` 1 gives the paper's 5-HT values (3.136 and 0.69 mS/cm^2 from 5 and 1.1), 0 the
    canonical cell; the L-like Ca conductance is the same 0.33 mS/cm^2 in both (ANCHORS 7.1).

    Examples
    --------
    >>> p = with_serotonin()
    >>> round(p.g_kca_soma, 3), round(p.g_kca_dend, 3), p.g_cal
    (3.136, 0.69, 0.33)
    """
    params = BoothParams() if params is None else params
    if not 0.0 <= level <= 1.0:
        raise ParameterError(describe("`level`", "a 5-HT level in [0, 1]", level))
    scale = 1.0 - level * (1.0 - SEROTONIN_KCA_FACTOR)
    return dataclasses.replace(params, g_kca_soma=params.g_kca_soma * scale, g_kca_dend=params.g_kca_dend * scale)


class BoothState(NamedTuple):
    """Somatic and dendritic voltage (mV), gates (1) and calcium (uM)."""

    vs: jax.Array
    vd: jax.Array
    h: jax.Array
    n: jax.Array
    mn_s: jax.Array
    hn_s: jax.Array
    mn_d: jax.Array
    hn_d: jax.Array
    l: jax.Array
    ca_s: jax.Array
    ca_d: jax.Array


def _boltzmann(v, half, slope):
    return jax.nn.sigmoid((v - half) / slope)


def rest_state(params: BoothParams) -> BoothState:
    """Gates at their steady state for both voltages at the leak reversal, calcium 0."""
    v = jnp.asarray(params.e_leak, dtype=float)
    return BoothState(
        vs=v, vd=v, h=_boltzmann(v, *NA_H), n=_boltzmann(v, *KDR_N), mn_s=_boltzmann(v, *CAN_M[:2]),
        hn_s=_boltzmann(v, *CAN_H[:2]), mn_d=_boltzmann(v, *CAN_M[:2]), hn_d=_boltzmann(v, *CAN_H[:2]),
        l=_boltzmann(v, *CAL_L), ca_s=jnp.zeros_like(v), ca_d=jnp.zeros_like(v))


def _relax(x, target, tau, dt):
    return target + (x - target) * jnp.exp(-dt / tau)


def booth_step(state: BoothState, current, params: BoothParams, dt) -> BoothState:
    """Advance the cell by ``dt`` (ms) with a somatic current ``current`` (uA/cm^2), exponential Euler.

    Examples
    --------
    >>> p = BoothParams()
    >>> s = booth_step(rest_state(p), 0.0, p, 0.025)
    >>> round(float(s.vs), 1)  # without input the cell drifts slowly from E_leak (Ca window currents)
    -60.0
    """
    with jax.named_scope("booth"):
        p = params
        vs, vd = state.vs, state.vd
        # gates and calcium (exact exponential update at the voltages of the start of the step)
        tau_h = 30.0 / (jnp.exp((vs + 50.0) / 15.0) + jnp.exp(-(vs + 50.0) / 16.0))
        tau_n = 7.0 / (jnp.exp((vs + 40.0) / 40.0) + jnp.exp(-(vs + 40.0) / 50.0))
        h = _relax(state.h, _boltzmann(vs, *NA_H), tau_h, dt)
        n = _relax(state.n, _boltzmann(vs, *KDR_N), tau_n, dt)
        mn_s = _relax(state.mn_s, _boltzmann(vs, *CAN_M[:2]), CAN_M[2], dt)
        hn_s = _relax(state.hn_s, _boltzmann(vs, *CAN_H[:2]), CAN_H[2], dt)
        mn_d = _relax(state.mn_d, _boltzmann(vd, *CAN_M[:2]), CAN_M[2], dt)
        hn_d = _relax(state.hn_d, _boltzmann(vd, *CAN_H[:2]), CAN_H[2], dt)
        l_gate = _relax(state.l, _boltzmann(vd, *CAL_L), p.cal_time_constant, dt)
        i_ca_s = p.g_can_soma * mn_s**2 * hn_s * (vs - p.e_ca)
        i_ca_d = (p.g_can_dend * mn_d**2 * hn_d + p.g_cal * l_gate) * (vd - p.e_ca)
        removal = p.ca_free_fraction * p.ca_removal
        ca_s = _relax(state.ca_s, -p.ca_influx * i_ca_s / p.ca_removal, 1.0 / removal, dt)
        ca_d = _relax(state.ca_d, -p.ca_influx * i_ca_d / p.ca_removal, 1.0 / removal, dt)
        # voltages: each membrane's conductances and weighted reversal, other compartment held
        g_c_s, g_c_d = p.coupling / p.soma_fraction, p.coupling / (1.0 - p.soma_fraction)
        g_na = p.g_na * _boltzmann(vs, *NA_M) ** 3 * h
        g_k_s = p.g_kdr * n**4 + p.g_kca_soma * ca_s / (ca_s + p.kca_half)
        g_ca_s = p.g_can_soma * mn_s**2 * hn_s
        g_s = g_na + g_k_s + g_ca_s + p.g_leak + g_c_s
        e_s = (g_na * p.e_na + g_k_s * p.e_k + g_ca_s * p.e_ca + p.g_leak * p.e_leak + g_c_s * vd + current) / g_s
        g_k_d = p.g_kca_dend * ca_d / (ca_d + p.kca_half)
        g_ca_d = p.g_can_dend * mn_d**2 * hn_d + p.g_cal * l_gate
        g_d = g_k_d + g_ca_d + p.g_leak + g_c_d
        e_d = (g_k_d * p.e_k + g_ca_d * p.e_ca + p.g_leak * p.e_leak + g_c_d * vs) / g_d
        vs_new = _relax(vs, e_s, p.capacitance / g_s, dt)
        vd_new = _relax(vd, e_d, p.capacitance / g_d, dt)
        return BoothState(vs_new, vd_new, h, n, mn_s, hn_s, mn_d, hn_d, l_gate, ca_s, ca_d)


@functools.partial(runtime.jit, static_argnames=("record_every",))
def _run(params, current, dt, record_every):
    def body(state, i_app):
        new = booth_step(state, i_app, params, dt)
        crossed = (state.vs < SPIKE_THRESHOLD_MV) & (new.vs >= SPIKE_THRESHOLD_MV)
        return new, (crossed, new.vs, new.vd)

    _, (crossed, vs, vd) = jax.lax.scan(body, rest_state(params), current)
    return crossed, vs[::record_every], vd[::record_every]


class BoothRamp(NamedTuple):
    """Response of the BRK cell to a somatic current.

    Attributes
    ----------
    spike_times : times of the spikes (s), the step at which the somatic voltage crossed
        :data:`SPIKE_THRESHOLD_MV` upward.
    spike_currents : the injected current at each spike (uA/cm^2).
    rates : instantaneous rate ``1 / ISI`` at each spike after the first (pps).
    time : sample times of ``voltage`` (s).
    voltage : somatic and dendritic voltage (mV), shape (samples, 2).
    """

    spike_times: np.ndarray
    spike_currents: np.ndarray
    rates: np.ndarray
    time: np.ndarray
    voltage: np.ndarray

    @property
    def recruitment(self) -> float:
        """Current at the first spike (uA/cm^2); NaN without spikes."""
        return float(self.spike_currents[0]) if self.spike_currents.size else float("nan")

    @property
    def derecruitment(self) -> float:
        """Current at the last spike (uA/cm^2); NaN without spikes."""
        return float(self.spike_currents[-1]) if self.spike_currents.size else float("nan")


def triangular_ramp(peak: float, duration: float, dt: float) -> np.ndarray:
    """A triangular current 0 -> ``peak`` -> 0 over ``duration`` (s), sampled every ``dt`` (s).

    Examples
    --------
    >>> triangular_ramp(10.0, 1.0, 0.25).tolist()
    [0.0, 5.0, 10.0, 5.0, 0.0]
    """
    t = np.arange(round(duration / dt) + 1) * dt
    return peak * (1.0 - np.abs(2.0 * t / duration - 1.0))


def booth_ramp(params: BoothParams, current, *, dt: float = 2.5e-5, record_every: int = 40) -> BoothRamp:
    """Simulate the BRK cell under a somatic current given per step.

    Parameters
    ----------
    params : the cell (:class:`BoothParams`, or :func:`with_serotonin`).
    current : somatic current density (uA/cm^2), one value per step of ``dt``, from rest.
    dt : time step (s); 25 us by default (module docstring).
    record_every : keep the voltage every this many steps (1 ms by default).

    Returns
    -------
    BoothRamp : spike times and currents, rates, voltages.

    Examples
    --------
    >>> p = with_serotonin()
    >>> out = booth_ramp(p, np.full(20000, 30.0), dt=5e-5)  # 1 s of a constant 30 uA/cm^2
    >>> out.spike_times.size > 5, bool(out.voltage[:, 0].max() > 20.0)
    (True, True)
    """
    validate(params)
    current = np.asarray(current, dtype=float)
    if current.ndim != 1 or current.size < 2 or not np.all(np.isfinite(current)):
        raise ParameterError(describe("`current`", "a finite 1-D current (uA/cm^2) with >= 2 steps",
                                      f"shape {current.shape}"))
    if not 1e-7 <= dt <= 1e-4:
        raise ParameterError(describe("`dt`", "a step in [1e-7, 1e-4] s", dt))
    crossed, vs, vd = _run(params, current, dt * 1e3, int(record_every))
    crossed = np.asarray(crossed)
    index = np.flatnonzero(crossed)
    times = (index + 1) * dt
    rates = 1.0 / np.diff(times) if times.size > 1 else np.zeros(0)
    time = (np.arange(np.asarray(vs).size) * record_every + 1) * dt
    return BoothRamp(times, current[index], rates, time, np.stack([np.asarray(vs), np.asarray(vd)], axis=1))
