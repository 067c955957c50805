"""Alpha motor neuron pool: a rate model with threshold, gain, saturation and a bistable persistent inward current.

The pool turns its net synaptic input ``u`` (in pps-equivalents of Ia input, see
:mod:`myoreflex.physiology.spinal_circuit`) into a normalised neural drive ``e`` in [0, 1], which is
the muscle excitation and the simulated (rectified, normalised) EMG. Its persistent inward current
(PIC) is switched by the pool's own depolarisation ``v``, which includes the PIC itself::

    v         = u + A m h q                                  own depolarisation (pps of net input)
    tau_q q'  = sigmoid((v - theta - theta_on) / s) - q      PIC activation, driven by v
    tau_h h'  = 1 - phi q - h                                slow partial inactivation of the PIC
    e_ss      = e_max tanh(g softplus_k(v - theta) / e_max)  (threshold-linear, saturating)
    tau e'    = e_ss - e                                     (pool rate dynamics)

with ``A`` the PIC amplitude at monoamine level ``m`` = 1, ``theta_on`` the PIC's activation level
relative to the firing threshold ``theta`` (negative: below recruitment), ``s`` its slope, ``phi``
the fraction that inactivates and ``tau_h`` how slowly.

Threshold-linear-saturating rate coding follows the pool models of Fuglevand et al. 1993 (rate
rises linearly with excitation above recruitment, saturating at a peak rate). The PIC is the
reduced bistable neuron of :mod:`myoreflex.physiology.bistable` (calibrated there to Booth, Rinzel
& Kiehn 1997) in the loop's unit, pps of net input: it turns on when ``v`` reaches
``theta + theta_on`` and, because ``v`` then includes ``A m h``, turns off only when the net input
falls ``A m h`` lower. On a slow ramp (``s`` -> 0, ``h`` fixed) a pool whose PIC turns on below
recruitment (``theta_on < 0``, ``A m h >= -theta_on``: Booth's 5-HT cell)::

    recruitment   = theta + theta_on        (the PIC recruits the pool)
    derecruitment = theta - A m h           (the PIC itself switches off at theta + theta_on - A m h)

Bistability and the long-lasting reflex. While ``A m h`` exceeds the distance from the resting
net input to the threshold, ``theta - u_rest``, a brief input that switches the PIC on leaves the
pool firing at rest (a self-sustained discharge: the long-lasting reflex of chronic spinal cord
injury, Bennett et al. 2001; Murray et al. 2010). Two things end it: the slow inactivation (``h``
falls towards ``1 - phi`` with ``tau_h``, 2.5 s, the Ca PIC's inactivation in the Powers & Heckman
2017 model, ANCHORS 7.1), which ends the firing on its own once ``A m h`` falls below
``theta - u_rest``; and synaptic inhibition (descending inhibition, reciprocal Ia inhibition from
the antagonist, autogenic Ib inhibition, all part of ``u``, or a protocol's inhibitory input) that
pulls ``u`` below ``theta + theta_on - A m h`` and switches the PIC off at once (inhibition
curtails motor neuron PICs: Hyngstrom et al. 2007; Heckman et al. 2008). Where ``A m (1 - phi)``
exceeds ``theta + theta_on - u_rest`` the PIC itself outlasts the firing, below threshold (a
latent plateau, as Booth's 5-HT cell stays bistable at zero current), until inhibition switches it
off. Monoamines
(serotonin, noradrenaline) scale the PIC's amplitude (Hounsgaard & Kiehn 1989; Heckman, Lee &
Brownstone 2003; Heckman et al. 2005); after chronic spinal cord injury constitutively active
5-HT2 receptors stand in for the lost brainstem monoamines (Murray et al. 2010), and lowering
``m`` (an inverse agonist such as cyproheptadine: Murray et al. 2010; D'Amico et al. 2013)
shortens the self-sustained discharge.

Deviation from :mod:`myoreflex.physiology.bistable`: no separate deactivation width; the PIC's
hysteresis is its own amplitude, as for a voltage-gated current whose activation sees the
depolarisation it makes. Sizes (``theta_on`` from Booth's 5-HT cell; ``A`` in the conditions;
``s``, ``phi``) are ASSUMPTIONS calibrated on the knee's long-lasting reflex (issue 16; human
magnitudes unverified, ANCHORS 10c).

The PIC amplitude is 0 by default, so the pool is monostable until a condition (spinal cord
injury, multiple sclerosis) raises it. With ``A = 0`` the PIC term ``A m h q`` is exactly 0 and the
pool computes exactly the floats of the monostable pool it extends.

Identifiability. The threshold ``theta`` and the descending facilitation and inhibition
(:mod:`myoreflex.physiology.descending`, added into ``u`` by
:func:`myoreflex.physiology.spinal_circuit.net_input`) enter the drive only through their sum
``theta + D_inh - D_fac``: any two parameter sets with the same sum give exactly the same simulation
while ``A_pic = 0`` (the default, and the healthy, stroke and cerebral palsy presets). Fitted together
they are exactly degenerate; fit one (conventionally the threshold) and hold the others. With a PIC
(``A_pic > 0``) that stays true, since the PIC's activation level moves with ``theta``; ``A`` and
``m`` enter only through their product ``A m`` (fit one).

References: Fuglevand AJ, Winter DA, Patla AE (1993) J Neurophysiol 70:2470. Booth V, Rinzel J,
Kiehn O (1997) J Neurophysiol 78:3371. Hounsgaard J, Kiehn O (1989) J Physiol 414:265. Bennett DJ,
Li Y, Harvey PJ, Gorassini M (2001) J Neurophysiol 86:1972. Heckman CJ, Lee RH, Brownstone RM (2003)
Trends Neurosci 26:688. Heckman CJ, Gorassini MA, Bennett DJ (2005) Muscle Nerve 31:135.
Hyngstrom AS, Johnson MD, Miller JF, Heckman CJ (2007) Nat Neurosci 10:363. Heckman CJ, Johnson M,
Mottram C, Schuster J (2008) Neuroscientist 14:264. Murray KC et al. (2010) Nat Med 16:694. D'Amico
JM et al. (2013) J Neurophysiol 109:1473. Powers RK, Heckman CJ (2017) J Neurophysiol 117:1171.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex.params import param
from myoreflex.physiology import bistable

FUGLEVAND = "Fuglevand, Winter & Patla 1993 (threshold-linear, saturating rate coding)"
BOOTH = "Booth, Rinzel & Kiehn 1997 (PIC / plateau potentials)"
_BOOTH_CELL = bistable.calibrated()
"""The reduced neuron calibrated to Booth's cell (:func:`myoreflex.physiology.bistable.calibrated`):
its time constants and the 5-HT cell's PIC onset relative to its amplitude."""
BOOTH_ONSET_FRACTION = (_BOOTH_CELL.pic_threshold - _BOOTH_CELL.threshold) / _BOOTH_CELL.pic_amplitude
"""PIC onset below recruitment as a fraction of the PIC amplitude in Booth's 5-HT cell:
(1.26 - 5.2) / 12 = -0.33 (:mod:`myoreflex.physiology.bistable`)."""
MONOAMINE = ("Hounsgaard & Kiehn 1989 J Physiol 414:265; Heckman, Lee & Brownstone 2003 Trends Neurosci 26:688; "
             "Heckman, Gorassini & Bennett 2005 Muscle Nerve 31:135 (monoamines scale the PIC)")
