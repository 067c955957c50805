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
