"""Hill-type muscle: De Groote 2016 curves, activation dynamics, the implicit fibre step.

Reference numbers: ANCHORS.md 2.1 (check tables computed from the OpenSim-adjusted coefficients)
and 2.2 (activation time constants).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from myoreflex.params import parameter_table, recast, stack_params
from myoreflex.physiology import muscle as M
from myoreflex.physiology.muscle import (
    TENDONS,
    CompliantTendonMuscle,
    MuscleState,
    RigidTendonMuscle,
    activation_rate,
    activation_step,
    active_force_length,
    force_velocity,
    force_velocity_inverse,
    muscle_equilibrium,
    muscle_equilibrium_state,
    muscle_step,
    passive_force_length,
    tendon_force_length,
    tendon_length_from_force,
)

DEFAULT = CompliantTendonMuscle()
RIGID = RigidTendonMuscle()


def _with_tendon(params, tendon):
    """The same muscle with the named tendon variant (the parameters both share kept)."""
    model = TENDONS.lookup(tendon)
    return recast(params, model, model())
# ANCHORS 2.1 tables are printed to 4 decimals, so a correct implementation is within 5e-5 of them;
# 1e-4 is tighter than the 1e-3 the task asks for and still above the rounding.
TABLE_TOL = 1e-4


def _length_at(fibre_length_norm, params):
    """Musculotendon length (m) that puts the fibre at ``fibre_length_norm`` with a slack tendon."""
    along = jnp.sqrt(fibre_length_norm**2 - jnp.sin(params.pennation_at_optimal) ** 2)
    return params.tendon_slack_length + params.optimal_fibre_length * along


def _simulate(params, musculotendon_lengths, excitations, dt, initial_activation=0.0):
    """Scan muscle_step from equilibrium; returns the MuscleOutput time series."""
    state = muscle_equilibrium_state(musculotendon_lengths[0], initial_activation, params)

    def body(state, inputs):
        excitation, length = inputs
        return muscle_step(state, excitation, length, params, dt)

    _, outputs = jax.lax.scan(body, state, (excitations, musculotendon_lengths))
    return outputs


def _step_residuals(params, lengths, out, dt):
    """Force-balance residual (normalised force) of every step of a run started at equilibrium."""
    start = muscle_equilibrium(lengths[0], 0.0, params) / params.optimal_fibre_length
    previous = jnp.concatenate([start[None], out.fibre_length_norm[:-1]])

    def residual(fibre, length, activation, before):
        return M._force_balance_residual(fibre, (length, activation, before, 1.0 / dt, params))

    return jax.vmap(residual)(out.fibre_length_norm, lengths, out.activation, previous)


@jax.jit
def _run(params, lengths, excitations, dt, initial_activation=0.0):
    """Jitted :func:`_simulate` plus the per-step force-balance residuals (dt is traced)."""
    out = _simulate(params, lengths, excitations, dt, initial_activation)
    return out, _step_residuals(params, lengths, out, dt)


_step = jax.jit(muscle_step)
_equilibrium_state = jax.jit(muscle_equilibrium_state)


# --- curves: ANCHORS 2.1 check tables and key points ---------------------------------------------


@pytest.mark.reference
def test_active_force_length_matches_anchor_table():
    lengths = jnp.array([0.5, 0.7, 0.9, 1.0, 1.1, 1.3, 1.5])
    expected = [0.0541, 0.6842, 0.9371, 1.0000, 0.9532, 0.5812, 0.2261]  # ANCHORS 2.1
    np.testing.assert_allclose(active_force_length(lengths), expected, atol=TABLE_TOL)


@pytest.mark.reference
def test_force_velocity_matches_anchor_table():
    velocities = jnp.array([-1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0])
    expected = [0.0, 0.2340, 0.7452, 1.0000, 1.2065, 1.5884, 1.7943]  # ANCHORS 2.1
    np.testing.assert_allclose(force_velocity(velocities), expected, atol=TABLE_TOL)


@pytest.mark.reference
def test_passive_and_tendon_curves_match_anchor_values():
    passive = passive_force_length(jnp.array([1.0, 1.2, 1.4, 1.6]), DEFAULT)
    np.testing.assert_allclose(passive, [0.0182, 0.0694, 0.2635, 1.0], atol=TABLE_TOL)  # ANCHORS 2.1
    tendon = tendon_force_length(jnp.array([1.0, 1.02, 1.049]), DEFAULT)
    np.testing.assert_allclose(tendon, [0.0, 0.2156, 1.0], atol=TABLE_TOL)  # ANCHORS 2.1
    # k_T = ln((1 + 0.2)/0.2)/0.049 = 36.57 (ANCHORS 2.1): the tendon strain at unit force is 4.9 %
    assert M._tendon_stiffness_exponent(DEFAULT) == pytest.approx(36.57, abs=5e-3)


@pytest.mark.reference
def test_curve_key_points():
    # The OpenSim adjustments make the curves pass through these points exactly (ANCHORS 2.1);
    # 1e-12 leaves room for floating-point rounding only.
    assert float(force_velocity(-1.0)) == pytest.approx(0.0, abs=1e-12)
    assert float(force_velocity(0.0)) == pytest.approx(1.0, abs=1e-12)
    assert float(active_force_length(1.0)) == pytest.approx(1.0, abs=1e-12)
    assert float(passive_force_length(1.6, DEFAULT)) == pytest.approx(1.0, abs=1e-12)
    assert float(passive_force_length(0.2, DEFAULT)) == pytest.approx(0.0, abs=1e-12)
    assert float(tendon_force_length(1.049, DEFAULT)) == pytest.approx(1.0, abs=1e-12)


def test_log_form_asinh_matches_arcsinh_and_its_derivative():
    # The force-velocity curve's asinh in De Groote's log form: same values to rounding (1e-15
    # absolute over |z| <= 50, far beyond the loop's |d2 v + d3| < 13), derivative 1/sqrt(1 + z^2)
    # everywhere, z = 0 included (where a sign()-based form would give 0).
    z = np.linspace(-50.0, 50.0, 20001)
    np.testing.assert_allclose(M._asinh(jnp.asarray(z)), np.arcsinh(z), rtol=0, atol=1e-15)
    slope = jax.vmap(jax.grad(M._asinh))(jnp.asarray(np.append(z, [0.0, -1e-300, 1e-300])))
    np.testing.assert_allclose(slope, 1.0 / np.sqrt(1.0 + np.append(z, [0.0, 0.0, 0.0]) ** 2), rtol=1e-14)


def test_inverse_curves_round_trip():
    velocities = jnp.linspace(-1.5, 1.5, 31)
    np.testing.assert_allclose(force_velocity_inverse(force_velocity(velocities)), velocities, atol=1e-12)
    lengths = jnp.linspace(0.95, 1.08, 27)
    round_trip = tendon_length_from_force(tendon_force_length(lengths, DEFAULT), DEFAULT)
    np.testing.assert_allclose(round_trip, lengths, atol=1e-12)


# --- activation dynamics (ANCHORS 2.2) -----------------------------------------------------------


def _crossing_time(params, start, excitation, target, dt, duration=0.3):
    """Time at which a constant-excitation activation run crosses ``target`` (linear interpolation)."""

    def body(activation, _):
        activation = activation_step(activation, excitation, params, dt)
        return activation, activation

    _, trace = jax.lax.scan(body, jnp.asarray(start), None, length=int(round(duration / dt)))
    trace = np.concatenate([[start], np.asarray(trace)])
    index = int(np.argmax(np.sign(trace - target) != np.sign(start - target)))
    fraction = (target - trace[index - 1]) / (trace[index] - trace[index - 1])
    return (index - 1 + fraction) * dt


def test_activation_rate_is_zero_at_equilibrium_and_signed():
    assert float(activation_rate(0.3, 0.3, DEFAULT)) == 0.0
    assert float(activation_rate(0.3, 0.8, DEFAULT)) > 0.0
    assert float(activation_rate(0.3, 0.0, DEFAULT)) < 0.0


@pytest.mark.reference
def test_activation_step_response_switch_limit_matches_closed_form():
    """With a switch-like blend (b = 100) the rates are those of tau_a (0.5 + 1.5 a) and
    tau_d / (0.5 + 1.5 a); integrating da / (k (e - a)) in closed form gives

        rise 0 -> 1 - 1/e (e = 1):   t = tau_a (0.5 + 1.5 / e)        = 1.0518 tau_a = 15.78 ms
        fall 1 -> 1/e     (e = 0):   t = 2 tau_d ln(0.25 e + 0.75)     = 0.7148 tau_d = 42.89 ms

    (tanh(100 (e - a)) = 1 to double precision while |e - a| > 1/e). Tolerance 0.25 ms, a quarter
    of the 1 ms step: the exponential-midpoint update is second order (measured error 0.05 ms)."""
    params = eqx.tree_at(lambda p: p.activation_smoothing, DEFAULT, 100.0)
    rise = params.activation_time * (0.5 + 1.5 / math.e)
    fall = 2.0 * params.deactivation_time * math.log(0.25 * math.e + 0.75)
    assert _crossing_time(params, 0.0, 1.0, 1.0 - 1.0 / math.e, 1e-3) == pytest.approx(rise, abs=2.5e-4)
    assert _crossing_time(params, 1.0, 0.0, 1.0 / math.e, 1e-3) == pytest.approx(fall, abs=2.5e-4)


def test_activation_step_response_default_smoothing_matches_quadrature():
    """With b = 10 (OpenSim's recommendation, opensim-core #3990 / #4007) the full-step responses
    are those of the switch limit to 0.1 ms: rise to 1 - 1/e in 15.8 ms, fall to 1/e in 42.9 ms
    (with the paper's b = 0.1 they were 23.2 and 28.4 ms: almost the same speed both ways). The
    reference is an independent quadrature of dt = da / (k(a, e) (e - a)); tolerance as in the
    switch-limit test."""
    rate = lambda a, e: float(M._activation_rate_constant(a, e, DEFAULT))  # noqa: E731
    rise = quad(lambda a: 1.0 / (rate(a, 1.0) * (1.0 - a)), 0.0, 1.0 - 1.0 / math.e, epsabs=1e-12)[0]
    fall = quad(lambda a: 1.0 / (rate(a, 0.0) * a), 1.0 / math.e, 1.0, epsabs=1e-12)[0]
    assert rise == pytest.approx(0.0158, abs=1e-4)
    assert fall == pytest.approx(0.0429, abs=1e-4)
    assert _crossing_time(DEFAULT, 0.0, 1.0, 1.0 - 1.0 / math.e, 1e-3) == pytest.approx(rise, abs=2.5e-4)
    assert _crossing_time(DEFAULT, 1.0, 0.0, 1.0 / math.e, 1e-3) == pytest.approx(fall, abs=2.5e-4)


@pytest.mark.reference
def test_reflex_sized_deactivation_and_activation_times_are_in_the_published_ranges():
    """The reflex's activations are small (about 0.2 in a spastic pendulum), so the time constants
    that matter are those of a = 0.2 -> 0 and 0 -> 0.2, measured here as 63 % times of the activation
    ODE alone (fine step, 0.1 ms). Published: deactivation 40-60 ms (De Groote et al. 2016 tau_d 60
    ms, Thelen 2003 50 ms, Millard et al. 2013 40 ms; ANCHORS 2.2), accepted 40-80 ms by issue 14;
    activation 10-15 ms (Millard 10, De Groote and Thelen 15 ms), the full 0 -> 1 step reaching
    1 - 1/e at 1.05 tau_a in the switch limit (16 ms for tau_a = 15 ms). Measured with b = 10:
    fall 53.6 ms, rise 10.0 ms (0 -> 0.2) and 15.8 ms (0 -> 1). With the paper's b = 0.1 the fall
    took 18.6 ms, below the range: this test fails for it (checked below)."""
    dt = 1e-4
    fall = _crossing_time(DEFAULT, 0.2, 0.0, 0.2 / math.e, dt)
    assert 0.040 <= fall <= 0.080
    assert fall == pytest.approx(0.0536, abs=5e-4)
    for excitation in (0.2, 1.0):
        rise = _crossing_time(DEFAULT, 0.0, excitation, excitation * (1.0 - 1.0 / math.e), dt)
        assert 0.010 - 1e-4 <= rise <= 1.0518 * 0.015 + 1e-4, (excitation, rise)
    paper = eqx.tree_at(lambda p: p.activation_smoothing, DEFAULT, 0.1)
    assert _crossing_time(paper, 0.2, 0.0, 0.2 / math.e, dt) < 0.020  # the bug issue 14 names: 19 ms


def test_activation_step_is_second_order():
    """Halving dt must cut the timing error about fourfold (second order); require >= 3."""
    exact = quad(
        lambda a: 1.0 / (float(M._activation_rate_constant(a, 1.0, DEFAULT)) * (1.0 - a)),
        0.0,
        0.5,
        epsabs=1e-13,
    )[0]
    errors = [abs(_crossing_time(DEFAULT, 0.0, 1.0, 0.5, dt) - exact) for dt in (2e-3, 1e-3)]
    assert errors[0] / errors[1] > 3.0


@settings(max_examples=60, deadline=None)
@given(
    activation=st.floats(0.0, 1.0),
    excitation=st.floats(0.0, 1.0),
    dt=st.floats(1e-4, 5e-3),
    activation_time=st.floats(0.002, 0.1),
)
def test_activation_step_never_overshoots(activation, excitation, dt, activation_time):
    """Stability at any dt: the update lands between the old activation and the excitation."""
    params = eqx.tree_at(lambda p: p.activation_time, DEFAULT, activation_time)
    new = float(_jit_activation_step(activation, excitation, params, dt))
    low, high = min(activation, excitation), max(activation, excitation)
    assert low - 1e-15 <= new <= high + 1e-15


_jit_activation_step = jax.jit(activation_step)


# --- equilibrium and the implicit step -----------------------------------------------------------


def test_equilibrium_balances_tendon_and_fibre_forces():
    """At static equilibrium f_T(l_T) = cos(alpha) (a f_L + f_PE), to solver precision."""
    fibre_norm = jnp.linspace(0.7, 1.4, 8)[:, None]
    activation = jnp.array([0.0, 0.1, 0.5, 1.0])[None, :]
    lengths = jnp.broadcast_to(_length_at(fibre_norm, DEFAULT), (8, 4))
    activation = jnp.broadcast_to(activation, (8, 4))
    fibre = jax.jit(jax.vmap(jax.vmap(lambda l, a: muscle_equilibrium(l, a, DEFAULT))))(lengths, activation)
    l_norm = fibre / DEFAULT.optimal_fibre_length
    along = jnp.sqrt(l_norm**2 - jnp.sin(DEFAULT.pennation_at_optimal) ** 2)
    tendon = tendon_force_length(
        (lengths - DEFAULT.optimal_fibre_length * along) / DEFAULT.tendon_slack_length, DEFAULT
    )
    pull = activation * active_force_length(l_norm) + passive_force_length(l_norm, DEFAULT)
    fibre_force = along / l_norm * pull
    np.testing.assert_allclose(tendon, fibre_force, atol=1e-10)
    assert bool(jnp.all(tendon > 0.0))


def test_equilibrium_is_a_fixed_point_of_the_step():
    """Holding length and activation (e = a), a step from equilibrium must not move the fibre."""
    length = _length_at(1.1, DEFAULT)
    for activation in (0.0, 0.4, 1.0):
        state = _equilibrium_state(length, activation, DEFAULT)
        new, out = _step(state, activation, length, DEFAULT, 1e-3)
        assert float(new.activation) == pytest.approx(activation, abs=1e-15)
        assert float(new.fibre_length) == pytest.approx(float(state.fibre_length), abs=1e-12)
        assert abs(float(out.fibre_velocity)) < 1e-8


@jax.jit
def _equilibrium_forces(params, lengths, activation):
    """Tendon force (normalised) and fibre length (normalised) at equilibrium, one per length."""
    states = jax.vmap(lambda length: muscle_equilibrium_state(length, activation, params))(lengths)
    step = jax.vmap(lambda state, length: muscle_step(state, activation, length, params, 1e-3))
    _, out = step(states, lengths)
    return out.tendon_force / params.max_isometric_force, out.fibre_length_norm


def test_compliant_tendon_agrees_with_rigid_at_low_force():
    """At low force the tendon barely stretches, so a compliant and a rigid tendon give the same
    force. First-order bound: the compliant fibre is shorter by the tendon elongation
    l_s (l~_T - 1) / cos(alpha), and the steepest relative slope of the fibre force is the passive
    one, k_PE / e0 per optimal length, so |F_c / F_r - 1| <= (k_PE / e0) l_s (l~_T - 1) /
    (l_opt cos(alpha)); we allow 1.5 times that (second-order terms). Short tendons (l_s = 0.2 and
    1 l_opt) at a = 0 and 0.05, normalised forces below 0.1."""
    for tendon_slack_length in (0.05, 0.01):
        compliant = eqx.tree_at(lambda p: p.tendon_slack_length, DEFAULT, tendon_slack_length)
        rigid = _with_tendon(compliant, "rigid")
        lengths = _length_at(jnp.linspace(0.8, 1.25, 10), compliant)
        for activation in (0.0, 0.05):
            force, fibre = map(np.asarray, _equilibrium_forces(compliant, lengths, activation))
            force_rigid, _ = map(np.asarray, _equilibrium_forces(rigid, lengths, activation))
            low = force_rigid < 0.1
            assert low.sum() >= 5
            elongation = np.asarray(tendon_length_from_force(force, compliant)) - 1.0
            cos_pennation = np.sqrt(fibre**2 - np.sin(compliant.pennation_at_optimal) ** 2) / fibre
            shape = compliant.passive_shape / compliant.passive_strain_at_unit_force
            shortening = tendon_slack_length * elongation / cos_pennation  # of the fibre, m
            bound = shape * shortening / compliant.optimal_fibre_length
            difference = np.abs(force / force_rigid - 1.0)
            assert np.all(difference[low] <= 1.5 * bound[low])
            assert np.all(force[low] < force_rigid[low])  # the tendon takes up some of the stretch


def test_rigid_tendon_geometry_and_force():
    length = _length_at(1.2, RIGID)
    state = MuscleState(jnp.asarray(0.5), jnp.asarray(1.2 * RIGID.optimal_fibre_length))
    _, out = _step(state, 0.5, length, RIGID, 1e-3)
    assert float(out.fibre_length_norm) == pytest.approx(1.2, abs=1e-12)
    cos_pennation = math.sqrt(1.2**2 - math.sin(RIGID.pennation_at_optimal) ** 2) / 1.2
    total = cos_pennation * float(out.active_fibre_force + out.passive_fibre_force)
    assert float(out.tendon_force) == pytest.approx(total, rel=1e-12)


def test_tendon_variants_share_the_muscle_and_only_the_compliant_one_has_a_tendon_curve():
    """Two sibling classes under the abstract muscle: the rigid tendon holds no tendon stiffness."""
    assert dict(TENDONS) == {"compliant": CompliantTendonMuscle, "rigid": RigidTendonMuscle}
    compliant = {row.path for row in parameter_table(DEFAULT)}
    rigid = {row.path for row in parameter_table(RIGID)}
    assert compliant - rigid == {"tendon_strain_at_unit_force"} and rigid < compliant
    assert not issubclass(RigidTendonMuscle, CompliantTendonMuscle)
    assert not issubclass(CompliantTendonMuscle, RigidTendonMuscle)
    with pytest.raises(TypeError, match="abstract"):
        M.MuscleParams()


def test_the_rigid_fibre_follows_geometry_whatever_the_activation_and_the_compliant_one_does_not():
    """The type picks the code: a rigid tendon's fibre length is the geometry at any activation; a
    compliant tendon stretches more as the fibres pull harder, so its fibre is shorter."""
    length = _length_at(1.1, DEFAULT)
    rigid = [float(muscle_equilibrium(length, a, RIGID)) for a in (0.0, 0.5, 1.0)]
    assert rigid == [rigid[0]] * 3
    assert rigid[0] / RIGID.optimal_fibre_length == pytest.approx(1.1, rel=1e-12)
    compliant = [float(muscle_equilibrium(length, a, DEFAULT)) for a in (0.0, 0.5, 1.0)]
    assert compliant[0] > compliant[1] > compliant[2]
    assert compliant[0] < rigid[0]


def _stretch(dt, velocity=1.0, duration=0.2, hold=0.02, travel=0.03, params=DEFAULT):
    """Ramp-and-hold: hold, stretch at ``velocity`` (m/s) over ``travel`` (m), hold."""
    time = (jnp.arange(int(round(duration / dt))) + 1) * dt
    return _length_at(0.9, params) + jnp.clip(velocity * (time - hold), 0.0, travel)


@pytest.mark.parametrize("tendon", ["compliant", "rigid"])
@pytest.mark.parametrize("activation,fibre_length_norm", [(0.0, 1.1), (0.5, 0.9), (1.0, 0.8)])
def test_reported_stiffness_is_the_slope_of_the_static_force_length_relation(tendon, activation, fibre_length_norm):
    """At rest (no fibre velocity) the step's ``stiffness`` is tendon and fibre in series, their
    elastic slopes only: it must equal dF/dl_MT of the static equilibrium, here by central
    differences of equilibria 1 um apart (truncation ~1e-8 relative; tolerance 1e-5)."""
    params = _with_tendon(DEFAULT, tendon)
    base = _length_at(fibre_length_norm, params) + (0.004 if tendon == "compliant" else 0.0)

    def rest(length):
        state = _equilibrium_state(length, activation, params)
        return _step(state, activation, length, params, 1e-3)[1]

    step = 1e-6
    slope = (rest(base + step).tendon_force - rest(base - step).tendon_force) / (2 * step)
    assert float(slope) > 0.0
    assert float(rest(base).stiffness) == pytest.approx(float(slope), rel=1e-5)


@pytest.mark.parametrize("excitation", [0.0, 0.05, 1.0])
def test_implicit_step_converges_when_dt_is_halved(excitation):
    """Backward Euler is first order; the task's criterion: on a 1 m/s stretch, halving dt from
    1 ms to 0.5 ms changes the tendon force by less than 1 % of its peak (measured 0.5-0.8 %)."""
    coarse, _ = _run(DEFAULT, _stretch(1e-3), jnp.full(200, excitation), 1e-3, excitation)
    fine, _ = _run(DEFAULT, _stretch(5e-4), jnp.full(400, excitation), 5e-4, excitation)
    coarse, fine = np.asarray(coarse.tendon_force), np.asarray(fine.tendon_force)[1::2]
    assert np.max(np.abs(coarse - fine)) < 0.01 * np.max(fine)


@pytest.mark.parametrize("dt", [1e-3, 2e-3, 8e-3])  # the stretch's, the fits' and the pendulum's steps
def test_implicit_step_solves_force_balance_on_a_harsh_trajectory(dt):
    """Stretch and release at 1.5 m/s with excitation switching 0 <-> 1 every 50 ms (shortening
    fast enough at full activation to slacken the tendon): after the fixed Newton count the
    force balance holds to 1e-9 of F_max at every step (machine precision is ~1e-13)."""
    time = jnp.arange(400) * dt
    phase = (time % 0.08) / 0.08
    lengths = _length_at(0.9, DEFAULT) + 0.06 * jnp.where(phase < 0.5, 2.0 * phase, 2.0 - 2.0 * phase)
    excitation = ((time // 0.05) % 2).astype(float)
    out, residual = _run(DEFAULT, lengths, excitation, dt)
    assert float(jnp.max(jnp.abs(residual))) < 1e-9
    assert float(jnp.max(out.tendon_force)) > 0.5 * DEFAULT.max_isometric_force
    assert float(jnp.min(out.tendon_force)) == 0.0  # the tendon went slack while shortening


def _random_params(rng, count):
    """Parameter sets drawn log-uniformly (uniformly where the bound is 0) inside the declared bounds."""
    rows = parameter_table(DEFAULT)
    sets = []
    for _ in range(count):
        values = {}
        for row in rows:
            low, high = row.bounds
            if low > 0:
                values[row.path] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            else:
                values[row.path] = float(rng.uniform(low, high))
        sets.append(CompliantTendonMuscle(**values))
    return sets


def test_implicit_step_converges_for_random_parameters():
    """64 parameter sets from the whole declared box, triangle stretches of +-0.3 l_opt at 1.5 m/s
    with excitation switching: wherever the run stays physiological (tendon force < 5 F_max, the
    OpenSim bound, and the fibre inside [l_min, 1.8]) the balance holds to 1e-9 after the fixed
    Newton count; everywhere the outputs are finite."""
    rng = np.random.default_rng(7)
    batch = stack_params(_random_params(rng, 64))
    dt = 1e-3
    time = jnp.arange(200) * dt

    def run(params, start):
        amplitude = 0.3 * params.optimal_fibre_length
        period = 4.0 * amplitude / 1.5
        phase = (time % period) / period
        lengths = start + amplitude * jnp.where(phase < 0.5, 2.0 * phase, 2.0 - 2.0 * phase)
        excitation = ((time // 0.05) % 2).astype(float)
        out = _simulate(params, lengths, excitation, dt)
        return out, _step_residuals(params, lengths, out, dt)

    fraction = jnp.asarray(rng.uniform(0.6, 1.3, 64))
    along = batch.optimal_fibre_length * jnp.cos(batch.pennation_at_optimal)
    start = batch.tendon_slack_length + along * fraction
    out, residual = jax.jit(jax.vmap(run))(batch, start)
    force_norm = np.asarray(out.tendon_force) / np.asarray(batch.max_isometric_force)[:, None]
    fibre = np.asarray(out.fibre_length_norm)
    lower = np.asarray(M._min_fibre_length_norm(batch))[:, None]
    inside = np.all((fibre > lower + 1e-9) & (fibre < M.MAX_FIBRE_LENGTH_NORM - 1e-9), axis=1)
    physiological = inside & (force_norm.max(axis=1) < 5.0)
    assert physiological.sum() >= 48
    assert np.all(np.isfinite(force_norm)) and np.all(np.isfinite(fibre))
    assert np.max(np.abs(np.asarray(residual))[physiological]) < 1e-9


@settings(max_examples=25, deadline=None)
@given(data=st.data(), tendon=st.sampled_from(["compliant", "rigid"]))
def test_random_inputs_within_bounds_stay_finite(data, tendon):
    model = TENDONS.lookup(tendon)
    values = {}
    for row in parameter_table(model()):
        values[row.path] = data.draw(st.floats(*row.bounds), label=row.path)
    params = model(**values)
    start_norm = data.draw(st.floats(0.6, 1.4), label="start fibre length")
    velocity = data.draw(st.floats(-1.5, 1.5), label="velocity (m/s)")
    excitation = data.draw(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4), label="excitation")
    dt = data.draw(st.sampled_from([5e-4, 1e-3]), label="dt")
    out = _random_run(params, start_norm, velocity, jnp.asarray(excitation), dt)
    for name in ("tendon_force", "fibre_length_norm", "fibre_velocity", "activation", "active_fibre_force"):
        assert np.all(np.isfinite(np.asarray(getattr(out, name)))), name
    assert np.all(np.asarray(out.tendon_force) >= 0.0)
    assert np.all((np.asarray(out.activation) >= 0.0) & (np.asarray(out.activation) <= 1.0))
    assert np.all(np.asarray(out.fibre_length_norm) >= float(M._min_fibre_length_norm(params)) - 1e-12)


@jax.jit
def _random_run(params, start_norm, velocity, excitation, dt):
    """100 steps: a ramp at ``velocity`` limited to +-0.3 l_opt, excitation changing every 25 steps.

    The start is raised to the shortest fibre the pennation allows, if needed."""
    time = jnp.arange(100) * dt
    travel = 0.3 * params.optimal_fibre_length
    start_norm = jnp.maximum(start_norm, M._min_fibre_length_norm(params))
    lengths = _length_at(start_norm, params) + jnp.clip(velocity * time, -travel, travel)
    return _simulate(params, lengths, jnp.repeat(excitation, 25), dt)


# --- transformations: grad, vmap ---------------------------------------------------------------


def _loss(params):
    """Mean tendon force (N) over 200 steps of a 0.5 m/s stretch, activation 0.1 -> excitation 0.3."""
    dt = 1e-3
    lengths = _length_at(0.95, params) + 0.5 * jnp.clip((jnp.arange(200) + 1) * dt - 0.05, 0.0, 0.04)
    out = _simulate(params, lengths, jnp.full(200, 0.3), dt, 0.1)
    return jnp.mean(out.tendon_force)


@pytest.mark.parametrize(
    "path", ["max_isometric_force", "tendon_slack_length", "optimal_fibre_length", "activation_time"]
)
def test_gradient_through_200_steps_matches_finite_differences(path):
    """jax.grad of the mean force through 200 implicit steps (and the initial equilibrium) against
    central differences with a relative step of 1e-6: the solver converges to ~1e-13, so the
    difference quotient is good to ~1e-6 relative; we allow 1e-5."""
    gradient = getattr(_grad_loss(DEFAULT), path)
    value = getattr(DEFAULT, path)
    step = 1e-6 * value

    def shifted(delta):
        return float(_jit_loss(eqx.tree_at(lambda p: getattr(p, path), DEFAULT, value + delta)))

    finite_difference = (shifted(step) - shifted(-step)) / (2 * step)
    assert float(gradient) == pytest.approx(finite_difference, rel=1e-5)
    assert abs(finite_difference) > 0.0


_jit_loss = jax.jit(_loss)
_grad_loss = jax.jit(jax.grad(_loss))


def test_vmap_over_parameter_sets_equals_a_loop():
    sets = [eqx.tree_at(lambda p: p.tendon_slack_length, DEFAULT, value) for value in (0.3, 0.399, 0.45)]
    length, activation = 0.47, 0.2
    state = MuscleState(jnp.asarray(activation), jnp.asarray(0.05))
    _, batched = jax.vmap(lambda p: _step(state, 0.6, length, p, 1e-3))(stack_params(sets))
    looped = [float(_step(state, 0.6, length, params, 1e-3)[1].tendon_force) for params in sets]
    np.testing.assert_allclose(batched.tendon_force, looped, rtol=1e-12)
