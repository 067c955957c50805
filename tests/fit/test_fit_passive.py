"""Passive pendulum fit on the De Groote tutorial trace (issue 5, acceptance item 2), NUTS vs Laplace,
identifiability warning, and the JSON contract.

Reference (ANCHORS 3.3): the tutorial (VDB-Bram/Tutorial-Direct-Collocation, Part4a shooting) fits
T_b = -2.073 N m (its sign convention; +2.073 here, knee flexion positive) and B = 0.1729 N m s/rad
to this trace, with m = 2.3351 kg, l_c = 0.2367 m, I = m (0.416 l_c)^2 + m l_c^2 = 0.1535 kg m^2.
"""

import math

import numpy as np
import pytest
from scipy.interpolate import CubicSpline
from scipy.optimize import minimize

from myoreflex.fit import FitSettings, NotIdentifiedWarning, fit_passive_pendulum, passive_limb
from myoreflex.io import read_csv
from myoreflex.units import DEG

TRACE = "kuleuven-pendulum-tutorial/DataPendulum.csv"
MASS, COM = 2.3351, 0.2367
INERTIA = MASS * (0.416 * COM) ** 2 + MASS * COM**2
TUTORIAL_TB, TUTORIAL_B = 2.073, 0.1729  # ANCHORS 3.3, in myoreflex's sign convention
CONVERGED_B = 0.150  # the tutorial's objective with a converged integrator (computed, test below)


@pytest.fixture(scope="module")
def trial(data_dir):
    return read_csv(data_dir / TRACE, angle_sign=-1)


@pytest.fixture(scope="module")
def limb():
    return passive_limb(MASS, COM, INERTIA)


@pytest.fixture(scope="module")
def fitted(trial, limb):
    return fit_passive_pendulum(trial, limb)


def _tutorial_shooting(data_dir, scheme, dt):
    """The tutorial's Part4a shooting fit re-done in NumPy: start at the first sample at rest, the
    whole trace, the angle's cubic spline at every step, sum of squares minimised (Nelder-Mead)."""
    data = np.loadtxt(data_dir / TRACE, delimiter=",", skiprows=1)
    t, q = data[:, 0], np.deg2rad(data[:, 1])  # the file keeps the tutorial convention: flexion negative
    grid = np.arange(t[0], t[-1] + 1e-9, dt)
    target = CubicSpline(t, q)(grid)
    mgl = MASS * 9.81 * COM

    def cost(z):
        tb, b = z
        angle, velocity, out = q[0], 0.0, np.empty(grid.size)
        for i in range(grid.size):
            out[i] = angle
            acceleration = (-mgl * math.cos(angle) - tb - b * velocity) / INERTIA
            if scheme == "forward":  # the tutorial's update: both states from the old derivative
                angle, velocity = angle + dt * velocity, velocity + dt * acceleration
            else:  # semi-implicit (symplectic) Euler, as myoreflex's passive limb
                velocity = velocity + dt * acceleration
                angle = angle + dt * velocity
        return float(np.sum((out - target) ** 2))

    return minimize(cost, [-2.0, 0.2], method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-9}).x


@pytest.mark.reference
def test_the_tutorial_values_come_from_its_explicit_euler_shooting(data_dir):
    # Guards our reading of ANCHORS 3.3: the tutorial's own scheme (explicit Euler, 5 ms) on this
    # trace gives its published numbers to 0.5 %. The same objective with a converged, energy-
    # conserving integrator gives B about 0.150: explicit Euler adds numerical energy to an
    # oscillator (growth rate omega^2 dt / 2, about 0.08 1/s here), which the fitted damping absorbs
    # (+2 I * 0.08 = +0.025 N m s/rad). That bias sets the tolerance on B below.
    tb, b = _tutorial_shooting(data_dir, "forward", 0.005)
    assert -tb == pytest.approx(TUTORIAL_TB, rel=0.005)
    assert b == pytest.approx(TUTORIAL_B, rel=0.005)
    _, b_converged = _tutorial_shooting(data_dir, "semi-implicit", 0.002)
    assert b_converged == pytest.approx(CONVERGED_B, abs=0.005)


