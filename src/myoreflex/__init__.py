"""myoreflex: simulate and measure muscle spasm (research and teaching, not a medical device)."""

import jax

jax.config.update("jax_enable_x64", True)

from importlib.metadata import PackageNotFoundError, version  # noqa: E402

try:
    __version__ = version("myoreflex")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
