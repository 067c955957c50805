"""Hill-type muscle with a compliant (or rigid) tendon and first-order activation dynamics.

Curves: De Groote et al. 2016 smooth force-length, force-velocity, passive and tendon curves with
the coefficients OpenSim adjusted so that they pass through their key points
(``DeGrooteFregly2016Muscle``; ANCHORS 2.1). Activation: De Groote et al. 2016 smooth
activation/deactivation dynamics (ANCHORS 2.2) with the tanh switch steepness b = 10 that OpenSim
recommends instead of the paper's 0.1 (opensim-core issue #3990 / PR #4007; see
:func:`activation_rate`).

Glossary (normalised quantities, as in the paper)::

    l~   = l_M / l_opt               fibre length, optimal fibre lengths (fibre_length_norm)
    v~   = v_M / (v_max l_opt)       fibre velocity, maximum contraction velocities (lengthening +)
    l~_T = l_T / l_slack             tendon length, tendon slack lengths
    f~   = F / F_max                 force, maximum isometric forces

Musculotendon geometry (constant-thickness pennation, Zajac 1989)::

    l_MT = l_T + l_M cos(alpha),     l_M sin(alpha) = l_opt sin(alpha_opt)

Force balance along the tendon (the implicit equation :func:`muscle_step` solves)::

    f_T(l~_T) = cos(alpha) (a f_L(l~) f_V(v~) + f_PE(l~) + d v~)

References: De Groote F, Kinney AL, Rao AV, Fregly BJ (2016) Ann Biomed Eng 44:2922-2936
(``degroote2016``); OpenSim ``DeGrooteFregly2016Muscle.h`` for the adjusted coefficients;
Zajac FE (1989) Crit Rev Biomed Eng 17:359-411 for the pennation model; Millard M et al. (2013)
J Biomech Eng 135:021005 for the maximum pennation angle.

Tendon variants: one parameter class each, siblings under the abstract :class:`MuscleParams`,
registered by name in :data:`TENDONS`: :class:`CompliantTendonMuscle` (the default; it alone
has ``tendon_strain_at_unit_force``) and :class:`RigidTendonMuscle`.
"""

from __future__ import annotations

import abc
import math
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex import fastmath
from myoreflex.params import param
from myoreflex.registry import Registry

DEGROOTE = "De Groote et al. 2016 (Ann Biomed Eng 44:2922), coefficients as adjusted in OpenSim "
DEGROOTE += "DeGrooteFregly2016Muscle.h (ANCHORS 2.1)"
GASMED = "Rajagopal et al. 2016 full-body model, medial gastrocnemius (gasmed_r); a generic default"

# --- De Groote 2016 curve coefficients (ANCHORS 2.1, OpenSim-adjusted b11, d1, d4, c2, c3) --------
#: Active force-length: three Gaussian-like terms, rows i = 1..3 of (b1i, b2i, b3i, b4i).
ACTIVE_FORCE_LENGTH_COEFFICIENTS = (
    (0.8150671134243542, 1.055033428970575, 0.162384573599574, 0.063303448465465),
    (0.433004984392647, 0.716775413397760, -0.029947116970696, 0.200356847296188),
    (0.1, 1.0, 0.5 * math.sqrt(0.5), 0.0),
)
#: Force-velocity: f_V = d1 asinh(d2 v~ + d3) + d4 (the paper writes the asinh as a log).
FORCE_VELOCITY_COEFFICIENTS = (-0.3211346127989808, -8.149, -0.374, 0.8825327733249912)
#: Tendon: f_T = c1 exp(k_T (l~_T - c2)) - c3 (paper: c2 = 0.995, c3 = 0.25; OpenSim 1.0, 0.2).
TENDON_COEFFICIENTS = (0.2, 1.0, 0.2)
#: Passive fibre force is zero at this normalised length (OpenSim offset; the paper's offset is 1).
PASSIVE_ZERO_LENGTH_NORM = 0.2
#: Fibre-length bounds (normalised) of OpenSim's DeGrooteFregly2016Muscle (ANCHORS 2.1).
MIN_FIBRE_LENGTH_NORM = 0.2
MAX_FIBRE_LENGTH_NORM = 1.8
#: Largest pennation angle allowed, acos(0.1): Millard et al. 2013 / OpenSim default (ANCHORS 2.2).
MAX_PENNATION = math.acos(0.1)
MAX_FORCE = 6.0
"""Largest tendon force a simulation may reach, in maximal isometric forces (F_max). The muscle model
makes at most about 4 F_max inside its documented fibre range with the presets' curves: 1.79 F_max
active in fast lengthening at optimal length (f_V(1), :func:`force_velocity`), and about 4 F_max
active plus passive at the longest fibre length, 1.8 l_opt (:data:`MAX_FIBRE_LENGTH_NORM`;
tests/physiology/test_muscle.py computes both). Past that length the fibre is held and the tendon
takes the stretch: 6 F_max is a tendon strain of 9.4 % on the tendon curve at its default stiffness,
where tendons tear in tensile tests (macroscopic failure from about 8-10 % strain; Butler et al.
1978 Exerc Sport Sci Rev 6:125). (myoreflex.model.physical_limits)"""

