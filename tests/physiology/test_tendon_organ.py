"""Golgi tendon organ (Lin & Crago 2002): log compression, DC gain, dynamic overshoot, Tustin filter.

Reference: ANCHORS.md 1.3 and checklist item 12.2 (DC gain 1, step overshoot 1.7x of the log-force
step, r = 60 ln(1 + F / G2)). Forces are in maximal isometric forces of the muscle (issue 14: the
force scale G2 is a fraction of F_max, 0.18 by default); the published form r = 60 ln(1 + F / 4 N)
is the same function with force_scale = 4 N / F_max.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myoreflex.params import parameter_table, stack_params
from myoreflex.physiology.tendon_organ import (
    TendonOrganParams,
    TendonOrganState,
    tendon_organ_equilibrium,
    tendon_organ_rate_static,
    tendon_organ_step,
)

DEFAULT = TendonOrganParams()
DT = 1e-3


@jax.jit
def _run(params, forces, dt):
    """Ib rate (pps) for a force trace (F_max), starting at equilibrium with the first force."""
    state = tendon_organ_equilibrium(forces[0], params)

    def body(state, force):
        return tendon_organ_step(state, force, params, dt)

    return jax.lax.scan(body, state, forces)[1]


def _continuous_step_response(params, time):
    """Unit-step response of H(s) from its partial fractions: H(0) + sum_i R_i / p_i exp(p_i t)."""
    numerator = [params.numerator_quadratic, params.numerator_linear, params.numerator_constant]
    denominator = [1.0, params.denominator_linear, params.denominator_constant]
    poles = np.roots(denominator)
    response = np.full_like(time, np.polyval(numerator, 0.0) / np.polyval(denominator, 0.0))
    for pole in poles:
        other = poles[poles != pole][0]
        # residue of the strictly proper part N(s) - D Den(s) over Den(s) = (s - p)(s - q)
        proper = np.polyval(numerator, pole) - params.numerator_quadratic * np.polyval(denominator, pole)
        residue = proper / (pole - other)
        response = response + np.real(residue / pole * np.exp(pole * time))
    return response


@pytest.mark.reference
def test_static_rate_is_the_log_compression():
    # r = 60 ln(f / g2 + 1) pps (ANCHORS 1.3): exact values of the formula; 1e-9 is rounding only.
    g2 = DEFAULT.force_scale
    forces = jnp.array([0.0, g2, 3 * g2, 25 * g2, 250 * g2])
    expected = [0.0, 60 * math.log(2.0), 60 * math.log(4.0), 60 * math.log(26.0), 60 * math.log(251.0)]
    np.testing.assert_allclose(tendon_organ_rate_static(forces, DEFAULT), expected, atol=1e-9)
    assert float(tendon_organ_rate_static(g2, DEFAULT)) == pytest.approx(41.589, abs=1e-3)
    assert float(tendon_organ_rate_static(-0.1, DEFAULT)) == 0.0  # a slack tendon is silent
    # compression: tenfold force (25 -> 250 g2) raises the rate by only 60 ln(251 / 26) = 136 pps
    increase = float(tendon_organ_rate_static(250 * g2, DEFAULT) - tendon_organ_rate_static(25 * g2, DEFAULT))
    assert increase == pytest.approx(60 * math.log(251 / 26), abs=1e-9)


@pytest.mark.reference
def test_force_scale_is_lin_and_cragos_on_a_cat_soleus_and_prochazkas_slope():
    """The default g2 = 0.18 F_max: Lin & Crago's G2 = 4 N on a cat soleus of ~22 N, and the
    small-force slope G1 / g2 = 333 pps per F_max of Prochazka's linear Ib model (ANCHORS 1.2,
    unverified coefficient; within 0.2 %). In newtons it scales with the muscle: 4 N at 22 N,
    792 N on a 4400 N quadriceps, so the same relative force gives the same rate."""
    assert DEFAULT.force_scale == pytest.approx(4.0 / 22.0, rel=0.02)  # 0.182; 22 N is an order, not a datum
    slope = float(jax.grad(lambda f: tendon_organ_rate_static(f, DEFAULT))(1e-9))  # just above the rectifier
    assert slope == pytest.approx(333.0, rel=2e-3)
    # the rate of a relaxed muscle's resting tone (0.5 % of F_max) is under 2 pps; with the cat's 4 N
    # on a 4400 N quadriceps (force_scale 4 / 4400) the same force fired 111 pps (issue 14)
    assert float(tendon_organ_rate_static(0.005, DEFAULT)) < 2.0
    cat_scale = eqx.tree_at(lambda p: p.force_scale, DEFAULT, 4.0 / 4400.0)
    assert float(tendon_organ_rate_static(0.005, cat_scale)) == pytest.approx(60 * math.log1p(22.0 / 4.0), rel=1e-9)


@pytest.mark.reference
def test_transfer_function_poles_and_zeros():
    # ANCHORS 1.3 [computed]: poles -0.2 and -2.0 1/s, zeros -0.175 and -1.342 1/s (3 decimals).
    poles = np.sort(np.roots([1.0, DEFAULT.denominator_linear, DEFAULT.denominator_constant]))
    numerator = [DEFAULT.numerator_quadratic, DEFAULT.numerator_linear, DEFAULT.numerator_constant]
    zeros = np.sort(np.roots(numerator))
    np.testing.assert_allclose(poles, [-2.0, -0.2], atol=1e-12)
    np.testing.assert_allclose(zeros, [-1.342, -0.175], atol=5e-4)


def test_discrete_poles_are_the_tustin_images():
    """The step's state transition (zero input) has eigenvalues (1 + p dt/2) / (1 - p dt/2)."""

    def advance(x):
        state = TendonOrganState(x[0], x[1], jnp.asarray(0.0))
        new, _ = tendon_organ_step(state, 0.0, DEFAULT, DT)
        return jnp.stack([new.filtered_rate, new.filtered_rate_derivative])

    transition = jax.jacobian(advance)(jnp.zeros(2))
    eigenvalues = np.sort(np.linalg.eigvals(np.asarray(transition)).real)
    poles = np.array([-2.0, -0.2])
    np.testing.assert_allclose(eigenvalues, np.sort((1 + poles * DT / 2) / (1 - poles * DT / 2)), atol=1e-14)


