"""Muscle spindle: the Mileusnic et al. 2006 model and the Prochazka & Gorassini 1998 power law.

Mileusnic, Brown, Lan & Loeb 2006 (J Neurophysiol 96:1772) model one spindle as three intrafusal
fibres in parallel (bag1, bag2, chain). Each fibre is a sensory region (SR, a linear spring K_SR) in
series with a polar region (PR: a spring K_PR, a nonlinear activation-dependent damper and a
force generator Gamma) and a small mass M. Lengths are normalised by the optimal fascicle length L0
(unit ``L0``), forces are the paper's arbitrary force units (``FU``) and afferent rates are in
pulses per second (``pps``). Symbols used in the equations below::

    T, T'          SR tension of a fibre and its rate (FU, FU/s)
    L, L', L''     fascicle length (L0) and its derivatives (L0/s, L0/s^2)
    f              fusimotor activation of a fibre (1)
    v = L' - T'/K_SR              polar-region velocity (L0/s)
    x = L - L0SR - T/K_SR         polar-region length (L0)

Bag1 is driven by the dynamic fusimotor rate gamma_dynamic and contributes to the primary (Ia)
ending only; bag2 and chain are driven by gamma_static and contribute to Ia and to the secondary
(II) ending. The fibre arrays of :class:`SpindleState` are ordered (bag1, bag2, chain).

Two integrations of the same physiology are offered:

- the paper's model with mass (:func:`spindle_derivatives`), integrated by an explicit scheme at
  dt <= 20 us; this is the reference (``method="full"`` in :func:`spindle_response`);
- a mass-less model (M -> 0, in the spirit of the ceinms2 ``Mileusnic2006MuscleSpindle``), stepped
  by backward Euler at the reflex-loop step of 0.5-1 ms (:func:`spindle_step`,
  ``method="loop"``).

The Prochazka & Gorassini 1998 power law (:func:`prochazka_ia`) is a cheap phenomenological Ia
rate for fitting, teaching and cross-checks.

In the reflex loop each model is a parameter class with the :class:`SpindleModel` methods
``rest`` and ``step``: :class:`MileusnicSpindle` (the default) and :class:`ProchazkaSpindle`,
registered by name in :data:`SPINDLES`. A loop holds the parameters of its own spindle only
(``spindle.bag1.*``, ``spindle.occlusion`` or ``spindle.velocity_coefficient``, ...).

References: mileusnic2006, prochazka1998 (see ANCHORS.md sections 1.1 and 1.2).
"""

from __future__ import annotations

import abc
from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex import fastmath
from myoreflex.arrays import stack
from myoreflex.errors import ParameterError, describe
from myoreflex.params import param
from myoreflex.registry import Registry
from myoreflex.units import MM

MILEUSNIC = "Mileusnic et al. 2006 Table 1"
MILEUSNIC_EQ = "Mileusnic et al. 2006, J Neurophysiol 96:1772"
PROCHAZKA = "Prochazka & Gorassini 1998, J Physiol 507:277"

NEWTON_ITERATIONS = 3
"""Newton iterations of the backward-Euler force balance in :func:`spindle_step` (plus one final
step that carries the gradient). From the bracketing initial guess, 3 agree with 40 to 1e-10 FU
(measured 3e-11; Ia to 5e-8 pps) over 0.6-1.6 L0, +-3 L0/s, drives 0-150 pps and dt 0.5-1 ms
(tested); 4 reached 1e-12 FU but cost a quarter more time per loop step."""

DAMPER_LENGTH_FLOOR = 0.01
"""Smallest polar-region length above R (L0) used by the mass-less damper in :func:`spindle_step`.
It only acts at fascicle lengths below about 0.52 L0, outside the physiological range, where the
paper's damper (x - R) would change sign."""

DAMPING_FLOOR = 1e-3
"""Smallest damping coefficient beta (FU/(L0 (L0/s)^a)) used by :func:`spindle_step`. Table 1 never
goes below 0.0132 (chain at full static drive); the floor keeps the mass-less step defined when a
fitted or drawn parameter set would make beta <= 0."""

FULL_MAX_DT = 5e-5
"""Largest step (s) accepted for ``method="full"``. The explicit integration of the stiff mass model
agrees to 0.1 pps at dt <= 20 us (ANCHORS 1.1); it stays bounded at larger steps but the slow
relaxation after a stretch or release drifts (several pps at 0.3 ms)."""


# --------------------------------------------------------------------------------------------------
# Parameters and state
# --------------------------------------------------------------------------------------------------