PIC_REST_STEPS = 50
"""Fixed-point iterations of :func:`motoneuron_equilibrium` (the lower, PIC-off branch)."""


def _tone():
    return param(
        0.005,
        unit="1",
        bounds=(0.0, 0.5),
        source="baseline excitation of relaxed muscle (resting tone; near zero, Yeo et al. 1998)",
    )


class MotoneuronParams(eqx.Module):
    """Pool threshold, gain, saturation, baseline tone, time constant and the bistable PIC."""

    threshold: float = param(
        250.0,
        unit="pps",
        bounds=(0.0, 1000.0),
        source="calibrated (knee): above the Ia rate of a slow passive stretch over the range, so a relaxed "
        "healthy muscle shows no tonic stretch reflex (Yeo et al. 1998; ANCHORS 6, TSRT outside ROM), and "
        "above the quadriceps' 243 pps at the deepest flexion of the relaxed healthy pendulum with the "
        "knee's compliant passive tissue (model.py), so its tendon organs stay silent there (Houk & Henneman "
        "1967; issue 14: Ib below 10 pps; 205 pps let a 0.04 reflex activation through, Ib 13 pps)",
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
    pic_amplitude: float = param(
        0.0, unit="pps", bounds=(0.0, 1000.0),
        source=BOOTH + ": A, the PIC at monoamine level 1 (the 5-HT cell); 0 = no PIC (healthy default); "
        "raised by spinal cord injury (Murray et al. 2010; conditions)",
    )
    pic_onset: float = param(
        -33.0, unit="pps", bounds=(-500.0, 500.0),
        source=BOOTH + ": theta_on, the PIC's activation level relative to the firing threshold; the 5-HT cell's "
        "PIC turns on 0.33 of its amplitude below recruitment (BOOTH_ONSET_FRACTION, physiology.bistable): "
        "-33 pps for a 100-pps PIC, about the spinal-cord-injury preset's at severity 0.7 (109 pps)",
    )
    pic_slope: float = param(
        1.0, unit="pps", bounds=(0.1, 200.0),
        source="ASSUMPTION: s, a sharp switch (s << A: bistable), as the calibrated neuron's (physiology.bistable)",
    )
    pic_time_constant: float = param(
        _BOOTH_CELL.pic_time_constant, unit="s", bounds=(0.001, 1.0),
        source=BOOTH + ": L-like Ca activation, 40 ms (ANCHORS 7.1; physiology.bistable)",
    )
    pic_inactivation: float = param(
        0.5, unit="1", bounds=(0.0, 0.5),
        source="ASSUMPTION: phi, the fraction of the PIC that inactivates slowly (physiology.bistable.SCI assumes "
        "0.3 for one unit); 0.5 ends the spinal-cord-injury preset's self-sustained firing within seconds, as "
        "long-lasting reflexes end (Bennett et al. 2004 J Neurophysiol 91:2247), and keeps a slow ramp's "
        "hysteresis; <= 0.5 keeps the PIC's feedback A m (1 - phi q) q rising in q",
    )
    pic_inactivation_time: float = param(
        _BOOTH_CELL.pic_inactivation_time, unit="s", bounds=(0.1, 100.0),
        source="Powers & Heckman 2017 J Neurophysiol 117:1171 (ModelDB 239582): Ca PIC inactivation 2500 ms "
        "(ANCHORS 7.1)",
    )
    monoamine_level: float = param(
        1.0, unit="1", bounds=(0.0, 2.0),
        source=MONOAMINE + "; m, 1 = the amplitude A (Booth's 5-HT cell), 0 = no PIC; after chronic SCI "
        "constitutive 5-HT2 activity (Murray et al. 2010 Nat Med 16:694)",
    )


class PoolTone(eqx.Module):
    """The pool reduced to its resting output, for a loop whose reflex bypasses the pool model
    (the force feedback of :class:`myoreflex.model.ForceFeedbackLoop`)."""

    tone: float = _tone()


class MotoneuronState(eqx.Module):
    """Pool output (normalised drive, 1), PIC activation ``q`` (1) and PIC availability ``h``
    (1: 1 - the inactivated fraction)."""

    drive: jax.Array
    pic: jax.Array
    pic_availability: jax.Array


def pic_current(pic, pic_availability, params: MotoneuronParams):
    """The PIC's contribution to the own depolarisation, ``A m h q`` (pps); exactly 0 when ``A = 0``."""
    return params.pic_amplitude * params.monoamine_level * pic_availability * pic


def steady_drive(net_input, pic, params: MotoneuronParams, pic_availability=1.0):
    """Steady-state pool output ``e_ss`` for a net input (pps) and PIC state (activation ``q``,
    availability ``h``)."""
    above = net_input + pic_current(pic, pic_availability, params) - params.threshold
    rectified = jax.nn.softplus(params.sharpness * above) / params.sharpness
    return params.max_drive * jnp.tanh(params.gain * rectified / params.max_drive)


def pic_activation(depolarisation, params: MotoneuronParams):
    """Steady-state PIC activation at an own depolarisation ``v`` (pps): ``sigmoid((v - theta -
    theta_on) / s)``."""
    return jax.nn.sigmoid((depolarisation - params.threshold - params.pic_onset) / params.pic_slope)


def motoneuron_equilibrium(net_input, params: MotoneuronParams) -> MotoneuronState:
    """Resting pool state for a constant input: the PIC on its lowest steady state (off where the
    pool is bistable), found by iterating ``q -> q_inf(u + A m (1 - phi q) q)`` from ``q = 0``.

    The map rises in ``q`` (``phi <= 0.5``), so the iteration climbs monotonically to the lowest
    fixed point; where only the PIC-on state exists (a net input above the PIC's activation level)
    it climbs to that one.

    Examples
    --------
    >>> p = MotoneuronParams(threshold=50.0, pic_amplitude=90.0)
    >>> rest = motoneuron_equilibrium(-20.0, p)       # resting input: PIC off, pool silent
    >>> float(rest.pic) < 1e-6, float(rest.drive) < 1e-6
    (True, True)
    >>> round(float(motoneuron_equilibrium(40.0, p).pic), 3)  # above theta + theta_on: PIC on
    1.0
    """

    def iterate(_, q):
        h = 1.0 - params.pic_inactivation * q
        return pic_activation(net_input + pic_current(q, h, params), params)

    q = jax.lax.fori_loop(0, PIC_REST_STEPS, iterate, jnp.zeros_like(pic_activation(net_input, params)))
    h = 1.0 - params.pic_inactivation * q
    return MotoneuronState(drive=steady_drive(net_input, q, params, h), pic=q, pic_availability=h)


def motoneuron_step(state: MotoneuronState, net_input, params: MotoneuronParams, dt):
    """Advance the pool by ``dt`` (exact exponential update of the three first-order lags, the PIC's
    target taken at the own depolarisation of the start of the step).

    Returns the new state and the muscle excitation ``clip(tone + drive, 0, 1)``.

    Examples
    --------
    A 0.1 s input burst switches the PIC on; the pool keeps firing after it (``A m h`` above
    ``theta - u``) until the PIC's slow inactivation ends the plateau:

    >>> p = MotoneuronParams(threshold=50.0, pic_amplitude=100.0)
    >>> u = jnp.where(jnp.arange(5000) < 100, 100.0, -20.0)          # 1 ms steps: 0.1 s burst, then rest
    >>> step = lambda state, u_t: motoneuron_step(state, u_t, p, 1e-3)
    >>> _, e = jax.lax.scan(step, motoneuron_equilibrium(-20.0, p), u)
    >>> bool(e[1000] > 0.03), bool(e[4999] < 0.01)                 # firing 0.9 s after it, silent by 5 s
    (True, True)
    """
    with jax.named_scope("motoneuron"):
        depolarisation = net_input + pic_current(state.pic, state.pic_availability, params)
        pic_target = pic_activation(depolarisation, params)
        pic = pic_target + (state.pic - pic_target) * jnp.exp(-dt / params.pic_time_constant)
        available_target = 1.0 - params.pic_inactivation * pic
        available = available_target + (state.pic_availability - available_target) * jnp.exp(
            -dt / params.pic_inactivation_time)
        target = steady_drive(net_input, pic, params, available)
        drive = target + (state.drive - target) * jnp.exp(-dt / params.time_constant)
        excitation = jnp.clip(params.tone + drive, 0.0, 1.0)
        return MotoneuronState(drive=drive, pic=pic, pic_availability=available), excitation
