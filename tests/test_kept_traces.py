"""Compiled code kept across processes (myoreflex.runtime: jax.export traces and JAX's cache): a
second process reuses it without compiling and gets the very numbers of an uncached run."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, sys
import myoreflex
from myoreflex import PendulumTest, default_params, simulate
myoreflex.configure()
trial = simulate(default_params("knee"), PendulumTest(duration=2.0))
print(json.dumps([float(v) for v in trial["angle"][::25]]))
"""


def run(env):
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def kept(folder):
    """Every kept file (traces and compiled executables) with its size and modification time."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def test_a_second_process_reuses_the_kept_trace_and_matches_an_uncached_run(tmp_path):
    env = {**os.environ, "MYOREFLEX_CACHE_DIR": str(tmp_path)}
    env.pop("MYOREFLEX_NO_CACHE", None)
    first, _ = run(env)
    after_first = kept(tmp_path)
    second, _ = run(env)
    uncached, _ = run({**env, "MYOREFLEX_NO_CACHE": "1"})
    assert any(name.endswith(".jaxexport") for name in after_first)  # the trace is kept on disk
    assert any(name.endswith("-cache") for name in after_first)  # and its compiled executable
    assert kept(tmp_path) == after_first  # the second process wrote nothing: it compiled nothing
    assert first == second == uncached  # bit-identical: the kept trace is the same program