class IntrafusalFibreParams(eqx.Module):
    """Table 1 parameters of one intrafusal fibre (Mileusnic et al. 2006).

    The class defaults are the bag1 values; use :meth:`bag1`, :meth:`bag2` and :meth:`chain` for
    the three fibres of Table 1.
    """

    half_activation_rate: float = param(
        60.0, unit="pps", bounds=(1.0, 500.0), source=MILEUSNIC + " (freq; bag1 60, bag2 60, chain 90)",
        doc="fusimotor rate giving half activation (Eq. 1)",
    )
    activation_exponent: float = param(
        2.0, unit="1", bounds=(0.5, 5.0), source=MILEUSNIC + " (p = 2)", doc="exponent p of Eq. 1"
    )
    activation_time_constant: float = param(
        0.149, unit="s", bounds=(0.0, 1.0), source=MILEUSNIC + " (tau; bag1 0.149, bag2 0.205)",
        doc="low-pass lag of the fusimotor activation (0 = instantaneous); the chain's activation "
        "is always instantaneous, so its value is not used",
    )
    damping_passive: float = param(
        0.0605, unit="FU/(L0 (L0/s)^a)", bounds=(0.0, 0.5),
        source=MILEUSNIC + " (beta0; bag1 0.0605, bag2 0.0822, chain 0.0822)",
        doc="passive damping coefficient beta0 (Eq. 4)",
    )
    damping_fusimotor: float = param(
        0.2592, unit="FU/(L0 (L0/s)^a)", bounds=(-0.2, 1.0),
        source=MILEUSNIC + " (beta1 = 0.2592 for bag1 (0.2593 in RTMuscleSpindle parameters.m); "
        "beta2 = -0.046 bag2, -0.069 chain)",
        doc="damping added per unit fusimotor activation: beta1 (bag1) or beta2 (bag2, chain), Eq. 4",
    )
    force_fusimotor: float = param(
        0.0289, unit="FU", bounds=(0.0, 0.5),
        source=MILEUSNIC + " (Gamma1 = 0.0289 bag1; Gamma2 = 0.0636 bag2, 0.0954 chain)",
        doc="active force per unit fusimotor activation: Gamma1 (bag1) or Gamma2 (bag2, chain), Eq. 5",
    )
    lengthening_coefficient: float = param(
        1.0, unit="1", bounds=(0.1, 3.0), source=MILEUSNIC + " (C_L)",
        doc="damper asymmetry coefficient while the polar region lengthens",
    )
    shortening_coefficient: float = param(
        0.42, unit="1", bounds=(0.1, 3.0), source=MILEUSNIC + " (C_S)",
        doc="damper asymmetry coefficient while the polar region shortens",
    )
    zero_force_length: float = param(
        0.46, unit="L0", bounds=(0.2, 0.7), source=MILEUSNIC + " (R)",
        doc="fascicle length at which the damper produces no force",
    )
    velocity_exponent: float = param(
        0.3, unit="1", bounds=(0.1, 1.0), source=MILEUSNIC + " (a)", doc="damper velocity power a"
    )
    sensory_stiffness: float = param(
        10.4649, unit="FU/L0", bounds=(1.0, 100.0), source=MILEUSNIC + " (K_SR)"
    )
    polar_stiffness: float = param(0.15, unit="FU/L0", bounds=(0.01, 2.0), source=MILEUSNIC + " (K_PR)")
    mass: float = param(
        0.0002, unit="FU/(L0/s^2)", bounds=(1e-5, 1e-2), source=MILEUSNIC + " (M)",
        doc="intrafusal mass; used by the full model only (the loop model is mass-less)",
    )
    sensory_rest_length: float = param(0.04, unit="L0", bounds=(0.01, 0.1), source=MILEUSNIC + " (L0SR)")
    polar_rest_length: float = param(0.76, unit="L0", bounds=(0.3, 1.2), source=MILEUSNIC + " (L0PR)")
    sensory_threshold_length: float = param(
        0.0423, unit="L0", bounds=(0.01, 0.1), source=MILEUSNIC + " (LN_SR)",
        doc="SR length above which the endings fire (Eqs. 7-8)",
    )
    polar_threshold_length: float = param(
        0.89, unit="L0", bounds=(0.3, 1.5), source=MILEUSNIC + " (LN_PR; bag2 and chain, unused for bag1)",
        doc="PR length above which the secondary ending's polar part fires (Eq. 8)",
    )
    primary_gain: float = param(
        20000.0, unit="pps/L0", bounds=(0.0, 1e5), source=MILEUSNIC + " (G primary; bag1 20000, bag2 and "
        "chain 10000; cat spindle)",
    )
    secondary_gain: float = param(
        0.0, unit="pps/L0", bounds=(0.0, 1e5), source=MILEUSNIC + " (G secondary; bag1 has no secondary "
        "ending: 0; bag2 and chain 7250; cat spindle)",
    )
    secondary_sensory_fraction: float = param(
        0.7, unit="1", bounds=(0.0, 1.0), source=MILEUSNIC + " (X)",
        doc="share of the secondary ending on the sensory region (Eq. 8)",
    )
    secondary_ending_length: float = param(
        0.04, unit="L0", bounds=(0.005, 0.2), source=MILEUSNIC + " (L_sec)",
        doc="secondary afferent rest length (Eq. 8)",
    )

    @classmethod
    def bag1(cls) -> IntrafusalFibreParams:
        """Bag1 (dynamic) fibre of Table 1: the class defaults."""
        return cls()

    @classmethod
    def bag2(cls) -> IntrafusalFibreParams:
        """Bag2 (static) fibre of Table 1."""
        return cls(**dict(zip(_TABLE1_COLUMNS, _TABLE1_STATIC_FIBRES["bag2"], strict=True)))

    @classmethod
    def chain(cls) -> IntrafusalFibreParams:
        """Chain fibre of Table 1 (instantaneous fusimotor activation)."""
        return cls(**dict(zip(_TABLE1_COLUMNS, _TABLE1_STATIC_FIBRES["chain"], strict=True)))


#: The Table 1 values (Mileusnic et al. 2006) in which the static fibres differ from bag1 (the class
#: defaults above): freq, tau, beta0, beta2, Gamma2, G primary, G secondary.
_TABLE1_COLUMNS = ("half_activation_rate", "activation_time_constant", "damping_passive", "damping_fusimotor",
                   "force_fusimotor", "primary_gain", "secondary_gain")
_TABLE1_STATIC_FIBRES = {
    "bag2": (60.0, 0.205, 0.0822, -0.046, 0.0636, 10000.0, 7250.0),
    "chain": (90.0, 0.0, 0.0822, -0.069, 0.0954, 10000.0, 7250.0),
}