#: Newton iterations per implicit step (started from the previous fibre length; see muscle_step).
STEP_ITERATIONS = 5
#: Newton-bisection iterations for the static equilibrium (started from a rigid-tendon guess).
EQUILIBRIUM_ITERATIONS = 40


class MuscleParams(eqx.Module):
    """One musculotendon unit: architecture, curve shapes, activation dynamics (abstract).

    What every tendon variant shares. A variant is a concrete class with the three methods below,
    registered by name in :data:`TENDONS`: :class:`CompliantTendonMuscle` (the default) and
    :class:`RigidTendonMuscle`; its type picks the code of :func:`muscle_equilibrium` and
    :func:`muscle_step` at trace time. The default architecture is a generic long-tendon ankle
    muscle (medial gastrocnemius); a joint sets per-muscle values.
    """

    reference: ClassVar[str]

    max_isometric_force: float = param(
        3115.51, unit="N", bounds=(1.0, 20000.0), source=GASMED + ": max_isometric_force"
    )
    optimal_fibre_length: float = param(
        0.051,
        unit="m",
        bounds=(0.005, 0.5),
        source=GASMED + ": optimal fibre length as used in an OpenSim isolated-muscle example "
        "(unverified against the model file)",
    )
    tendon_slack_length: float = param(
        0.399,
        unit="m",
        bounds=(0.005, 0.6),
        source=GASMED + ": tendon slack length 0.39872 m as used in an OpenSim isolated-muscle example "
        "(unverified against the model file)",
    )
    pennation_at_optimal: float = param(
        0.16568, unit="rad", bounds=(0.0, 0.7), source=GASMED + ": pennation_angle_at_optimal"
    )
    max_contraction_velocity: float = param(
        10.0,
        unit="1/s",
        bounds=(2.0, 25.0),
        source="OpenSim Muscle default max_contraction_velocity, 10 optimal fibre lengths per s "
        "(ANCHORS 2.1)",
        doc="optimal fibre lengths per second",
    )
    passive_strain_at_unit_force: float = param(
        0.6,
        unit="1",
        bounds=(0.2, 1.5),
        source=DEGROOTE + ": passive_fiber_strain_at_one_norm_force e0",
    )
    passive_shape: float = param(4.0, unit="1", bounds=(1.0, 10.0), source=DEGROOTE + ": k_PE")
    fibre_damping: float = param(
        0.01,
        unit="1",
        bounds=(0.0, 1.0),
        source="third-party reuse value of the OpenSim fiber_damping (OpenSim default 0; 0.01 in "
        "third-party reuses of DeGrooteFregly2016Muscle, unverified for PredSim; ANCHORS 2.1); keeps "
        "the fibre velocity defined at zero activation",
        doc="normalised force per normalised fibre velocity",
    )
    activation_time: float = param(
        0.015, unit="s", bounds=(0.002, 0.1), source="De Groote et al. 2016: tau_a (ANCHORS 2.2)"
    )
    deactivation_time: float = param(
        0.060, unit="s", bounds=(0.01, 0.3), source="De Groote et al. 2016: tau_d (ANCHORS 2.2)"
    )
    activation_smoothing: float = param(
        10.0,
        unit="1",
        bounds=(0.01, 100.0),
        source="van den Bogert, opensim-core issue #3990 (2025) and PR #4007: De Groote et al. 2016's "
        "b = 0.1 blends activation and deactivation almost half-and-half (deactivation from a = 0.2 "
        "falls with a 19 ms time constant, not tau_d); OpenSim now warns and recommends b = 10, which "
        "restores the switch between tau_a and tau_d (ANCHORS 2.2)",
        doc="steepness of the tanh switch between activation and deactivation rates",
    )

    @abc.abstractmethod
    def equilibrium_fibre_length_norm(self, musculotendon_length, activation):
        """Normalised fibre length in static equilibrium (zero fibre velocity)."""

    @abc.abstractmethod
    def step_fibre_length_norm(self, musculotendon_length, activation, previous, dt):
        """Normalised fibre length at the end of a step of ``dt`` (s) from ``previous``."""

    @abc.abstractmethod
    def tendon_force_and_stiffness(self, musculotendon_length, fibre_length_norm, along, pull, fibre_slope):
        """Normalised tendon force and the elastic slope of the musculotendon (1/m), from the
        fibre's length, its length along the tendon ``along`` (l_opt), its pull along the tendon
        ``pull`` (1) and that pull's elastic slope ``fibre_slope`` (1/m)."""


