"""Spinal interneuronal circuit: how afferent and descending signals sum on the motor neuron pool.

Net input to a muscle's pool (pps-equivalents of its own Ia input)::

    u = w_Ia Ia + w_II II - w_Ib Ib - w_rec Ia_antagonist + D_fac - D_inh

monosynaptic Ia excitation, group II excitation, autogenic Ib inhibition (Golgi tendon organ via
Ib interneurons), reciprocal Ia inhibition from the antagonist (via Ia inhibitory interneurons)
and descending facilitation / inhibition (Pierrot-Deseilligny & Burke 2012, The Circuitry of the
Human Spinal Cord, chapters 2, 5 and 6).

Also here: the force / dF/dt feedback of Falisse et al. 2018, which maps muscle force directly to
excitation through a smooth threshold and a first-order filter; the loop's alternative feedback
variant (:class:`myoreflex.model.ForceFeedbackLoop`, ``default_params(feedback="force")``).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from myoreflex.params import param

PDB = "Pierrot-Deseilligny & Burke 2012, The Circuitry of the Human Spinal Cord"
FALISSE = "Falisse et al. 2018 PLOS ONE 13:e0208811"


class CircuitParams(eqx.Module):
    """Synaptic weights of the pathways converging on the pool (dimensionless, per pps)."""

    ia_weight: float = param(1.0, unit="1", bounds=(0.0, 10.0), source=PDB + ", ch. 2 (reference pathway)")
    ii_weight: float = param(0.2, unit="1", bounds=(0.0, 5.0), source=PDB + ", ch. 7 (weaker group II excitation)")
    ib_weight: float = param(0.5, unit="1", bounds=(0.0, 5.0), source=PDB + ", ch. 6 (autogenic Ib inhibition)")
    reciprocal_weight: float = param(
        0.3, unit="1", bounds=(0.0, 5.0), source=PDB + ", ch. 5 (reciprocal Ia inhibition)"
    )


def net_input(ia, ii, ib, ia_antagonist, descending_facilitation, descending_inhibition, params: CircuitParams):
    """Net synaptic input to the pool (pps), the equation in the module docstring."""
    return (
        params.ia_weight * ia
        + params.ii_weight * ii
        - params.ib_weight * ib
        - params.reciprocal_weight * ia_antagonist
        + descending_facilitation
        - descending_inhibition
    )


class ForceFeedbackParams(eqx.Module):
    """Falisse et al. 2018 force and force-rate feedback gains, thresholds and filter."""

    force_gain: float = param(0.0, unit="1", bounds=(0.0, 1.0), source=FALISSE + ": g_F in [0, 1]")
    force_threshold: float = param(
        0.01,
        unit="1 (F/Fmax)",
        bounds=(0.0, 5.0),
        source=FALISSE + ": per trial, the force 20 ms before EMG onset; 0.01 here (relaxed muscle)",
    )
    force_rate_gain: float = param(0.0, unit="s", bounds=(0.0, 15.0), source=FALISSE + ": g_dF in [0, 15]")
    force_rate_threshold: float = param(0.0, unit="1/s", bounds=(-5.0, 50.0), source=FALISSE + ": threshold 0")
    time_constant: float = param(0.030, unit="s", bounds=(0.005, 0.2), source=FALISSE + ": tau = 30 ms")
    smoothing: float = param(100.0, unit="1", bounds=(1.0, 1000.0), source=FALISSE + ": b = 100")


class ForceFeedbackState(eqx.Module):
    """Filtered force and force-rate feedback excitations (1)."""

    force: jax.Array
    force_rate: jax.Array


def _smooth_step(x, b):
    return 0.5 * jnp.tanh(b * x) + 0.5


def force_feedback_step(state: ForceFeedbackState, force_norm, force_rate_norm, params: ForceFeedbackParams, dt):
    """Advance both feedback pathways; returns the state and the reflex excitation (1).

    ``tau e_F' = g_F F H(F - F_thr) - e_F``, ``tau e_dF' = g_dF dF H(dF - dF_thr) - e_dF`` with
    ``H(x) = tanh(b x)/2 + 1/2`` and ``dF`` bounded to +-50 1/s (Falisse et al. 2018).
    """
    force_rate_norm = jnp.clip(force_rate_norm, -50.0, 50.0)
    target_f = params.force_gain * force_norm * _smooth_step(force_norm - params.force_threshold, params.smoothing)
    target_df = (
        params.force_rate_gain
        * force_rate_norm
        * _smooth_step(force_rate_norm - params.force_rate_threshold, params.smoothing)
    )
    decay = jnp.exp(-dt / params.time_constant)
    force = target_f + (state.force - target_f) * decay
    force_rate = target_df + (state.force_rate - target_df) * decay
    state = ForceFeedbackState(jnp.clip(force, 0.0, 1.0), jnp.clip(force_rate, 0.0, 1.0))
    return state, state.force + state.force_rate