class SpindleModel(eqx.Module):
    """A spindle variant of the reflex loop: one class per model, the same two methods.

    The loop (:mod:`myoreflex.model`) calls them with one row per muscle (agonist, antagonist) and
    any batch axes after it; the type of ``ReflexParams.spindle`` picks the code at trace time.
    Registered by name in :data:`SPINDLES`. Inputs, by keyword: the fusimotor rates
    ``gamma_dynamic`` and ``gamma_static`` (pps), the ``optimal_fibre_length`` (m) and the
    ``emg`` (the muscle's excitation, 1); each model reads the ones it needs.
    """

    reference: ClassVar[str]

    @abc.abstractmethod
    def rest(self, fibre_length_norm, **inputs):
        """``(state, ia_pps, ii_pps)`` of spindles held at ``fibre_length_norm`` (L0)."""

    @abc.abstractmethod
    def step(self, state, fibre_length_norm, fibre_velocity, dt, **inputs):
        """``(state, ia_pps, ii_pps)`` after a step of ``dt`` (s) to ``fibre_length_norm`` (L0) at
        ``fibre_velocity`` (L0/s, lengthening positive)."""


class MileusnicSpindle(SpindleModel):
    """One Mileusnic et al. 2006 spindle: three fibres and the partial occlusion of the Ia ending.

    The fusimotor drives (gamma_dynamic, gamma_static, pps) are inputs, not parameters. In the loop
    the spindle is the mass-less backward-Euler model (:func:`spindle_step`).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> state, ia, ii = MileusnicSpindle().rest(jnp.array([1.0, 0.95]), gamma_dynamic=0.0,
    ...                                         gamma_static=70.0)
    >>> [round(float(rate)) for rate in ia]
    [81, 65]
    """

    reference: ClassVar[str] = MILEUSNIC_EQ + "; mass-less backward-Euler step for the loop"
    bag1: IntrafusalFibreParams = eqx.field(default_factory=IntrafusalFibreParams.bag1)
    bag2: IntrafusalFibreParams = eqx.field(default_factory=IntrafusalFibreParams.bag2)
    chain: IntrafusalFibreParams = eqx.field(default_factory=IntrafusalFibreParams.chain)
    occlusion: float = param(
        0.156, unit="1", bounds=(0.0, 1.0), source=MILEUSNIC + " (S)",
        doc="weight of the smaller primary driving potential in the Ia output (partial occlusion)",
    )

    def rest(self, fibre_length_norm, *, gamma_dynamic, gamma_static, **_):
        """Every muscle's spindle at :func:`spindle_equilibrium` and its :func:`spindle_afferents`."""
        state = jax.vmap(spindle_equilibrium, in_axes=(0, None, None, None))(
            fibre_length_norm, gamma_dynamic, gamma_static, self)
        ia, ii = jax.vmap(spindle_afferents, in_axes=(0, 0, None))(state, fibre_length_norm, self)
        return state, ia, ii

    def step(self, state, fibre_length_norm, fibre_velocity, dt, *, gamma_dynamic, gamma_static, **_):
        """:func:`spindle_step` of every muscle's spindle."""
        advance = jax.vmap(spindle_step, in_axes=(0, 0, 0, None, None, None, None))
        return advance(state, fibre_length_norm, fibre_velocity, gamma_dynamic, gamma_static, self, dt)


class SpindleState(eqx.Module):
    """State of one spindle (a derivative has the same layout, see :func:`spindle_derivatives`).

    Attributes
    ----------
    tension : array (3,), FU
        SR tension T of bag1, bag2, chain.
    tension_rate : array (3,), FU/s
        Its rate T'.
    bag1_activation, bag2_activation : scalar, 1
        Fusimotor activations of bag1 (dynamic) and bag2 (static); the chain's is instantaneous.
    """

    tension: jax.Array
    tension_rate: jax.Array
    bag1_activation: jax.Array
    bag2_activation: jax.Array


# --------------------------------------------------------------------------------------------------
# Small numerical helpers (safe under grad at 0)
# --------------------------------------------------------------------------------------------------


def _fibres(params: MileusnicSpindle) -> IntrafusalFibreParams:
    """The three fibres as one IntrafusalFibreParams whose leaves have shape (3,)."""
    return jax.tree_util.tree_map(lambda *leaves: stack(leaves), params.bag1, params.bag2, params.chain)


def _power(x, exponent):
    """x**exponent for x >= 0, with finite gradients (0 where x == 0).

    Written ``exp(exponent ln x)``: one logarithm and one exponential cost about half of XLA's
    general float64 ``pow`` on the CPU (benchmarks/RESULTS.md, run E).
    """
    positive = x > 0
    safe = jnp.where(positive, x, 1.0)
    return jnp.where(positive, jnp.exp(exponent * fastmath.log(safe)), 0.0)


def _signed_power(x, exponent):
    """sign(x) |x|**exponent with finite gradients at 0."""
    return jnp.sign(x) * _power(jnp.abs(x), exponent)


def _activation_targets(gamma_dynamic, gamma_static, fibres: IntrafusalFibreParams):
    """Steady activations (Eq. 1) of bag1, bag2, chain, shape (3,)."""
    gamma = stack([gamma_dynamic, gamma_static, gamma_static]).astype(float)
    return _activation(gamma, fibres.half_activation_rate, fibres.activation_exponent)


def _activation(gamma, half_rate, exponent):
    rate = _power(jnp.maximum(gamma, 0.0), exponent)
    return rate / (rate + _power(half_rate, exponent))