class MuscleState(eqx.Module):
    """Evolving state of one muscle: ``activation`` (1) and ``fibre_length`` (m)."""

    activation: jax.Array
    fibre_length: jax.Array


class MuscleOutput(eqx.Module):
    """What one muscle step reports.

    ``tendon_force`` (N, >= 0); ``fibre_length_norm`` (1); ``fibre_velocity`` (optimal fibre
    lengths per s, lengthening positive); ``activation`` (1); ``active_fibre_force`` (N, along the
    fibre, ``F_max a f_L f_V``); ``passive_fibre_force`` (N, along the fibre, elastic plus damping,
    ``F_max (f_PE + d v~)``); ``stiffness`` (N/m, >= 0): the elastic slope of the tendon force
    against the musculotendon length, tendon and fibre in series with activation and fibre
    velocity held (the static stiffness at rest), which the limb integrator uses to take very stiff
    muscles implicitly (model.step).
    """

    tendon_force: jax.Array
    fibre_length_norm: jax.Array
    fibre_velocity: jax.Array
    activation: jax.Array
    active_fibre_force: jax.Array
    passive_fibre_force: jax.Array
    stiffness: jax.Array


# --- curves -----------------------------------------------------------------------------------


def active_force_length(fibre_length_norm):
    """Active force-length multiplier f_L (1) of the normalised fibre length.

    Notes
    -----
    ``f_L(l~) = sum_i b1i exp(-0.5 ((l~ - b2i) / (b3i + b4i l~))^2)`` (De Groote et al. 2016,
    supplement; b11 as adjusted in OpenSim so that f_L(1) = 1).

    Examples
    --------
    >>> round(float(active_force_length(1.0)), 4)
    1.0
    """
    total = 0.0
    for b1, b2, b3, b4 in ACTIVE_FORCE_LENGTH_COEFFICIENTS:
        width = b3 + b4 * fibre_length_norm
        total = total + b1 * jnp.exp(-0.5 * ((fibre_length_norm - b2) / width) ** 2)
    return total


def force_velocity(fibre_velocity_norm):
    """Force-velocity multiplier f_V (1) of the normalised fibre velocity (lengthening positive).

    Notes
    -----
    ``f_V(v~) = d1 ln(d2 v~ + d3 + sqrt((d2 v~ + d3)^2 + 1)) + d4`` (De Groote et al. 2016), i.e.
    ``d1 asinh(d2 v~ + d3) + d4``; f_V(-1) = 0, f_V(0) = 1, f_V(1) = 1.794.

    Examples
    --------
    >>> round(float(force_velocity(0.0)), 4)
    1.0
    """
    d1, d2, d3, d4 = FORCE_VELOCITY_COEFFICIENTS
    return d1 * _asinh(d2 * fibre_velocity_norm + d3) + d4


def _asinh(z):
    """asinh z = ln(|z| + sqrt(z^2 + 1)), odd: the paper's log form, one log and one square root.

    Cheaper inside the simulation loop than ``jnp.arcsinh`` (whose general form XLA evaluates in two
    branches, each with its own log); within 1e-15 of it over |z| <= 50 (measured), and its
    derivative is 1/sqrt(z^2 + 1) everywhere, z = 0 included.
    """
    negative = z < 0.0
    magnitude = jnp.where(negative, -z, z)
    value = fastmath.log(magnitude + jnp.sqrt(z * z + 1.0))
    return jnp.where(negative, -value, value)


def force_velocity_inverse(force_multiplier):
    """Normalised fibre velocity v~ at which f_V(v~) equals ``force_multiplier``.

    Notes
    -----
    ``v~ = (sinh((f - d4) / d1) - d3) / d2``, the closed-form inverse of :func:`force_velocity`.

    Examples
    --------
    >>> round(float(force_velocity_inverse(0.0)), 3)
    -1.0
    """
    d1, d2, d3, d4 = FORCE_VELOCITY_COEFFICIENTS
    return (jnp.sinh((force_multiplier - d4) / d1) - d3) / d2


