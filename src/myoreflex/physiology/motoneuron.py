"""Alpha motor neuron pool: a rate model with threshold, gain, saturation and a persistent inward current.

The pool turns its net synaptic input ``u`` (in pps-equivalents of Ia input, see
:mod:`myoreflex.physiology.spinal_circuit`) into a normalised neural drive ``e`` in [0, 1], which is
the muscle excitation and the simulated (rectified, normalised) EMG::

    x      = u + A_pic p - theta                       (input above recruitment threshold)
    e_ss   = e_max tanh(g softplus_k(x) / e_max)       (threshold-linear, saturating)
    tau e' = e_ss - e                                  (pool rate dynamics)
    tau_pic p' = sigmoid((u - theta_pic) / s_pic) - p  (slow persistent inward current)

Threshold-linear-saturating rate coding follows the pool models of Fuglevand et al. 1993 (rate
rises linearly with excitation above recruitment, saturating at a peak rate). The persistent inward
current (PIC) term is a two-state (bistable) extension in the spirit of Booth et al. 1997: a slow
self-sustaining depolarisation that keeps the pool firing after its input falls (plateau
potentials); its amplitude ``A_pic`` is 0 by default, so the pool is monostable until a condition
(spinal cord injury, cramp) raises it.

Identifiability. The threshold ``theta`` and the descending facilitation and inhibition
(:mod:`myoreflex.physiology.descending`, added into ``u`` by
:func:`myoreflex.physiology.spinal_circuit.net_input`) enter the drive only through their sum
``theta + D_inh - D_fac``: any two parameter sets with the same sum give exactly the same simulation
while ``A_pic = 0`` (the default, and the healthy, stroke and cerebral palsy presets). Fitted together
they are exactly degenerate; fit one (conventionally the threshold) and hold the others. With a PIC
(``A_pic > 0``) the descending terms also shift the PIC's activation against ``theta_pic``, so two
combinations are identifiable: ``theta + D_inh - D_fac`` and ``theta_pic + D_inh - D_fac``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex.params import param

FUGLEVAND = "Fuglevand, Winter & Patla 1993 (threshold-linear, saturating rate coding)"
BOOTH = "Booth, Rinzel & Kiehn 1997 (PIC / plateau potentials); amplitude 0 = no PIC"


def _tone():
    return param(
        0.005,
        unit="1",
        bounds=(0.0, 0.5),
        source="baseline excitation of relaxed muscle (resting tone; near zero, Yeo et al. 1998)",
    )


class MotoneuronParams(eqx.Module):
    """Pool threshold, gain, saturation, baseline tone, time constant and PIC."""

    threshold: float = param(
        205.0,
        unit="pps",
        bounds=(0.0, 1000.0),
        source="calibrated (knee): above the Ia rate of a slow passive stretch over the range, so a relaxed "
        "healthy muscle shows no tonic stretch reflex (Yeo et al. 1998; ANCHORS 6, TSRT outside ROM); "
        "150 pps plus the 55 pps of resting autogenic Ib inhibition that the tendon organ's cat-sized force "
        "scale had added to it before issue 14 (physiology.tendon_organ)",
    )
    gain: float = param(
        0.004,
        unit="1/pps",
        bounds=(0.0, 0.2),
        source="calibrated: normalised drive per pps of suprathreshold input (" + FUGLEVAND + ")",
    )
    max_drive: float = param(1.0, unit="1", bounds=(0.05, 1.0), source=FUGLEVAND + ": saturation at peak rate")
    tone: float = _tone()
    sharpness: float = param(
        0.2, unit="1/pps", bounds=(0.01, 10.0), source="numerical: softplus smoothing of the threshold"
    )
    time_constant: float = param(
        0.010,
        unit="s",
        bounds=(0.001, 0.1),
        source="pool rate time constant of order the motoneuron membrane time constant (~10 ms)",
    )
    pic_amplitude: float = param(0.0, unit="pps", bounds=(0.0, 1000.0), source=BOOTH)
    pic_threshold: float = param(150.0, unit="pps", bounds=(0.0, 1000.0), source=BOOTH)
    pic_slope: float = param(10.0, unit="pps", bounds=(0.1, 200.0), source=BOOTH)
    pic_time_constant: float = param(0.5, unit="s", bounds=(0.01, 10.0), source=BOOTH + "; slow L-type Ca")


class PoolTone(eqx.Module):
    """The pool reduced to its resting output, for a loop whose reflex bypasses the pool model
    (the force feedback of :class:`myoreflex.model.ForceFeedbackLoop`)."""

    tone: float = _tone()


class MotoneuronState(eqx.Module):
    """Pool output (normalised drive, 1) and PIC activation (1)."""

    drive: jax.Array
    pic: jax.Array


def steady_drive(net_input, pic, params: MotoneuronParams):
    """Steady-state pool output ``e_ss`` for a net input (pps) and PIC activation."""
    above = net_input + params.pic_amplitude * pic - params.threshold
    rectified = jax.nn.softplus(params.sharpness * above) / params.sharpness
    return params.max_drive * jnp.tanh(params.gain * rectified / params.max_drive)


def motoneuron_equilibrium(net_input, params: MotoneuronParams) -> MotoneuronState:
    """Resting pool state for a constant input (PIC at its input-driven steady state)."""
    pic = jax.nn.sigmoid((net_input - params.pic_threshold) / params.pic_slope) * (params.pic_amplitude > 0)
    return MotoneuronState(drive=steady_drive(net_input, pic, params), pic=pic)


def motoneuron_step(state: MotoneuronState, net_input, params: MotoneuronParams, dt):
    """Advance the pool by ``dt`` (exact exponential update of both first-order lags).

    Returns the new state and the muscle excitation ``clip(tone + drive, 0, 1)``.
    """
    pic_target = jax.nn.sigmoid((net_input - params.pic_threshold) / params.pic_slope)
    pic = pic_target + (state.pic - pic_target) * jnp.exp(-dt / params.pic_time_constant)
    target = steady_drive(net_input, pic, params)
    drive = target + (state.drive - target) * jnp.exp(-dt / params.time_constant)
    excitation = jnp.clip(params.tone + drive, 0.0, 1.0)
    return MotoneuronState(drive=drive, pic=pic), excitation