def _fibre_drive(activations, fibres: IntrafusalFibreParams):
    """Damping beta (Eq. 4) and force generator Gamma (Eq. 5) of each fibre, shapes (3,)."""
    beta = fibres.damping_passive + fibres.damping_fusimotor * activations
    force = fibres.force_fusimotor * activations
    return beta, force


# --------------------------------------------------------------------------------------------------
# Mileusnic et al. 2006: the model
# --------------------------------------------------------------------------------------------------


def fusimotor_activation(gamma_pps, fibre: IntrafusalFibreParams):
    """Steady fusimotor activation of one fibre (Mileusnic et al. 2006, Eq. 1).

    Parameters
    ----------
    gamma_pps : array, pps
        Fusimotor (gamma) firing rate; negative rates count as 0.
    fibre : IntrafusalFibreParams

    Returns
    -------
    array, 1
        ``f = gamma^p / (gamma^p + freq^p)``, in [0, 1); 0.5 at ``gamma = freq``.

    Notes
    -----
    Bag1 and bag2 approach this value with the first-order lag ``f' = (f_target - f)/tau``; the
    chain's activation equals it instantaneously.

    Examples
    --------
    >>> float(fusimotor_activation(60.0, IntrafusalFibreParams.bag1()))
    0.5
    """
    with jax.named_scope("spindle"):
        return _activation(jnp.asarray(gamma_pps, dtype=float), fibre.half_activation_rate,
                           fibre.activation_exponent)


def spindle_equilibrium(
    fibre_length_norm, gamma_dynamic, gamma_static, params: MileusnicSpindle
) -> SpindleState:
    """The resting state of a spindle held at a constant length with constant fusimotor drive.

    Parameters
    ----------
    fibre_length_norm : scalar, L0
        Fascicle length normalised by the optimal length.
    gamma_dynamic, gamma_static : scalar, pps
        Fusimotor rates.
    params : MileusnicSpindle

    Returns
    -------
    SpindleState
        ``T = (K_PR (L - L0SR - L0PR) + Gamma) / (1 + K_PR/K_SR)``, ``T' = 0``, activations at their
        Eq. 1 targets.

    Notes
    -----
    Eq. 6 with L' = L'' = T' = T'' = 0 (the damper force vanishes with the PR velocity); ANCHORS 1.1
    pitfall 3.

    Examples
    --------
    >>> state = spindle_equilibrium(1.0, 0.0, 0.0, MileusnicSpindle())
    >>> [round(float(t), 4) for t in state.tension]
    [0.0296, 0.0296, 0.0296]
    """
    with jax.named_scope("spindle"):
        fibres = _fibres(params)
        targets = _activation_targets(gamma_dynamic, gamma_static, fibres)
        _, force = _fibre_drive(targets, fibres)
        length = jnp.asarray(fibre_length_norm, dtype=float)
        stretch = length - fibres.sensory_rest_length - fibres.polar_rest_length
        compliance_ratio = fibres.polar_stiffness / fibres.sensory_stiffness
        tension = (fibres.polar_stiffness * stretch + force) / (1.0 + compliance_ratio)
        return SpindleState(
            tension=tension,
            tension_rate=jnp.zeros_like(tension),
            bag1_activation=targets[0],
            bag2_activation=targets[1],
        )


def spindle_derivatives(
    state: SpindleState,
    fibre_length_norm,
    fibre_velocity,
    fibre_acceleration,
    gamma_dynamic,
    gamma_static,
    params: MileusnicSpindle,
) -> SpindleState:
    """Time derivative of the full spindle model with intrafusal mass (Mileusnic et al. 2006).

    Parameters
    ----------
    state : SpindleState
    fibre_length_norm : scalar, L0
    fibre_velocity : scalar, L0/s
        Lengthening positive.
    fibre_acceleration : scalar, L0/s^2
    gamma_dynamic, gamma_static : scalar, pps
    params : MileusnicSpindle

    Returns
    -------
    SpindleState
        The derivative: ``tension`` holds T' (FU/s), ``tension_rate`` T'' (FU/s^2), the activations
        their rates (1/s).

    Notes
    -----
    Eqs. 1, 4-6::

        f'  = (f_target - f) / tau                     (bag1, bag2; chain and tau = 0: f = f_target)
        beta = beta0 + beta_gamma f,   Gamma = Gamma_gamma f
        T'' = K_SR/M [ C beta sign(v) |v|^a (x - R) + K_PR (x - L0PR) + M L'' + Gamma - T ]

    with v = L' - T'/K_SR, x = L - L0SR - T/K_SR and C = C_L for v >= 0, C_S otherwise (the switch
    on the polar-region velocity of the paper-style implementation, ANCHORS 1.1). The |v|^a term
    has an infinite slope at v = 0, so an explicit integrator needs dt <= 20 us (natural frequency
    sqrt(K_SR/M) = 229 rad/s plus the stiff damper). Reference quality; the reflex loop uses
    :func:`spindle_step`.

    Examples
    --------
    >>> p = MileusnicSpindle()
    >>> rest = spindle_equilibrium(1.0, 0.0, 0.0, p)
    >>> d = spindle_derivatives(rest, 1.0, 0.0, 0.0, 0.0, 0.0, p)
    >>> float(jnp.max(jnp.abs(d.tension_rate))) < 1e-9
    True
    """
    with jax.named_scope("spindle"):
        fibres = _fibres(params)
        targets = _activation_targets(gamma_dynamic, gamma_static, fibres)
        lag = fibres.activation_time_constant[:2]
        lagged = stack([state.bag1_activation, state.bag2_activation])
        lagged = jnp.where(lag > 0, lagged, targets[:2])  # tau = 0: instantaneous
        activation_rate = jnp.where(lag > 0, (targets[:2] - lagged) / jnp.where(lag > 0, lag, 1.0), 0.0)
        activations = jnp.concatenate([lagged, targets[2:]])
        beta, force = _fibre_drive(activations, fibres)
        k_sr = fibres.sensory_stiffness
        tension = state.tension
        polar_velocity = fibre_velocity - state.tension_rate / k_sr
        polar_length = fibre_length_norm - fibres.sensory_rest_length - tension / k_sr
        asymmetry = jnp.where(
            polar_velocity >= 0, fibres.lengthening_coefficient, fibres.shortening_coefficient
        )
        damper = (
            asymmetry * beta * _signed_power(polar_velocity, fibres.velocity_exponent)
            * (polar_length - fibres.zero_force_length)
        )
        spring = fibres.polar_stiffness * (polar_length - fibres.polar_rest_length)
        tension_acceleration = (k_sr / fibres.mass) * (
            damper + spring + fibres.mass * fibre_acceleration + force - tension
        )
        return SpindleState(
            tension=state.tension_rate,
            tension_rate=tension_acceleration,
            bag1_activation=activation_rate[0],
            bag2_activation=activation_rate[1],
        )