def passive_force_length(fibre_length_norm, params: MuscleParams):
    """Passive (parallel elastic) fibre force f_PE (1) of the normalised fibre length.

    Notes
    -----
    ``f_PE(l~) = (exp(k_PE (l~ - 1) / e0) - o) / (exp(k_PE) - o)`` with
    ``o = exp(k_PE (0.2 - 1) / e0)`` so that f_PE(0.2) = 0 and f_PE(1 + e0) = 1 (De Groote et al.
    2016 with OpenSim's offset; the paper uses o = 1).

    Examples
    --------
    >>> round(float(passive_force_length(1.6, CompliantTendonMuscle())), 4)
    1.0
    """
    # Written with the parameter quotients apart, so that inside the unrolled Newton iterations of
    # a time step XLA computes them once (common subexpressions) instead of dividing per iteration.
    rate = params.passive_shape / params.passive_strain_at_unit_force
    offset = jnp.exp(rate * (PASSIVE_ZERO_LENGTH_NORM - 1.0))
    scale = 1.0 / (jnp.exp(params.passive_shape) - offset)
    return (jnp.exp(rate * (fibre_length_norm - 1.0)) - offset) * scale


def _tendon_stiffness_exponent(params: CompliantTendonMuscle):
    """k_T = ln((1 + c3) / c1) / strain_at_unit_force, so that f_T(1 + strain) = 1."""
    c1, _, c3 = TENDON_COEFFICIENTS
    return math.log((1.0 + c3) / c1) / params.tendon_strain_at_unit_force


def tendon_force_length(tendon_length_norm, params: CompliantTendonMuscle):
    """Normalised tendon force f_T (1) of the normalised tendon length.

    Notes
    -----
    ``f_T(l~_T) = c1 exp(k_T (l~_T - c2)) - c3`` with c1 = 0.2, c2 = 1, c3 = 0.2 and
    ``k_T = ln((1 + c3) / c1) / strain_at_unit_force`` (36.57 for 0.049; De Groote et al. 2016 as
    parameterised in OpenSim). Negative (down to -c3) below slack length; :func:`muscle_step`
    reports the force clipped at 0.

    Examples
    --------
    >>> round(float(tendon_force_length(1.049, CompliantTendonMuscle())), 4)
    1.0
    """
    c1, c2, c3 = TENDON_COEFFICIENTS
    return c1 * jnp.exp(_tendon_stiffness_exponent(params) * (tendon_length_norm - c2)) - c3


def tendon_length_from_force(tendon_force_norm, params: CompliantTendonMuscle):
    """Normalised tendon length l~_T at which the tendon carries ``tendon_force_norm`` (> -0.2).

    Notes
    -----
    ``l~_T = c2 + ln((f + c3) / c1) / k_T``, the inverse of :func:`tendon_force_length`.

    Examples
    --------
    >>> round(float(tendon_length_from_force(1.0, CompliantTendonMuscle())), 4)
    1.049
    """
    c1, c2, c3 = TENDON_COEFFICIENTS
    return c2 + jnp.log((tendon_force_norm + c3) / c1) / _tendon_stiffness_exponent(params)


# --- activation -------------------------------------------------------------------------------


def _activation_rate_constant(activation, excitation, params: MuscleParams):
    """The bracket k(a, e) > 0 of da/dt = k(a, e) (e - a) (De Groote et al. 2016)."""
    blend = 0.5 * jnp.tanh(params.activation_smoothing * (excitation - activation))
    scale = 0.5 + 1.5 * activation
    return (blend + 0.5) / (params.activation_time * scale) + scale * (0.5 - blend) / params.deactivation_time


def activation_rate(activation, excitation, params: MuscleParams):
    """Time derivative of activation (1/s) for a given excitation (both in [0, 1]).

    Notes
    -----
    De Groote et al. 2016 (ANCHORS 2.2)::

        da/dt = [ (f + 1/2) / (tau_a (0.5 + 1.5 a)) + (0.5 + 1.5 a)(1/2 - f) / tau_d ] (e - a)
        f = 1/2 tanh(b (e - a))

    With the paper's b = 0.1 the two rates are blended almost half-and-half for |e - a| <= 1, so
    activation and deactivation run at almost the same speed (deactivation from a = 0.2 with a
    19 ms time constant instead of tau_d = 60 ms; van den Bogert, opensim-core issue #3990, 2025).
    The default here is b = 10, the value OpenSim now recommends (opensim-core PR #4007): close to
    the switch-like Thelen/Winters form for |e - a| > 0.2, still smooth. Measured 63 % times
    (tests/physiology/test_muscle.py): rise 0 -> 1 in 15.8 ms, 0 -> 0.2 in 10.0 ms; fall from
    0.2 to 0 in 53.6 ms, from 1 to 0 in 42.9 ms (published tau_a 10-15 ms, tau_d 40-60 ms:
    De Groote et al. 2016, Thelen 2003, Millard et al. 2013; ANCHORS 2.2).

    Examples
    --------
    >>> float(activation_rate(0.5, 0.5, CompliantTendonMuscle()))
    0.0
    """
    return _activation_rate_constant(activation, excitation, params) * (excitation - activation)


