"""Array helpers shared by the physiology modules."""

from __future__ import annotations

import jax.numpy as jnp


def stack(arrays):
    """``jnp.stack(arrays)`` (new leading axis) that keeps a ``vmap`` batch axis in front.

    Under ``vmap`` JAX's stack puts the batch axis second and transposes it back at every use;
    in a batched loop body XLA then cannot flatten the elementwise kernels, so they run as nested
    scalar loops instead of vector code. A concatenation of leading unit axes batches in place.
    """
    return jnp.concatenate([jnp.asarray(a)[None] for a in arrays])
