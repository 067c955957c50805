"""The vectorisable float64 logarithms against NumPy's (myoreflex.fastmath)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from myoreflex import fastmath


def _ulps(got, expected):
    return np.abs(got - expected) / np.spacing(np.abs(expected))


def test_log_is_within_two_ulp_of_numpy_over_the_normal_range():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 200_000)), rng.uniform(0.5, 2.0, 200_000),
                        1.0 + rng.uniform(-1e-8, 1e-8, 20_000), [2.0**-1022, np.finfo(float).max, 2.0, 0.5]])
    got = np.asarray(jax.jit(fastmath.log)(jnp.asarray(x)))
    expected = np.log(x)
    nonzero = expected != 0.0
    assert np.max(_ulps(got[nonzero], expected[nonzero])) <= 2.0
    assert got[~nonzero].tolist() == [0.0] * int(np.sum(~nonzero))


def test_log_special_values_follow_jnp_log():
    x = jnp.asarray([0.0, np.inf, -1.0, np.nan, 1e-310])  # 1e-310 is subnormal: XLA flushes it to 0
    np.testing.assert_array_equal(np.asarray(jax.jit(fastmath.log)(x)), np.asarray(jax.jit(jnp.log)(x)))


def test_log1p_keeps_the_precision_of_small_arguments():
    x = np.concatenate([np.geomspace(1e-300, 1e-3, 2000), np.geomspace(1e-3, 1e6, 2000), [0.0]])
    got = np.asarray(jax.jit(fastmath.log1p)(jnp.asarray(x)))
    expected = np.log1p(x)
    nonzero = expected != 0.0
    assert np.max(_ulps(got[nonzero], expected[nonzero])) <= 4.0
    assert got[-1] == 0.0


@pytest.mark.parametrize("x", [1e-6, 0.3, 1.0, 7.5, 1e5])
def test_derivatives_are_the_reciprocals(x):
    assert float(jax.grad(fastmath.log)(x)) == pytest.approx(1.0 / x, rel=1e-15)
    assert float(jax.grad(fastmath.log1p)(x)) == pytest.approx(1.0 / (1.0 + x), rel=1e-15)