def activation_step(activation, excitation, params: MuscleParams, dt):
    """Activation (1) after one step of ``dt`` (s) with excitation held constant over the step.

    Notes
    -----
    An exponential integrator: the ODE is ``da/dt = k(a, e)(e - a)`` with ``k > 0``, so with the
    rate frozen it has the exact solution ``a+ = e + (a - e) exp(-k dt)``. The rate is taken at a
    half-step predictor (exponential midpoint rule, second order in ``dt``). Because ``k > 0`` the
    update always lands between ``a`` and ``e``: it never overshoots and stays in [0, 1] for any
    ``dt`` (unconditionally stable, monotone), unlike explicit Euler, which needs
    ``dt < 2 / k_max`` (about 15 ms for tau_a = 15 ms at a = 0, but shrinking with faster time
    constants). The excitation is clipped to [0, 1].

    Examples
    --------
    >>> a = activation_step(0.0, 1.0, CompliantTendonMuscle(), 1e-3)
    >>> 0.0 < float(a) < 1.0
    True
    """
    excitation = jnp.clip(excitation, 0.0, 1.0)
    gap = activation - excitation
    rate0 = _activation_rate_constant(activation, excitation, params)
    midpoint = excitation + gap * jnp.exp(-0.5 * rate0 * dt)
    rate_mid = _activation_rate_constant(midpoint, excitation, params)
    return excitation + gap * jnp.exp(-rate_mid * dt)


# --- geometry and the force balance ---------------------------------------------------------------


def _min_fibre_length_norm(params: MuscleParams):
    """Shortest normalised fibre length: 0.2, or where pennation reaches acos(0.1)."""
    return jnp.maximum(MIN_FIBRE_LENGTH_NORM, jnp.sin(params.pennation_at_optimal) / math.sin(MAX_PENNATION))


def _fibre_along_tendon_norm(fibre_length_norm, params: MuscleParams):
    """l~ cos(alpha) = sqrt(l~^2 - sin(alpha_opt)^2) (constant thickness), in optimal lengths."""
    width = jnp.sin(params.pennation_at_optimal)
    return jnp.sqrt(fibre_length_norm**2 - width**2)


def _fibre_forces_norm(fibre_length_norm, fibre_velocity_norm, activation, params: MuscleParams):
    """Active ``a f_L f_V`` and passive ``f_PE + d v~`` fibre forces (normalised)."""
    active = activation * active_force_length(fibre_length_norm) * force_velocity(fibre_velocity_norm)
    passive = passive_force_length(fibre_length_norm, params) + params.fibre_damping * fibre_velocity_norm
    return active, passive


def _compress_force(force_norm):
    """phi(f) = c3 ln(1 + f / c3) for f > 0, f otherwise: increasing, C1, logarithmic for pulls."""
    c3 = TENDON_COEFFICIENTS[2]
    pulled = c3 * fastmath.log1p(jnp.maximum(force_norm, 0.0) * (1.0 / c3))
    return jnp.where(force_norm > 0.0, pulled, force_norm)


def _compressed_tendon_force(tendon_length_norm, params: CompliantTendonMuscle):
    """phi(f_T(l~_T)) without overflow: linear in the tendon length wherever the tendon pulls."""
    c1, c2, c3 = TENDON_COEFFICIENTS
    stiffness = _tendon_stiffness_exponent(params)
    stretch = tendon_length_norm - c2
    knee = math.log(c3 / c1) / stiffness  # the stretch where f_T = 0
    pulling = stretch > knee
    taut = c3 * (math.log(c1 / c3) + stiffness * stretch)
    slack = c1 * jnp.exp(stiffness * jnp.minimum(stretch, knee)) - c3
    return jnp.where(pulling, taut, slack)


def _force_balance_residual(fibre_length_norm, args):
    """Force balance ``phi(f_T) - phi(cos(alpha) F_fibre)``: decreasing in the fibre length.

    ``F_fibre = a f_L f_V + f_PE + d v~`` and ``phi`` (:func:`_compress_force`) is strictly
    increasing, so the root is the force balance itself. ``phi`` turns the tendon's exponential
    into a straight line wherever the tendon pulls (``c3 ln(1 + f_T / c3) = c3 k_T (l~_T - 1)``
    for c1 = c3), so Newton converges in a few steps for stiff (short) and compliant (long)
    tendons alike, and leaves the bounded slack branch (``f_T > -c3``) as it is.
    ``args = (musculotendon_length, activation, previous_fibre_length_norm, inverse_dt, params)``;
    ``inverse_dt = 0`` gives the static (isometric) balance.
    """
    musculotendon_length, activation, previous, inverse_dt, params = args
    along = _fibre_along_tendon_norm(fibre_length_norm, params)
    tendon_length = musculotendon_length - params.optimal_fibre_length * along
    tendon_length_norm = tendon_length * (1.0 / params.tendon_slack_length)  # quotients of
    velocity_norm = (fibre_length_norm - previous) * (inverse_dt / params.max_contraction_velocity)  # params: once
    active, passive = _fibre_forces_norm(fibre_length_norm, velocity_norm, activation, params)
    fibre_pull = along / fibre_length_norm * (active + passive)
    return _compressed_tendon_force(tendon_length_norm, params) - _compress_force(fibre_pull)