def spindle_afferents(state: SpindleState, fibre_length_norm, params: MileusnicSpindle):
    """Ia and II firing rates of a spindle state (Mileusnic et al. 2006, Eqs. 7-8 and occlusion).

    Parameters
    ----------
    state : SpindleState
    fibre_length_norm : scalar, L0
    params : MileusnicSpindle

    Returns
    -------
    ia_pps, ii_pps : scalars, pps
        Rectified primary (Ia) and secondary (II) rates.

    Notes
    -----
    Primary driving potential of every fibre (Eq. 7)::

        P = G_pri max(0, T/K_SR - (LN_SR - L0SR))

    Secondary potential of every fibre (Eq. 8; bag1's gain is 0)::

        Q = G_sec max(0, X L_sec/L0SR (T/K_SR - (LN_SR - L0SR))
                         + (1 - X) L_sec/L0PR (L - T/K_SR - L0SR - LN_PR))

    Ia = max(P_bag1, P_bag2 + P_chain) + S min(P_bag1, P_bag2 + P_chain) (partial occlusion);
    II = sum of the secondary potentials (bag2 + chain with Table 1 values).

    This is the paper's Eq. 7 for the primary contributions of bag2 and chain too, not the
    OpenSim-plugin variant that uses the Eq. 8 expression without rectification (ANCHORS 1.1,
    pitfall 1).

    Examples
    --------
    >>> p = MileusnicSpindle()
    >>> ia, ii = spindle_afferents(spindle_equilibrium(0.95, 0.0, 70.0, p), 0.95, p)
    >>> round(float(ia)), round(float(ii))
    (65, 36)
    """
    with jax.named_scope("spindle"):
        fibres = _fibres(params)
        sensory_stretch = state.tension / fibres.sensory_stiffness - (
            fibres.sensory_threshold_length - fibres.sensory_rest_length
        )
        primary = fibres.primary_gain * jnp.maximum(sensory_stretch, 0.0)
        polar_stretch = (
            fibre_length_norm - state.tension / fibres.sensory_stiffness - fibres.sensory_rest_length
            - fibres.polar_threshold_length
        )
        fraction = fibres.secondary_sensory_fraction
        ending = fibres.secondary_ending_length
        secondary = fibres.secondary_gain * jnp.maximum(
            fraction * ending / fibres.sensory_rest_length * sensory_stretch
            + (1.0 - fraction) * ending / fibres.polar_rest_length * polar_stretch,
            0.0,
        )
        dynamic = primary[0]
        static = primary[1] + primary[2]
        ia = jnp.maximum(dynamic, static) + params.occlusion * jnp.minimum(dynamic, static)
        ii = secondary[0] + secondary[1] + secondary[2]  # a sum over the fibres, as elementwise adds
        return ia, ii


