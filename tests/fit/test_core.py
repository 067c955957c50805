"""The shared fitting machinery (fit/core.py): Levenberg-Marquardt on degenerate problems, and the
batched evaluator reusing one compilation inside a sampler's host callback."""

import jax
import jax.numpy as jnp
import numpy as np

from myoreflex.fit import core


def _problem(evaluate, k):
    return core.Problem(
        names=tuple(f"p{i}" for i in range(k)),
        low=np.full(k, -np.inf),
        high=np.full(k, np.inf),
        bounded=np.zeros(k, dtype=bool),
        prior_mean=np.zeros(k),
        prior_sd=np.full(k, np.inf),  # no prior: nothing regularises J^T J
        evaluate=evaluate,
    )


def test_levenberg_marquardt_survives_a_singular_normal_matrix():
    # The second parameter does not enter the residual and has no prior, so J^T J is exactly
    # singular (a fit met a numerically singular one, entries ~1e30, and np.linalg.solve raised
    # LinAlgError in the Newton decrement).
    def evaluate(z):
        z = np.atleast_2d(z)
        jac = np.zeros((z.shape[0], 1, 2))
        jac[:, 0, 0] = 1e15
        return 1e15 * (z[:, :1] - 1.0), jac

    result = core.levenberg_marquardt(_problem(evaluate, 2), np.array([[0.3, 0.1]]), 1.0)
    z = np.asarray(result.z)[0]
    assert abs(z[0] - 1.0) < 1e-9 and z[1] == 0.1  # solved; the free direction untouched
    assert bool(np.asarray(result.converged)[0])


def test_batched_evaluator_reuses_its_compilation_under_a_default_device():
    # A host callback runs under default_device(cpu:0) (JAX sets it); the evaluator must not trace
    # and compile the model again there (that cost NUTS 13-21 s per posterior before).
    @jax.jit
    def model(z, data):
        return z * data, jnp.broadcast_to(data, z.shape)[..., None]

    evaluate = core.batched_evaluator(model, 4, {"data": jnp.ones((1, 3))}, {})
    evaluate(np.zeros((4, 3)))
    compiled = model._cache_size()
    with jax.default_device(jax.devices()[0]):
        evaluate(np.ones((4, 3)))
    assert model._cache_size() == compiled


def _quadratic_problem(curvature, roughness=0.0):
    """``F = 1/2 z_a^2 + 1/2 (1 + c z_b^2 / 2)^2``: curvature 1 along ``a`` and ``c`` along ``b`` at 0
    (a saddle when ``c < 0``). ``roughness`` adds a step of that size to ``dF/dz_b`` where ``z_a``
    changes sign, a gradient not smooth to the last digit as a simulation's is (a rectification)."""
    import numpy as np

    from myoreflex.fit import core

    def evaluate(z):
        z = np.atleast_2d(z)
        r = np.stack([z[:, 0], 1.0 + 0.5 * curvature * z[:, 1] ** 2], axis=-1)
        jac = np.zeros(z.shape[:1] + (2, 2))
        jac[:, 0, 0] = 1.0
        jac[:, 1, 1] = curvature * z[:, 1] + roughness * np.sign(z[:, 0]) / r[:, 1]
        return r, jac

    return core.Problem(names=("a", "b"), low=np.zeros(2), high=np.ones(2), bounded=np.zeros(2, bool),
                        prior_mean=np.zeros(2), prior_sd=np.full(2, 1e6), evaluate=evaluate)


def test_a_true_saddle_is_not_a_minimum_but_finite_difference_noise_is_not_a_saddle():
    import numpy as np

    from myoreflex.fit import core

    saddle = core.laplace(_quadratic_problem(-1.0), np.zeros(2), 1.0)
    assert not saddle.positive_definite  # curvature -1 along b, exact gradient: a saddle
    # Curvature +1e-4 along b, but a gradient step of 1e-5 puts 0.05 (1e-5 / 2h, h = 1e-4) into the
    # off-diagonal differences, one-sided: the symmetrised Hessian's smallest eigenvalue is about
    # 1e-4 - 0.05^2 < 0, within the differences' error (the antisymmetric part, 0.05).
    rough = core.laplace(_quadratic_problem(1e-4, roughness=1e-5), np.zeros(2), 1.0)
    assert rough.positive_definite and "within its finite-difference error" in rough.hessian_method
    rough_saddle = core.laplace(_quadratic_problem(-1.0, roughness=1e-5), np.zeros(2), 1.0)
    assert not rough_saddle.positive_definite  # -1 is far outside that error


def test_the_assumed_values_shift_and_error_are_those_of_a_linear_least_squares_refit():
    # r = X z + g a - y with prior N(0, 1) on z: the optimum is z*(a) = -(X^T X + I)^-1 X^T (g a - y), so
    # dz*/da = -(X^T X + I)^-1 X^T g exactly, and a ~ N(a0, s^2) adds S s^2 S^T to the covariance.
    rng = np.random.default_rng(3)
    x, g, y = rng.standard_normal((30, 2)), rng.standard_normal((30, 1)), rng.standard_normal(30)
    covariance = np.linalg.inv(x.T @ x + np.eye(2))

    def refit(a):
        return covariance @ (x.T @ (y - g[:, 0] * a))

    total, shift = core.with_assumed(covariance, x, g, 1.0, [0.3])
    np.testing.assert_allclose(shift[:, 0], (refit(0.5) - refit(-0.5)), rtol=1e-10)
    np.testing.assert_allclose(total, covariance + 0.09 * np.outer(shift, shift), rtol=1e-10)
    assert np.all(np.diag(total) > np.diag(covariance))