def _solve_force_balance(guess, args, iterations: int, unroll: bool):
    """Root of :func:`_force_balance_residual` in the fibre length: safeguarded Newton, fixed count.

    The iterations run on gradient-stopped inputs and keep a bracket (the residual is positive
    left of the root); a Newton step that leaves the bracket, or goes uphill, is replaced by
    bisection. One final Newton step with live inputs carries the derivatives: at a converged
    root it gives exactly the implicit-function derivative ``-R_p / R_x``. ``unroll`` unrolls the
    loop (the few step iterations: no device-side loop inside the simulation scan) or keeps it
    rolled (the many equilibrium iterations: short compile).
    """
    params = args[-1]
    lower = _min_fibre_length_norm(params)
    upper = jnp.asarray(MAX_FIBRE_LENGTH_NORM, dtype=jnp.result_type(float))
    frozen = jax.lax.stop_gradient(args)
    lower_frozen = jax.lax.stop_gradient(lower)

    def residual_and_slope(x, a):
        return jax.jvp(lambda y: _force_balance_residual(y, a), (x,), (jnp.ones_like(x),))

    def iterate(_, carry):
        x, low, high = carry
        value, slope = residual_and_slope(x, frozen)
        left = value >= 0.0
        low = jnp.where(left, x, low)
        high = jnp.where(left, high, x)
        newton = x - value / jnp.where(slope < 0.0, slope, -1.0)
        accept = (slope < 0.0) & (newton >= low) & (newton <= high)
        return jnp.where(accept, newton, 0.5 * (low + high)), low, high

    x = jnp.clip(jax.lax.stop_gradient(guess), lower_frozen, upper)
    carry = (x, lower_frozen + 0.0 * x, upper + 0.0 * x)
    x, _, _ = jax.lax.fori_loop(0, iterations, iterate, carry, unroll=unroll)
    x = jax.lax.stop_gradient(x)
    value, slope = residual_and_slope(x, args)
    slope = jax.lax.stop_gradient(slope)
    safe_slope = jnp.where(jnp.abs(slope) > 1e-12, slope, -1e-12)
    return jnp.clip(x - value / safe_slope, lower, upper)


def _rigid_fibre_length_norm(musculotendon_length, params: MuscleParams):
    """Fibre length (normalised) when the tendon stays at slack length."""
    along = jnp.maximum(musculotendon_length - params.tendon_slack_length, 0.0) / params.optimal_fibre_length
    width = jnp.sin(params.pennation_at_optimal)
    return jnp.maximum(jnp.sqrt(along**2 + width**2), _min_fibre_length_norm(params))


class CompliantTendonMuscle(MuscleParams):
    """A muscle with De Groote et al. 2016's elastic tendon: the force balance solved implicitly.

    Examples
    --------
    >>> compliant = CompliantTendonMuscle().equilibrium_fibre_length_norm(0.45, 0.0)
    >>> rigid = RigidTendonMuscle().equilibrium_fibre_length_norm(0.45, 0.0)
    >>> round(float(compliant), 4), round(float(rigid), 4)  # the tendon takes up some of the stretch
    (0.9958, 1.0135)
    """

    reference: ClassVar[str] = DEGROOTE
    tendon_strain_at_unit_force: float = param(
        0.049,
        unit="1",
        bounds=(0.01, 0.2),
        source=DEGROOTE + ": tendon_strain_at_one_norm_force; k_T = ln((1 + c3)/c1)/strain = 36.57",
    )

    def equilibrium_fibre_length_norm(self, musculotendon_length, activation):
        """The static force balance, :data:`EQUILIBRIUM_ITERATIONS` bracketed Newton iterations from
        the rigid-tendon guess."""
        guess = _rigid_fibre_length_norm(musculotendon_length, self)
        args = (musculotendon_length, activation, guess, 0.0, self)
        return _solve_force_balance(guess, args, EQUILIBRIUM_ITERATIONS, unroll=False)

    def step_fibre_length_norm(self, musculotendon_length, activation, previous, dt):
        """The backward-Euler force balance, :data:`STEP_ITERATIONS` Newton iterations from ``previous``."""
        args = (musculotendon_length, activation, previous, 1.0 / dt, self)
        return _solve_force_balance(previous, args, STEP_ITERATIONS, unroll=True)

    def tendon_force_and_stiffness(self, musculotendon_length, fibre_length_norm, along, pull, fibre_slope):
        """The tendon curve at the tendon's length; tendon and fibre in series (the tendon alone
        with the fibre at a bound)."""
        tendon_length_norm = (musculotendon_length - self.optimal_fibre_length * along) / self.tendon_slack_length
        tendon_force_norm = tendon_force_length(tendon_length_norm, self)
        c3 = TENDON_COEFFICIENTS[2]  # f_T' = k_T (f_T + c3): the exponential's own slope, per l_slack
        tendon_slope = _tendon_stiffness_exponent(self) * (tendon_force_norm + c3) / self.tendon_slack_length
        at_bound = (fibre_length_norm <= _min_fibre_length_norm(self)) | (fibre_length_norm >= MAX_FIBRE_LENGTH_NORM)
        return tendon_force_norm, jnp.where(at_bound, tendon_slope, _series_stiffness(tendon_slope, fibre_slope))


