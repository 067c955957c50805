"""Golgi tendon organ: the Ib afferent rate from tendon force (Lin & Crago 2002).

A static logarithmic compression of the tendon force followed by a linear lead-lag filter
(ANCHORS 1.3)::

    r(t)  = G1 ln(f(t) / g2 + 1),   f = F / F_max,  g2 = G2 / F_max  (pps)
    Ib(s) = H(s) r(s),   H(s) = (1.7 s^2 + 2.58 s + 0.4) / (s^2 + 2.2 s + 0.4)
    Ib    = max(Ib, 0)

H has poles at -0.2 and -2 1/s, zeros at -0.175 and -1.342 1/s, DC gain 1 and high-frequency gain
1.7: a step in force gives an immediate overshoot to 1.7 times the step in ``r``, which relaxes to
the static rate over a few seconds.

Force scale per muscle. Lin & Crago's G2 = 4 N belongs to the cat muscle their model was fitted to
(cat soleus, maximal force of order 20-25 N; unverified against the paper). On a human quadriceps (4400 N) the same 4 N made a
relaxed muscle's resting tone (0.5 % of F_max, 22 N) fire Ib at 113 pps, and a stroke knee's reflex
at 440 pps, far above what tendon organs do in relaxed muscle (they barely respond to passive
stretch and fire with active force: Houk & Henneman 1967 J Neurophysiol 30:466). The force is therefore taken relative to the
muscle's own maximal force: each tendon organ lies in series with the fibres of some 10-15 motor
units of its muscle (Houk & Henneman 1967), and with orderly recruitment a given fraction of F_max
recruits about the same fraction of units in a small and a large muscle, so the ensemble rate is a
function of F / F_max, as in Prochazka's linear Ib model, Ib = 333 F / F_max pps (Prochazka 1999
Prog Brain Res 123:133, via Prochazka & Gorassini 1998 and Ekeberg & Pearson 2005; ANCHORS 1.2,
coefficient unverified). Default ``g2 = 0.18``: Lin & Crago's 4 N on a cat soleus of about 22 N,
and the value at which the log curve's small-force slope ``G1 / g2`` equals Prochazka's 333 pps
per F_max (60 / 333 = 0.18). A relaxed healthy knee's Ib then fires below 10 pps (tested in
tests/test_pendulum_sim.py).

References: Lin C-CK, Crago PE (2002) Neural and mechanical contributions to the stretch reflex: a
model synthesis. Ann Biomed Eng 30:54-67 (``lin2002``); the same constants are used by Elias et al.
2014 and by the OpenSim afferent plugin ``Lin02GolgiTendonOrgan`` (which scales H by 40).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex import fastmath
from myoreflex.params import param

LIN_CRAGO = (
    "Lin & Crago 2002 (Ann Biomed Eng 30:54), via Elias et al. 2014 and OpenSim Lin02GolgiTendonOrgan "
    "(ANCHORS 1.3)"
)


class TendonOrganParams(eqx.Module):
    """Gain, force scale and transfer-function coefficients of the Golgi tendon organ.

    ``H(s) = (n2 s^2 + n1 s + n0) / (s^2 + d1 s + d0)`` with s in 1/s. The force scale is a fraction
    of each muscle's maximal isometric force (module docstring), so one parameter set serves both
    muscles of a joint and every body size.
    """

    gain: float = param(60.0, unit="pps", bounds=(1.0, 300.0), source=LIN_CRAGO + ": G1")
    force_scale: float = param(
        0.18,
        unit="1 (F/F_max)",
        bounds=(0.005, 2.0),
        source=LIN_CRAGO + ": G2 = 4 N on a cat soleus of ~22 N, taken as a fraction of F_max (tendon organs "
        "sample motor units of their muscle: Houk & Henneman 1967); 60 pps / 0.18 = 333 pps per F_max, "
        "Prochazka 1999's linear Ib slope (ANCHORS 1.2, unverified). Bounds: 4 N on muscles of 2-800 N",
        doc="force at which r = G1 ln 2, in maximal isometric forces of the muscle",
    )
    numerator_quadratic: float = param(
        1.7, unit="1", bounds=(1.0, 5.0), source=LIN_CRAGO + ": s^2 coefficient of the numerator"
    )
    numerator_linear: float = param(
        2.58, unit="1/s", bounds=(0.0, 20.0), source=LIN_CRAGO + ": s coefficient of the numerator"
    )
    numerator_constant: float = param(
        0.4, unit="1/s^2", bounds=(0.01, 10.0), source=LIN_CRAGO + ": constant of the numerator"
    )
    denominator_linear: float = param(
        2.2, unit="1/s", bounds=(0.1, 20.0), source=LIN_CRAGO + ": s coefficient of the denominator"
    )
    denominator_constant: float = param(
        0.4, unit="1/s^2", bounds=(0.01, 10.0), source=LIN_CRAGO + ": constant of the denominator"
    )


class TendonOrganState(eqx.Module):
    """Filter state: controllable-canonical states of H and the last log-compressed rate.

    ``filtered_rate`` (pps s^2) is r filtered by ``1 / (s^2 + d1 s + d0)`` and
    ``filtered_rate_derivative`` (pps s) its time derivative; ``previous_rate`` (pps) is the input
    r of the last step, which the trapezoidal (Tustin) update needs.
    """

    filtered_rate: jax.Array
    filtered_rate_derivative: jax.Array
    previous_rate: jax.Array


def tendon_organ_rate_static(force_norm, params: TendonOrganParams):
    """Static (log-compressed) Ib rate ``r = G1 ln(f / g2 + 1)`` (pps) of the tendon force ``f``
    in maximal isometric forces of its muscle (1).

    Negative forces count as zero (a slack tendon does not excite the organ).

    Examples
    --------
    >>> round(float(tendon_organ_rate_static(0.18, TendonOrganParams())), 3)  # f = g2: G1 ln 2
    41.589
    """
    return params.gain * fastmath.log1p(jnp.maximum(force_norm, 0.0) / params.force_scale)


def _split_transfer_function(params: TendonOrganParams):
    """H(s) = D + (c1 s + c0) / (s^2 + d1 s + d0): feedthrough D and the strictly proper part."""
    direct = params.numerator_quadratic
    linear = params.numerator_linear - direct * params.denominator_linear
    constant = params.numerator_constant - direct * params.denominator_constant
    return direct, linear, constant


def tendon_organ_equilibrium(force_norm, params: TendonOrganParams) -> TendonOrganState:
    """Steady state for a constant tendon force (F_max): the filter at rest with input r(f).

    The output at this state is ``(n0 / d0) r(F)``, i.e. exactly the static rate for the published
    coefficients (n0 = d0 = 0.4: DC gain 1).

    Examples
    --------
    >>> state = tendon_organ_equilibrium(0.3, TendonOrganParams())
    >>> float(state.filtered_rate_derivative)
    0.0
    """
    rate = tendon_organ_rate_static(force_norm, params)
    return TendonOrganState(rate / params.denominator_constant, 0.0 * rate, rate)


def tendon_organ_step(state: TendonOrganState, force_norm, params: TendonOrganParams, dt):
    """Advance the tendon organ by ``dt`` (s) to a new tendon force (maximal isometric forces).

    Parameters
    ----------
    state : TendonOrganState
    force_norm : float
        Tendon force at the end of the step, in maximal isometric forces of the muscle (1).
    params : TendonOrganParams
    dt : float
        Step (s).

    Returns
    -------
    (TendonOrganState, ib_pps)
        New state and the rectified Ib rate (pps) at the end of the step.

    Notes
    -----
    ``H`` is realised in controllable canonical form, ``x1' = x2``,
    ``x2' = -d0 x1 - d1 x2 + r``, ``Ib = c0 x1 + c1 x2 + D r`` (with ``D = n2``,
    ``c1 = n1 - D d1``, ``c0 = n0 - D d0``), and advanced by the trapezoidal rule, which is the
    bilinear (Tustin) transform of H: A-stable, second-order accurate for the smooth force of a
    simulation (phase error ``omega^3 dt^2 / 12``), and exact at DC (its fixed point for constant r
    is the continuous equilibrium). ``myogen`` uses the same transform (ANCHORS 1.3). The output is
    rectified at 0.

    Examples
    --------
    >>> p = TendonOrganParams()
    >>> state = tendon_organ_equilibrium(0.0, p)
    >>> state, ib = tendon_organ_step(state, 0.18, p, 1e-3)
    >>> round(float(ib), 1)  # ~1.7 x the static 41.6 pps
    70.7
    """
    with jax.named_scope("tendon_organ"):
        rate = tendon_organ_rate_static(force_norm, params)
        direct, linear, constant = _split_transfer_function(params)
        d0, d1 = params.denominator_constant, params.denominator_linear
        half = 0.5 * dt
        x1, x2, previous = state.filtered_rate, state.filtered_rate_derivative, state.previous_rate
        # (I - h A) x+ = (I + h A) x + h B (r + r_prev), h = dt/2, A = [[0, 1], [-d0, -d1]], B = [0, 1]
        rhs1 = x1 + half * x2
        rhs2 = x2 + half * (-d0 * x1 - d1 * x2) + half * (rate + previous)
        determinant = 1.0 + half * d1 + half * half * d0
        new_x1 = ((1.0 + half * d1) * rhs1 + half * rhs2) / determinant
        new_x2 = (rhs2 - half * d0 * rhs1) / determinant
        ib = constant * new_x1 + linear * new_x2 + direct * rate
        return TendonOrganState(new_x1, new_x2, rate), jnp.maximum(ib, 0.0)
