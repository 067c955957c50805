"""Test harness for tests/ and the docstring examples under src/ (``--doctest-modules``).

JAX is configured as the command line configures it; float64 is on for the unit tests and the
docstring examples of the physiology parts, which call pure JAX functions directly (myoreflex runs
them in float64, :mod:`myoreflex.runtime`; the public API needs no switch, which
tests/test_runtime.py checks in a fresh process); implicit rank promotion raises; the shared data
folder is located; compiled code is kept in a temporary folder of this session, never in the
user's cache (``MYOREFLEX_CACHE_DIR``, which the commands run in subprocesses inherit).
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import jax
import pytest

import myoreflex

if "MYOREFLEX_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="myoreflex-test-cache-")
    os.environ["MYOREFLEX_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

myoreflex.configure()
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

SHARED = Path(os.environ.get("MYOREFLEX_SHARED", Path(__file__).resolve().parents[1] / "shared"))
DATA = SHARED / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


CALIBRATION_OUTPUTS = Path(__file__).resolve().parent / "docs" / "calibration"
"""The calibrations' own outputs (`calibrate --out`), committed beside docs/calibration.md: its tables
and the calibrated presets were made from them."""


@pytest.fixture(scope="session")
def calibration_sizes():
    """``name -> {path: size}``: the fitted sizes of a committed calibration output (``read_sizes``)."""
    from myoreflex.calibration import read_sizes

    return lambda name: read_sizes(CALIBRATION_OUTPUTS / name)


@pytest.fixture(scope="module", autouse=True)
def _compiled_code_freed_after_each_module():
    """Each module's compiled programs freed when it ends (``jax.clear_caches``): a test worker that
    keeps every module's compilations grows to 11-12 GB by the end of the suite, two of them fill a
    24 GB machine, and the last modules slow to minutes each or the worker is killed (CI, stop 29).
    A module that needs a program another one compiled compiles it again, or loads its kept trace."""
    yield
    if os.environ.get("MYOREFLEX_TEST_KEEP_COMPILED") != "1":
        import gc

        jax.clear_caches()
        gc.collect()
