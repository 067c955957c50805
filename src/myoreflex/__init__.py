"""myoreflex: simulate and measure muscle spasm (research and teaching, not a medical device)."""

import os

# XLA's CPU runtime runs a while loop's body as a plain sequence of kernels (no task scheduling
# per kernel) only while the loop's buffers stay under a byte threshold (512 by default). The
# reflex loop is hundreds of tiny kernels per step, so lifting the threshold makes one simulated
# step 2-3 times cheaper (benchmarks/RESULTS.md, 2026-11-28 run C). Read when JAX starts its CPU
# backend; left alone if the caller already passes backend options.
SMALL_LOOP_OPTION = "xla_cpu_small_while_loop_byte_threshold=1000000000"
if "xla_backend_extra_options" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_backend_extra_options={SMALL_LOOP_OPTION}".strip()
# On CPUs with 512-bit vector units XLA still emits 256-bit code by default; the batched loop is
# elementwise float64 arithmetic, and 512-bit code runs about 1.25x more pendulums per second
# with bit-identical results (benchmarks/RESULTS.md, run H). Other CPUs ignore the preference.
VECTOR_WIDTH_FLAG = "--xla_cpu_prefer_vector_width=512"
if "xla_cpu_prefer_vector_width" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] = f"{os.environ['XLA_FLAGS']} {VECTOR_WIDTH_FLAG}"

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
# One XLA CPU device per core, so batched simulations can be split across cores (see
# simulate.shard_batch), plus one spare that hosts a sampler's loop while the cores simulate
# (fit.core.nuts). Only possible before JAX initialises its backends; harmless otherwise.
COMPUTE_DEVICES = int(os.environ.get("MYOREFLEX_CPU_DEVICES", os.cpu_count() or 1))
try:
    jax.config.update("jax_num_cpu_devices", COMPUTE_DEVICES + 1)
except Exception:  # pragma: no cover - backend already initialised by the caller
    pass

from importlib.metadata import PackageNotFoundError, version  # noqa: E402

try:
    __version__ = version("myoreflex")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