class RigidTendonMuscle(MuscleParams):
    """A muscle whose tendon stays at its slack length: the fibre length follows from geometry.

    Cheaper (no force balance to solve); it approaches the compliant tendon where the tendon is
    short against the fibres or the force low (tests/physiology/test_muscle.py).

    Examples
    --------
    >>> import math
    >>> muscle = RigidTendonMuscle()
    >>> along = (0.45 - muscle.tendon_slack_length) / muscle.optimal_fibre_length
    >>> fibre = muscle.equilibrium_fibre_length_norm(0.45, 0.0)
    >>> math.isclose(float(fibre), math.hypot(along, math.sin(muscle.pennation_at_optimal)))
    True
    """

    reference: ClassVar[str] = ("Millard et al. 2013 J Biomech Eng 135:021005 (rigid-tendon formulation; OpenSim "
                                "ignore_tendon_compliance); curves of " + DEGROOTE)

    def equilibrium_fibre_length_norm(self, musculotendon_length, activation):
        """The geometry of a tendon at slack length (any activation)."""
        return _rigid_fibre_length_norm(musculotendon_length, self)

    def step_fibre_length_norm(self, musculotendon_length, activation, previous, dt):
        """The geometry of a tendon at slack length."""
        return _rigid_fibre_length_norm(musculotendon_length, self)

    def tendon_force_and_stiffness(self, musculotendon_length, fibre_length_norm, along, pull, fibre_slope):
        """The fibre's pull itself and its elastic slope (0 where it falls with length)."""
        return pull, jnp.maximum(fibre_slope, 0.0)


TENDONS = Registry("tendon model", {"compliant": CompliantTendonMuscle, "rigid": RigidTendonMuscle})
"""The tendon variants of a muscle by name (``default_params(tendon=...)``)."""


def muscle_equilibrium(musculotendon_length, activation, params: MuscleParams):
    """Fibre length (m) in static equilibrium at a musculotendon length (m) and activation (1).

    Parameters
    ----------
    musculotendon_length : float
        Origin-to-insertion path length (m).
    activation : float
        Activation in [0, 1].
    params : MuscleParams

    Returns
    -------
    Fibre length (m).

    Notes
    -----
    Solves ``f_T(l~_T) = cos(alpha) (a f_L(l~) + f_PE(l~))`` (zero fibre velocity) with a fixed
    number of bracketed Newton iterations from the rigid-tendon guess; rigid tendon: geometry
    (the variant's ``equilibrium_fibre_length_norm``). Works under ``jit``, ``vmap`` and ``grad``.

    Examples
    --------
    >>> p = CompliantTendonMuscle()
    >>> l_m = muscle_equilibrium(p.tendon_slack_length + p.optimal_fibre_length, 0.0, p)
    >>> 0.9 < float(l_m / p.optimal_fibre_length) < 1.1
    True
    """
    with jax.named_scope("muscle"):
        return params.equilibrium_fibre_length_norm(musculotendon_length, activation) * params.optimal_fibre_length


def muscle_equilibrium_state(musculotendon_length, activation, params: MuscleParams) -> MuscleState:
    """A :class:`MuscleState` at static equilibrium (a convenient initial state).

    Examples
    --------
    >>> p = CompliantTendonMuscle()
    >>> state = muscle_equilibrium_state(0.45, 0.0, p)
    >>> float(state.activation)
    0.0
    """
    activation = jnp.asarray(activation, dtype=jnp.result_type(float))
    return MuscleState(activation, muscle_equilibrium(musculotendon_length, activation, params))