def spindle_step(
    state: SpindleState,
    fibre_length_norm,
    fibre_velocity,
    gamma_dynamic,
    gamma_static,
    params: MileusnicSpindle,
    dt,
):
    """One step of the mass-less spindle for the reflex loop (stable and accurate at dt = 1 ms).

    Parameters
    ----------
    state : SpindleState
        State at time t.
    fibre_length_norm : scalar, L0
        Fascicle length at the end of the step, t + dt (backward Euler); passing the value at t
        delays the spindle by one step.
    fibre_velocity : scalar, L0/s
        Lengthening velocity over the step (at t + dt, or (L(t+dt) - L(t))/dt).
    gamma_dynamic, gamma_static : scalar, pps
        Fusimotor rates, held constant over the step.
    params : MileusnicSpindle
    dt : scalar, s

    Returns
    -------
    state : SpindleState
        State at t + dt.
    ia_pps, ii_pps : scalars, pps
        Afferent rates at t + dt (:func:`spindle_afferents`).

    Notes
    -----
    With M -> 0 Eq. 6 becomes the force balance of the polar region (ANCHORS 1.1 pitfall 2; the
    ceinms2 ``Mileusnic2006MuscleSpindle`` also drops the mass)::

        T = C beta sign(v) |v|^a (x - R) + K_PR (x - L0PR) + Gamma,    T' = K_SR (L' - v)

    Backward Euler, ``T1 = T0 + dt K_SR (L' - v)``, turns it into one scalar equation per fibre in
    ``w = sign(v) |v|^a`` (monotone increasing, so the root is unique)::

        phi(w) = C beta w (x(w) - R) + K_PR (x(w) - L0PR) + Gamma - T(w) = 0,
        T(w) = T0 + dt K_SR (L' - sign(w)|w|^(1/a)),   x(w) = L - L0SR - T(w)/K_SR.

    ``sign(w)`` equals the sign of ``-phi(0)``, which does not depend on C, so the paper's
    C_L/C_S switch on the polar-region velocity is applied exactly, without smoothing. In ``w`` the
    equation has no infinite slope (|v|^a becomes |w|^(1/a) with 1/a > 1), and
    ``|w| <= min(|b|/D, (|b|/k)^a)`` (b = -phi(0), D = C beta (x - R), k = dt (K_SR + K_PR)) gives an
    upper-bound start from which Newton on the convex branch converges monotonically.
    :data:`NEWTON_ITERATIONS` iterations run without gradient, then one final Newton step carries the
    implicit-function gradient. Backward Euler is L-stable, so the step is stable for any dt; its
    accuracy against the full model at dt = 1 ms is tested.

    Deviations from the paper: no mass, so the M L'' term and the ~38 Hz mass-spring ringing that
    the full model shows for some 50 ms after the onset of a fast ramp are absent (the step follows
    the ring-averaged response; peaks of fast ramps differ by up to ~5 %, see the tests); the
    damper's length factor ``x - R`` is floored at :data:`DAMPER_LENGTH_FLOOR` (acts only below
    about 0.52 L0) and beta at :data:`DAMPING_FLOOR` (reachable only with off-table parameters).

    The fusimotor lags are integrated exactly for a drive held over the step:
    ``f1 = f_target + (f0 - f_target) exp(-dt/tau)``.

    Examples
    --------
    >>> p = MileusnicSpindle()
    >>> state = spindle_equilibrium(1.0, 0.0, 0.0, p)
    >>> state, ia, ii = spindle_step(state, 1.001, 1.0, 0.0, 0.0, p, 1e-3)
    >>> bool(ia > 0)
    True
    """
    with jax.named_scope("spindle"):
        fibres = _fibres(params)
        targets = _activation_targets(gamma_dynamic, gamma_static, fibres)
        lagged = stack([state.bag1_activation, state.bag2_activation])
        lag = fibres.activation_time_constant[:2]
        decay = jnp.where(lag > 0, jnp.exp(-dt / jnp.where(lag > 0, lag, 1.0)), 0.0)  # tau = 0: instant
        lagged = targets[:2] + (lagged - targets[:2]) * decay
        activations = jnp.concatenate([lagged, targets[2:]])
        beta, force = _fibre_drive(activations, fibres)

        k_sr = fibres.sensory_stiffness
        k_pr = fibres.polar_stiffness
        inverse_exponent = 1.0 / fibres.velocity_exponent
        tension_predicted = state.tension + dt * k_sr * fibre_velocity  # T(w = 0)
        length_predicted = fibre_length_norm - fibres.sensory_rest_length - tension_predicted / k_sr
        # b = -phi(0): the force the damper must absorb; w has its sign
        imbalance = tension_predicted - k_pr * (length_predicted - fibres.polar_rest_length) - force
        asymmetry = jnp.where(imbalance >= 0, fibres.lengthening_coefficient, fibres.shortening_coefficient)
        damping = asymmetry * jnp.maximum(beta, DAMPING_FLOOR)

        def residual_and_slope(w):
            # |w|^(1/a) and its slope (1/a)|w|^(1/a - 1) from one logarithm and one exponential
            size = jnp.abs(w)
            positive = size > 0
            safe = jnp.where(positive, size, 1.0)
            magnitude = jnp.where(positive, jnp.exp(inverse_exponent * fastmath.log(safe)), 0.0)
            polar_velocity = jnp.sign(w) * magnitude
            velocity_slope = inverse_exponent * magnitude / safe
            polar_length = length_predicted + dt * polar_velocity
            lever = polar_length - fibres.zero_force_length
            lever_floored = jnp.maximum(lever, DAMPER_LENGTH_FLOOR)
            lever_slope = jnp.where(lever > DAMPER_LENGTH_FLOOR, dt * velocity_slope, 0.0)
            residual = damping * w * lever_floored + (dt * (k_sr + k_pr)) * polar_velocity - imbalance
            slope = damping * (lever_floored + w * lever_slope) + dt * (k_sr + k_pr) * velocity_slope
            return residual, slope

        # Bracketing start: both terms of phi share the sign of w, so each alone bounds |w|.
        lever0 = jnp.maximum(length_predicted - fibres.zero_force_length, DAMPER_LENGTH_FLOOR)
        size = jnp.abs(imbalance)
        w = jnp.sign(imbalance) * jnp.minimum(
            size / (damping * lever0), _power(size / (dt * (k_sr + k_pr)), fibres.velocity_exponent)
        )
        w = jax.lax.stop_gradient(w)
        for _ in range(NEWTON_ITERATIONS):  # unrolled at trace time: a fixed, small count
            residual, slope = residual_and_slope(w)
            w = w - residual / slope
        w = jax.lax.stop_gradient(w)
        residual, slope = residual_and_slope(w)  # final step: the implicit-function gradient
        w = w - residual / slope

        polar_velocity = _signed_power(w, inverse_exponent)
        tension = tension_predicted - dt * k_sr * polar_velocity
        new_state = SpindleState(
            tension=tension,
            tension_rate=k_sr * (fibre_velocity - polar_velocity),
            bag1_activation=lagged[0],
            bag2_activation=lagged[1],
        )
        ia, ii = spindle_afferents(new_state, fibre_length_norm, params)
        return new_state, ia, ii


