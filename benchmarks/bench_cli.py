"""Wall time of each CLI command in a fresh process: cold (empty cache) and warm (the call after).

Each call is a new ``myoreflex`` process, as from a fresh shell; the cache folder
(``MYOREFLEX_CACHE_DIR``, :func:`myoreflex.runtime.cache_dir`) starts empty, so the first call of a
command compiles and the second reuses the compiled code. ``--no-cache`` rows rerun with
``MYOREFLEX_NO_CACHE=1`` for reference. Usage::

    .venv/bin/python benchmarks/bench_cli.py [--out benchmarks/cli_<date>.json] [--repeat 1]

Prints a Markdown table for benchmarks/RESULTS.md; done-when of issue 15: the warm
``simulate pendulum --json`` at most 25 % of the cold one, ``--help`` under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {
    "--help": ["--help"],
    "bad argument": ["simulate", "pendulum", "--condition", "flu"],
    "params": ["params"],
    "simulate pendulum --json": ["simulate", "pendulum", "--json"],
    "simulate stretch --json": ["simulate", "stretch", "--json"],
}
"""Label -> arguments of ``myoreflex``."""


def executable() -> str:
    """The ``myoreflex`` console script next to this Python."""
    return str(Path(sys.executable).with_name("myoreflex"))


def wall_time(args: list[str], env: dict) -> tuple[float, int, str]:
    """Seconds, exit code and stderr of one ``myoreflex ARGS`` in a new process."""
    start = time.perf_counter()
    result = subprocess.run([executable(), *args], capture_output=True, text=True, env=env)
    return time.perf_counter() - start, result.returncode, result.stderr


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure(repeat: int, only: list[str] | None = None) -> dict:
    """Cold and warm wall times of every command (a fresh cache folder per command and repeat)."""
    rows = {}
    for label, args in COMMANDS.items():
        if only and label not in only:
            continue
        cold, warm, nocache, notices = [], [], [], []
        for _ in range(repeat):
            folder = tempfile.mkdtemp(prefix="myoreflex-bench-cache-")
            env = {**os.environ, "MYOREFLEX_CACHE_DIR": folder}
            env.pop("MYOREFLEX_NO_CACHE", None)
            try:
                first, code, err_first = wall_time(args, env)
                second, _, err_second = wall_time(args, env)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            off, _, _ = wall_time(args, {**env, "MYOREFLEX_NO_CACHE": "1"})
            cold.append(first)
            warm.append(second)
            nocache.append(off)
            notices.append(["compiling" in err_first, "compiling" in err_second])
        rows[label] = {"args": args, "exit_code": code, "cold_s": cold, "warm_s": warm, "no_cache_s": nocache,
                       "warm_over_cold": [w / c for w, c in zip(warm, cold)], "notice_cold_warm": notices}
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the numbers as JSON")
    parser.add_argument("--repeat", type=int, default=1, help="cold/warm pairs per command")
    parser.add_argument("--only", action="append",
                        help="a command label of COMMANDS; repeat (a label starting with -- as --only=--help)")
    options = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = measure(options.repeat, options.only)
    result = {"machine": f"{cpu_model()}, {os.cpu_count()} cores", "python": platform.python_version(),
              "date": time.strftime("%Y-%m-%d %H:%M"), "load_average_1min": [load_before, os.getloadavg()[0]],
              "commands": rows}
    print(f"machine: {result['machine']}; load average (1 min) before, after: "
          f"{load_before:.1f}, {result['load_average_1min'][1]:.1f}")
    print("| command | cold (s) | warm (s) | warm / cold | no cache (s) | notice cold, warm |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, row in rows.items():
        shown = ", ".join
        print(f"| `{label}` | {shown(f'{v:.2f}' for v in row['cold_s'])} | {shown(f'{v:.2f}' for v in row['warm_s'])} "
              f"| {shown(f'{v:.0%}' for v in row['warm_over_cold'])} | {shown(f'{v:.2f}' for v in row['no_cache_s'])} "
              f"| {row['notice_cold_warm']} |")
    if options.out:
        options.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