def _series_stiffness(tendon_slope, fibre_slope):
    """Stiffness of two springs in series, ``k_T k_F / (k_T + k_F)``; 0 where the fibre's is <= 0.

    A fibre on the descending limb of its force-length curve can have a negative elastic slope;
    the limb integrator then gets no implicit share from it (its pull stays explicit).
    """
    positive = fibre_slope > 0.0
    fibre = jnp.where(positive, fibre_slope, 1.0)
    return jnp.where(positive, tendon_slope * fibre / (tendon_slope + fibre), 0.0)


def muscle_step(state: MuscleState, excitation, musculotendon_length, params: MuscleParams, dt):
    """Advance one muscle by ``dt`` (s) to a new musculotendon length (m) under an excitation (1).

    Parameters
    ----------
    state : MuscleState
        Activation and fibre length (m) at the start of the step.
    excitation : float
        Neural excitation in [0, 1], held over the step.
    musculotendon_length : float
        Musculotendon length (m) at the end of the step.
    params : MuscleParams
    dt : float
        Step (s); the force balance is solved to 1e-9 of F_max at 1-8 ms (tested).

    Returns
    -------
    (MuscleState, MuscleOutput)
        The state at the end of the step and its forces (N), fibre length and velocity.

    Notes
    -----
    Activation first (:func:`activation_step`), then the fibre length at the end of the step by
    backward Euler: with ``v~ = (l~ - l~_prev) / (dt v_max)`` the end-of-step force balance
    ``f_T(l~_T) = cos(alpha) (a f_L(l~) f_V(v~) + f_PE(l~) + d v~)`` is one scalar equation in
    ``l~``. The velocity terms ``(a f_L f_V' + d) / (dt v_max)`` dominate its slope at these step
    sizes, so it decreases in ``l~`` and has one root, which ``STEP_ITERATIONS`` = 5 bracketed
    Newton iterations from the previous fibre length find to ~1e-13 (tested over the whole
    parameter box at up to 1.5 m/s). The force-velocity curve is never inverted, so zero
    activation is not singular. If the balance has no root with the fibre inside
    [l_min, 1.8 l_opt] (a musculotendon stretched past what fibre and tendon can take), the fibre
    stays at the bound. Rigid tendon: ``l~`` from geometry and ``v~`` by backward difference.
    The tendon force is reported clipped at 0: De Groote's tendon curve goes down to -0.2 F_max
    below slack length, and that compression is kept inside the balance (it keeps the equation
    smooth) but a slack tendon pulls nothing, so nothing negative reaches the Ib afferent or the
    joint.

    Examples
    --------
    >>> p = CompliantTendonMuscle()
    >>> state = muscle_equilibrium_state(0.45, 0.0, p)
    >>> state, out = muscle_step(state, 0.2, 0.451, p, 1e-3)
    >>> bool(out.tendon_force > 0)
    True
    """
    with jax.named_scope("muscle"):
        activation = activation_step(state.activation, excitation, params, dt)
        previous = state.fibre_length / params.optimal_fibre_length
        fibre_length_norm = params.step_fibre_length_norm(musculotendon_length, activation, previous, dt)
        fibre_velocity = (fibre_length_norm - previous) / dt
        velocity_norm = fibre_velocity / params.max_contraction_velocity

        def fibre_pull(length_norm):  # along the tendon, at this step's velocity; the forces as aux
            active, passive = _fibre_forces_norm(length_norm, velocity_norm, activation, params)
            along = _fibre_along_tendon_norm(length_norm, params)
            return along / length_norm * (active + passive), (active, passive)

        # The fibre's pull and its elastic slope per metre of fibre along the tendon (velocity held).
        along = _fibre_along_tendon_norm(fibre_length_norm, params)
        pull, pull_slope, (active, passive) = jax.jvp(
            fibre_pull, (fibre_length_norm,), (jnp.ones_like(fibre_length_norm),), has_aux=True)
        fibre_slope = pull_slope * along / (fibre_length_norm * params.optimal_fibre_length)
        tendon_force_norm, slope = params.tendon_force_and_stiffness(
            musculotendon_length, fibre_length_norm, along, pull, fibre_slope)
        force = params.max_isometric_force
        output = MuscleOutput(
            tendon_force=force * jnp.maximum(tendon_force_norm, 0.0),
            fibre_length_norm=fibre_length_norm,
            fibre_velocity=fibre_velocity,
            activation=activation,
            active_fibre_force=force * active,
            passive_fibre_force=force * passive,
            stiffness=jnp.where(tendon_force_norm > 0.0, force * slope, 0.0),
        )
        return MuscleState(activation, fibre_length_norm * params.optimal_fibre_length), output