def test_equilibrium_is_a_fixed_point_with_the_static_rate():
    for force in (0.0, 0.135, 5.0):
        state = tendon_organ_equilibrium(force, DEFAULT)
        new, ib = tendon_organ_step(state, force, DEFAULT, DT)
        assert float(ib) == pytest.approx(float(tendon_organ_rate_static(force, DEFAULT)), abs=1e-9)
        assert float(new.filtered_rate) == pytest.approx(float(state.filtered_rate), abs=1e-9)
        assert float(new.filtered_rate_derivative) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.reference
def test_dc_gain_is_one_after_a_force_step():
    """60 s after a 0.45 -> 4.5 F_max step the rate equals the static log rate: the slowest mode
    (0.133 exp(-0.2 t) of the step) has decayed to 1e-3 pps; tolerance 2e-3 pps."""
    forces = jnp.concatenate([jnp.full(10, 0.45), jnp.full(60_000, 4.5)])
    ib = np.asarray(_run(DEFAULT, forces, DT))
    assert ib[-1] == pytest.approx(float(tendon_organ_rate_static(4.5, DEFAULT)), abs=2e-3)


@pytest.mark.reference
def test_step_overshoot_is_1_7_times_the_log_rate_step():
    """A force step gives an immediate peak of 1.7 x the step in r (ANCHORS 1.3 and 12.2), then the
    analytic relaxation 1 + 0.133 exp(-0.2 t) + 0.567 exp(-2 t).

    Tolerance from the sampling: the trapezoidal (Tustin) rule sees a sampled step as a ramp over
    one sample, i.e. the step shifted by dt/2, so the sample error is at most
    |y'| dt / 2 <= (0.567 * 2 + 0.133 * 0.2) * 0.5 ms = 5.8e-4 of the step (plus O(dt^2));
    we allow 1e-3 of the step. The first sample is (1.7 (2/dt)^2 + 2.58 (2/dt) + 0.4) /
    ((2/dt)^2 + 2.2 (2/dt) + 0.4) = 1.69942 (5.8e-4 below 1.7)."""
    before, after = 0.45, 4.5  # F_max
    forces = jnp.concatenate([jnp.full(100, before), jnp.full(5000, after)])
    ib = np.asarray(_run(DEFAULT, forces, DT))
    rate_before = float(tendon_organ_rate_static(before, DEFAULT))
    jump = float(tendon_organ_rate_static(after, DEFAULT)) - rate_before
    assert int(np.argmax(ib)) == 100  # the peak is the first sample after the step
    assert (ib[100] - rate_before) / jump == pytest.approx(1.7, abs=1e-3)
    time = np.arange(5000) * DT
    expected = rate_before + jump * _continuous_step_response(DEFAULT, time)
    assert np.max(np.abs(ib[100:] - expected)) < 1e-3 * jump
    np.testing.assert_allclose(_continuous_step_response(DEFAULT, np.zeros(1)), [1.7], atol=1e-12)


def test_unloading_silences_the_afferent():
    """A drop to zero force undershoots below zero (1.7 x the fall), which is rectified to 0."""
    forces = jnp.concatenate([jnp.full(50, 2.0), jnp.zeros(2000)])
    ib = np.asarray(_run(DEFAULT, forces, DT))
    assert ib[0] == pytest.approx(float(tendon_organ_rate_static(2.0, DEFAULT)), abs=1e-9)
    assert np.all(ib[50:] == 0.0)


def test_jit_vmap_grad():
    forces = jnp.linspace(0.0, 3.0, 400)

    def final_rate(params):
        return _run(params, forces, DT)[-1]

    # vmap over parameter sets equals a loop
    sets = [eqx.tree_at(lambda p: p.gain, DEFAULT, gain) for gain in (30.0, 60.0, 90.0)]
    batched = jax.vmap(final_rate)(stack_params(sets))
    np.testing.assert_allclose(batched, [float(final_rate(p)) for p in sets], rtol=1e-12)
    # the rate is linear in the gain G1: d Ib / d G1 = Ib / G1 exactly
    gradient = jax.grad(final_rate)(DEFAULT)
    assert float(gradient.gain) == pytest.approx(float(final_rate(DEFAULT)) / DEFAULT.gain, rel=1e-10)
    # d Ib / d G2 against a central difference (relative step 1e-6; the model is smooth here)
    step = 1e-6 * DEFAULT.force_scale
    shifted = [
        float(final_rate(eqx.tree_at(lambda p: p.force_scale, DEFAULT, DEFAULT.force_scale + d)))
        for d in (step, -step)
    ]
    assert float(gradient.force_scale) == pytest.approx((shifted[0] - shifted[1]) / (2 * step), rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_parameters_and_forces_give_finite_nonnegative_rates(data):
    values = {row.path: data.draw(st.floats(*row.bounds), label=row.path) for row in parameter_table(DEFAULT)}
    params = TendonOrganParams(**values)
    forces = data.draw(st.lists(st.floats(-0.2, 6.0), min_size=8, max_size=8), label="forces (F_max)")
    forces = jnp.asarray(forces)
    ib = np.asarray(_run(params, jnp.repeat(forces, 50), DT))
    assert np.all(np.isfinite(ib)) and np.all(ib >= 0.0)
