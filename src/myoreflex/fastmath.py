"""Float64 logarithms that XLA's CPU backend turns into vector code.

XLA evaluates ``jnp.log`` and ``jnp.log1p`` in float64 one element at a time (a library call per
element): about 8-11 ns per element on the development machine, against 1-2 ns for ``exp``,
``sqrt`` or a division, which it vectorises. The reflex loop takes some 60 logarithms per trial and
step (the muscle's force-velocity asinh and tendon compression, the spindle's power laws, the
tendon organ's compression); with these, a batch of pendulum tests runs about 1.25x faster
(benchmarks/RESULTS.md, run H).

:func:`log` is written from elementwise arithmetic and bit operations only, which XLA vectorises:
``x = 2^e m`` with ``m`` in [sqrt(1/2), sqrt(2)), then::

    ln x = e ln 2 + 2 atanh(s),   s = (m - 1) / (m + 1),   |s| <= 3 - 2 sqrt(2) = 0.1716,
    2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...)            (the series of ln((1 + s) / (1 - s))),

cut after the s^21 term: the first term left out is below 1.2e-18 of the result. ``ln 2`` is split
into a part with trailing zero bits and a small rest (Cody & Waite 1980, Software Manual for the
Elementary Functions, ch. 5), so ``e ln 2`` loses nothing. Against ``numpy.log`` over 2e6
arguments from 1e-304 to 1e304: at most 2 units in the last place (tests/test_fastmath.py).
Subnormal inputs give ``-inf``, as XLA's own ``log`` does on the CPU (it flushes them to zero).
(A ``1 + x`` rounding correction for :func:`log1p` in the manner of Goldberg 1991 does not work
here: XLA simplifies ``(1 + x) - 1`` to ``x``.)

Both functions carry their derivative as a custom JVP (``d ln x = dx / x``), so ``grad``, ``jvp``
and ``vmap`` work through them.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

#: ln 2 split so that ``e * LN2_HIGH`` is exact for any float64 exponent e (Cody & Waite 1980).
LN2_HIGH = 6.93147180369123816490e-01
LN2_LOW = math.log(2.0) - LN2_HIGH
#: Coefficients 2/3, 2/5, ..., 2/21 of the atanh series after its first term 2s.
_ATANH_SERIES = tuple(2.0 / (2 * k + 1) for k in range(1, 11))
#: Largest |s| the series serves to full precision: 3 - 2 sqrt(2), the s of m = sqrt(2).
_SERIES_LIMIT = 3.0 - 2.0 * math.sqrt(2.0)
_MANTISSA_BITS = (1 << 52) - 1
_EXPONENT_OF_ONE = 1023 << 52
#: Smallest positive normal float64; XLA's CPU ``log`` treats anything below as zero.
SMALLEST_NORMAL = 2.2250738585072014e-308


def _two_atanh(s):
    """``2 atanh(s) = ln((1 + s) / (1 - s))`` for ``|s| <= 0.1716`` by its series to s^21."""
    z = s * s
    series = _ATANH_SERIES[-1]
    for coefficient in _ATANH_SERIES[-2::-1]:
        series = series * z + coefficient
    return 2.0 * s + s * z * series


@jax.custom_jvp
def log(x):
    """Natural logarithm of float64 ``x`` (vectorisable; within 2 ulp of ``jnp.log``).

    Examples
    --------
    >>> round(float(log(math.e)), 15)
    1.0
    """
    x = jnp.asarray(x, dtype=jnp.float64)
    bits = jax.lax.bitcast_convert_type(x, jnp.int64)
    mantissa = jax.lax.bitcast_convert_type((bits & _MANTISSA_BITS) | _EXPONENT_OF_ONE, jnp.float64)
    high = mantissa > math.sqrt(2.0)  # fold [sqrt 2, 2) onto [sqrt 1/2, 1)
    mantissa = jnp.where(high, 0.5 * mantissa, mantissa)
    exponent = ((bits >> 52) - 1023 + high.astype(jnp.int64)).astype(jnp.float64)
    value = exponent * LN2_HIGH + (_two_atanh((mantissa - 1.0) / (mantissa + 1.0)) + exponent * LN2_LOW)
    zero_or_subnormal = (x >= 0.0) & (x < SMALLEST_NORMAL)
    special = jnp.where(zero_or_subnormal, -jnp.inf, jnp.where(x == jnp.inf, jnp.inf, jnp.nan))
    return jnp.where((x >= SMALLEST_NORMAL) & (x < jnp.inf), value, special)


@log.defjvp
def _log_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return log(x), dx / x


@jax.custom_jvp
def log1p(x):
    """``ln(1 + x)`` for float64 ``x > -1``, accurate for small ``x`` too (vectorisable).

    Notes
    -----
    ``ln(1 + x) = 2 atanh(s)`` with ``s = x / (2 + x)``, by the series where ``|s| <= 0.1716``
    (x from -0.293 to 0.414), which keeps every digit of a small ``x``; :func:`log` of ``1 + x``
    elsewhere, where the rounding of ``1 + x`` costs at most about one unit in the last place.

    Examples
    --------
    >>> float(log1p(1e-20))
    1e-20
    """
    x = jnp.asarray(x, dtype=jnp.float64)
    s = x / (2.0 + x)
    near_zero = jnp.abs(s) <= _SERIES_LIMIT
    return jnp.where(near_zero, _two_atanh(jnp.where(near_zero, s, 0.0)), log(1.0 + x))


@log1p.defjvp
def _log1p_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return log1p(x), dx / (1.0 + x)