# --------------------------------------------------------------------------------------------------
# Trajectory responses
# --------------------------------------------------------------------------------------------------


def _as_drive(gamma, length):
    gamma = jnp.asarray(gamma, dtype=float)
    return jnp.broadcast_to(gamma, length.shape) if gamma.ndim == 0 else gamma


def _response_full(length, velocity, acceleration, gamma_dynamic, gamma_static, params, dt):
    """Explicit midpoint (RK2) integration of :func:`spindle_derivatives`."""

    def midpoint(a):
        return 0.5 * (a[:-1] + a[1:])

    inputs = (
        length[:-1], midpoint(length), length[1:], velocity,
        acceleration[:-1], midpoint(acceleration),
        gamma_dynamic[:-1], midpoint(gamma_dynamic), gamma_static[:-1], midpoint(gamma_static),
    )

    def advance(state, step_inputs):
        l0, l_mid, l1, v, a0, a_mid, gd0, gd_mid, gs0, gs_mid = step_inputs
        k1 = spindle_derivatives(state, l0, v, a0, gd0, gs0, params)
        half = jax.tree_util.tree_map(lambda y, dy: y + 0.5 * dt * dy, state, k1)
        k2 = spindle_derivatives(half, l_mid, v, a_mid, gd_mid, gs_mid, params)
        state = jax.tree_util.tree_map(lambda y, dy: y + dt * dy, state, k2)
        return state, spindle_afferents(state, l1, params)

    initial = spindle_equilibrium(length[0], gamma_dynamic[0], gamma_static[0], params)
    _, (ia, ii) = jax.lax.scan(advance, initial, inputs)
    return initial, ia, ii


def _response_loop(length, velocity, acceleration, gamma_dynamic, gamma_static, params, dt):
    """Backward-Euler steps of the mass-less model (:func:`spindle_step`)."""
    del acceleration  # the mass-less model has no acceleration term

    def advance(state, step_inputs):
        l1, v, gd1, gs1 = step_inputs
        state, ia, ii = spindle_step(state, l1, v, gd1, gs1, params, dt)
        return state, (ia, ii)

    initial = spindle_equilibrium(length[0], gamma_dynamic[0], gamma_static[0], params)
    inputs = (length[1:], velocity, gamma_dynamic[1:], gamma_static[1:])
    _, (ia, ii) = jax.lax.scan(advance, initial, inputs)
    return initial, ia, ii


RESPONSE_METHODS = {
    "full": (_response_full, MILEUSNIC_EQ + ", Eqs. 1, 4-8 with mass M; explicit midpoint, dt <= 20 us"),
    "loop": (_response_loop, MILEUSNIC_EQ + ", mass-less (M -> 0) force balance; backward Euler"),
}
"""Integration methods of :func:`spindle_response`: name -> (function, reference)."""


def spindle_response(
    fibre_length_norm_trajectory,
    dt,
    gamma_dynamic,
    gamma_static,
    params: MileusnicSpindle,
    method: Literal["full", "loop"] = "full",
    *,
    fibre_acceleration_trajectory=None,
):
    """Ia and II rates of a spindle driven along a sampled length trajectory.

    Parameters
    ----------
    fibre_length_norm_trajectory : array (time,), L0
        Fascicle length sampled every ``dt``, read as piecewise linear between samples; the spindle
        starts at equilibrium at the first sample.
    dt : float, s
        Sample interval; at most 50 us for ``method="full"`` (20 us or less for reference work).
    gamma_dynamic, gamma_static : scalar or array (time,), pps
        Fusimotor rates.
    params : MileusnicSpindle
    method : {"full", "loop"}
        ``"full"``: the paper's model with mass (:func:`spindle_derivatives`), explicit midpoint.
        ``"loop"``: the mass-less backward-Euler model of the reflex loop (:func:`spindle_step`).
    fibre_acceleration_trajectory : array (time,), L0/s^2, optional
        ``L''`` for the mass term of the full model. By default it is 0 within every sample interval
        (the impulses at the corners of a piecewise-linear path are not applied), which is how the
        reference table of ANCHORS 1.1 was made.

    Returns
    -------
    ia, ii : arrays (time,), pps

    Notes
    -----
    The velocity in each interval is the slope ``(L[n+1] - L[n])/dt``. The full model's stages use
    ``L[n]`` and the interval midpoint. See :func:`spindle_derivatives` and :func:`spindle_step`.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0.0, 0.3, 1e-3)
    >>> length = np.clip(0.95 + 0.65 * (t - 0.05), 0.95, 1.08)
    >>> ia, ii = spindle_response(length, 1e-3, 0.0, 0.0, MileusnicSpindle(), method="loop")
    >>> ia.shape, bool(ia.max() > 100)
    ((300,), True)
    """
    if method not in RESPONSE_METHODS:
        raise ParameterError(
            describe("spindle_response method", f"one of {sorted(RESPONSE_METHODS)}", repr(method))
        )
    if not isinstance(dt, jax.core.Tracer):
        dt_value = float(dt)
        limit = FULL_MAX_DT if method == "full" else float("inf")
        if not 0.0 < dt_value <= limit:
            raise ParameterError(
                describe(
                    f"spindle_response dt (method={method!r})",
                    f"a step in (0, {limit:g}] s",
                    f"{dt_value:g} s",
                    'use method="loop" for reflex-loop steps of 0.5-1 ms' if method == "full" else "",
                )
            )
    if method == "loop" and fibre_acceleration_trajectory is not None:
        raise ParameterError(
            describe("fibre_acceleration_trajectory", 'None for method="loop" (the mass-less model has no '
                     "acceleration term)", "an array")
        )
    with jax.named_scope("spindle"):
        length = jnp.asarray(fibre_length_norm_trajectory, dtype=float)
        velocity = (length[1:] - length[:-1]) / dt
        if fibre_acceleration_trajectory is None:
            acceleration = jnp.zeros_like(length)
        else:
            acceleration = jnp.asarray(fibre_acceleration_trajectory, dtype=float)
        function, _ = RESPONSE_METHODS[method]
        initial, ia, ii = function(
            length, velocity, acceleration, _as_drive(gamma_dynamic, length), _as_drive(gamma_static, length),
            params, dt,
        )
        ia0, ii0 = spindle_afferents(initial, length[0], params)
        return jnp.concatenate([ia0[None], ia]), jnp.concatenate([ii0[None], ii])


