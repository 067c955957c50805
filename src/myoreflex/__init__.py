"""myoreflex: simulate and measure muscle spasm (research and teaching, not a medical device)."""

import os

import jax

jax.config.update("jax_enable_x64", True)
# One XLA CPU device per core, so batched simulations can be split across cores (see
# simulate.shard_batch). Only possible before JAX initialises its backends; harmless otherwise.
try:
    jax.config.update("jax_num_cpu_devices", int(os.environ.get("MYOREFLEX_CPU_DEVICES", os.cpu_count() or 1)))
except Exception:  # pragma: no cover - backend already initialised by the caller
    pass

from importlib.metadata import PackageNotFoundError, version  # noqa: E402

try:
    __version__ = version("myoreflex")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