@pytest.mark.reference
def test_passive_fit_of_the_tutorial_trace_finds_its_baseline_torque_and_damping(fitted):
    # Acceptance item 2. T_b within 5 %: it sets the resting angle (cos q_rest = T_b / m g l_c), which
    # the trace measures to a fraction of a degree. B: the tutorial's published 0.1729 carries the
    # +0.023 (+15 %) bias of its explicit Euler step (previous test), so we ask for B within 5 % of
    # the converged value of the same objective, 0.150 (5 %: our fit also estimates the release
    # time and angle instead of fixing them at the first sample), hence within 15 % of 0.1729, below it.
    assert fitted.converged
    assert fitted.params["baseline_torque"] == pytest.approx(TUTORIAL_TB, rel=0.05)
    assert fitted.params["damping"] == pytest.approx(CONVERGED_B, rel=0.05)
    assert fitted.params["damping"] == pytest.approx(TUTORIAL_B, rel=0.15)
    assert fitted.params["damping"] < TUTORIAL_B
    # The passive model is the tutorial's: it fits the child's trace to a few degrees.
    assert fitted.rmse_deg < 3.0


def test_fit_result_records_intervals_provenance_and_the_json_contract(fitted):
    for name, (low, high) in fitted.ci95.items():
        assert low < fitted.params[name] < high
    assert {"params", "ci95", "rmse_deg", "converged"} <= set(fitted.to_dict())  # documented keys; more are added
    assert fitted.to_dict()["ci95"]["damping"] == list(fitted.ci95["damping"])
    assert '"rmse_deg"' in fitted.to_json()
    assert fitted.data["source"] == "DataPendulum.csv"
    assert fitted.settings["free"] == ["baseline_torque", "damping"]
    assert fitted.model_version and fitted.seed == 0 and len(fitted.history) >= 4
    # The residuals of a model fit to a real trace are autocorrelated; the likelihood sd is widened
    # by the square root of their integrated autocorrelation time (Sokal 1997), never narrowed.
    assert fitted.diagnostics["residual_autocorrelation_time"] > 2.0
    assert fitted.noise_sd_deg > fitted.diagnostics["white_noise_sd_deg"]
    corr = fitted.correlations
    assert np.allclose(corr, corr.T) and np.allclose(np.diag(corr), 1.0)


def test_the_same_seed_gives_the_same_fit(trial, limb, fitted):
    again = fit_passive_pendulum(trial, limb)
    assert again.params == fitted.params


def test_a_parameter_without_effect_is_reported_as_not_identified(trial, limb):
    # With zero stiffness the neutral angle has no effect on the swing: its posterior is its prior.
    with pytest.warns(NotIdentifiedWarning, match="neutral_angle") as caught:
        result = fit_passive_pendulum(
            trial,
            limb,
            free=["baseline_torque", "damping", "neutral_angle"],
            window_s=3.0,
            dt=2e-3,
            settings=FitSettings(noise_sd={"angle": 1.0 * DEG}),
        )
    assert any("neutral_angle" in message for message in result.warnings)
    assert [w.filename for w in caught] == [__file__]  # the warning points at the caller's line
    assert result.settings["noise"] == {"angle": "fixed"} and result.noise_sd == {"angle_deg": pytest.approx(1.0)}


@pytest.mark.slow
def test_nuts_posterior_agrees_with_the_laplace_approximation(trial, limb):
    pytest.importorskip("numpyro")
    # A small case: 3 s of the tutorial trace at a 2 ms step, 8 chains x 40 draws after 40 warmup,
    # with a fixed 2 deg noise sd (a well-determined, near-Gaussian posterior: the regime where
    # Laplace's method is meant to hold).
    result = fit_passive_pendulum(
        trial,
        limb,
        window_s=3.0,
        dt=2e-3,
        settings=FitSettings(method="nuts", noise_sd={"angle": 2.0 * DEG}, num_warmup=40, num_samples=40,
                             num_chains=8),
    )
    assert result.method == "nuts" and result.samples["damping"].shape == (320,)
    assert result.diagnostics["divergences"] == 0
    for name in ("baseline_torque", "damping"):
        laplace_low, laplace_high = result.laplace_ci95[name]
        low, high = result.ci95[name]
        width = laplace_high - laplace_low
        # "Roughly": the posterior is close to Gaussian here, so the ends of the two intervals agree
        # to a quarter of the Laplace width (320 draws put the 2.5 % quantile within ~0.1 width).
        assert low == pytest.approx(laplace_low, abs=0.25 * width)
        assert high == pytest.approx(laplace_high, abs=0.25 * width)