# --------------------------------------------------------------------------------------------------
# Prochazka & Gorassini 1998
# --------------------------------------------------------------------------------------------------


class ProchazkaSpindle(SpindleModel):
    """Power-law Ia rate model (Prochazka & Gorassini 1998; coefficients per ANCHORS 1.2).

    Stateless (its state is ``None``) and without a secondary ending: II is 0. The fusimotor
    co-activation enters through the muscle's excitation (``emg``), not through gamma rates.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> _, ia, ii = ProchazkaSpindle().rest(jnp.array([1.0, 1.01]), optimal_fibre_length=0.1, emg=0.0)
    >>> [round(float(rate), 6) for rate in ia], [float(rate) for rate in ii]
    ([82.0, 84.0], [0.0, 0.0])
    """

    reference: ClassVar[str] = PROCHAZKA + " power law (ANCHORS 1.2)"
    velocity_coefficient: float = param(
        4.3, unit="pps/(mm/s)^0.6", bounds=(0.0, 50.0),
        source=PROCHAZKA + " power-law model; 4.3 as implemented in public codes citing Prochazka 1999 "
        "Prog Brain Res 123:133 (ANCHORS 1.2 V-code; not read in the paper)",
    )
    velocity_exponent: float = param(
        0.6, unit="1", bounds=(0.2, 1.0),
        source=PROCHAZKA + " abstract: best fits with a velocity power 0.5-0.6 (ANCHORS 1.2 V-abs); 0.6 as "
        "implemented in public codes",
    )
    length_coefficient: float = param(
        2.0, unit="pps/mm", bounds=(0.0, 50.0),
        source=PROCHAZKA + " power-law model; 2 as implemented in public codes citing Prochazka 1999 "
        "(ANCHORS 1.2 V-code; not read in the paper)",
    )
    emg_coefficient: float = param(
        0.06, unit="pps/EMG unit", bounds=(0.0, 10.0),
        source="UNVERIFIED: ~0.06 quoted from Prochazka 1999 via Ekeberg & Pearson 2005 J Neurophysiol "
        "94:4256 appendix (ANCHORS 1.2); EMG scale of the source not confirmed",
        doc="fusimotor co-activation term per unit of the emg input",
    )
    mean_rate: float = param(
        82.0, unit="pps", bounds=(0.0, 300.0),
        source="82 pps as in one public implementation, ~80 in others (ANCHORS 1.2 V-code; UNVERIFIED "
        "against " + PROCHAZKA + ")",
    )

    def rest(self, fibre_length_norm, **inputs):
        """The rates at rest: :meth:`step` at zero fibre velocity."""
        return self.step(None, fibre_length_norm, jnp.zeros_like(fibre_length_norm), None, **inputs)

    def step(self, state, fibre_length_norm, fibre_velocity, dt, *, optimal_fibre_length, emg, **_):
        """:func:`prochazka_ia` of the stretch from optimal length (m) and the fibre velocity (m/s)."""
        stretch = (fibre_length_norm - 1.0) * optimal_fibre_length
        velocity = fibre_velocity * optimal_fibre_length
        ia = prochazka_ia(velocity, stretch, emg, self)
        return state, ia, jnp.zeros_like(ia)


def prochazka_ia(stretch_velocity, stretch, emg, params: ProchazkaSpindle):
    """Ia firing rate of the Prochazka & Gorassini 1998 power-law model.

    Parameters
    ----------
    stretch_velocity : array, m/s
        Muscle (fibre) lengthening velocity.
    stretch : array, m
        Length change from the rest length.
    emg : array
        EMG in the scale the coefficient assumes (see :class:`ProchazkaSpindle`).
    params : ProchazkaSpindle

    Returns
    -------
    array, pps
        ``max(0, k_v sign(v) |v|^e + k_d d + k_EMG EMG + C)`` with v in mm/s and d in mm (the units
        of the source; converted here from SI).

    Notes
    -----
    The gradient with respect to the velocity at exactly v = 0 (infinite for e < 1) is returned as 0.

    Examples
    --------
    >>> round(float(prochazka_ia(1e-3, 0.0, 0.0, ProchazkaSpindle())), 6)
    86.3
    """
    with jax.named_scope("spindle"):
        velocity_mm = jnp.asarray(stretch_velocity, dtype=float) / MM
        stretch_mm = jnp.asarray(stretch, dtype=float) / MM
        rate = (
            params.velocity_coefficient * _signed_power(velocity_mm, params.velocity_exponent)
            + params.length_coefficient * stretch_mm
            + params.emg_coefficient * jnp.asarray(emg, dtype=float)
            + params.mean_rate
        )
        return jnp.maximum(rate, 0.0)


SPINDLES = Registry("spindle model", {"mileusnic": MileusnicSpindle, "prochazka": ProchazkaSpindle})
"""The spindle variants of the reflex loop by name (``default_params(spindle=...)``)."""
