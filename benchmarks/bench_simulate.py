"""Speed of the reflex-loop simulator, and of the same motorized stretch in OpenSim 4.6.

Measures in one run (same machine, same load):

- ``compile_s``: first call of a 10 s pendulum minus a compiled call;
- ``pendulum_single_ms``: median latency of one 10 s pendulum simulation after compilation, at
  the pendulum's own step (``PENDULUM_DT``, 2 ms; ``dt_s`` in the output); ``_min`` the fastest
  run, ``_cpu`` the median CPU time of the process per run (wall time less what the shared
  machine gave to other work);
- ``batch_trials_per_s``: 10 s pendulum trials per second at 1, 100, 1000 and 10000 parameter
  sets simulated in one batched call (angle recorded every 10 ms);
- ``myoreflex_stretch_ms_per_sim_s``: wall ms per simulated second of a 2 s motorized elbow
  stretch at 100 deg/s with a 30 ms delayed reflex (the OpenSim benchmark's protocol);
- ``opensim_stretch_ms_per_sim_s``: the same stretch in OpenSim 4.6 closed from Python
  (``benchmarks/opensim_stretch.py``, run in its own virtualenv given by ``--opensim-python``
  or ``$OPENSIM_PYTHON``; ``null`` when OpenSim is not installed).

Run ``python benchmarks/bench_simulate.py --json`` for one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _timed(function, repeats, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        start = clock()
        function()
        times.append(clock() - start)
    return times


def lean(params):
    """The cheapest configuration: rigid tendons and the Prochazka power-law spindle (not calibrated
    for the condition presets; measured to show where the time goes)."""
    from myoreflex.model import with_variants

    return with_variants(params, spindle="prochazka", tendon="rigid")


def bench_pendulum(dt, repeats, variant=lambda p: p):
    from myoreflex import PendulumTest, default_params, simulate

    params = variant(default_params("knee"))
    protocol = PendulumTest(duration=10.0)

    def once():
        simulate(params, protocol, dt=dt, record=("angle",))

    first = _timed(once, 1)[0]
    steady = _timed(once, repeats)
    median = statistics.median(steady)
    # CPU time of this process per run: what the run costs, without the time the shared machine
    # gave to other work (the wall-clock median above includes it).
    cpu = statistics.median(_timed(once, repeats, time.process_time))
    return {"compile_s": first - median, "pendulum_single_ms": 1e3 * median,
            "pendulum_single_ms_min": 1e3 * min(steady), "pendulum_single_ms_cpu": 1e3 * cpu}


def bench_batch(sizes, dt, variant=lambda p: p):
    import jax

    from myoreflex import PendulumTest, apply_condition, default_params, simulate_batch, stack_params

    rng = np.random.default_rng(0)
    base = default_params("knee")
    protocol = PendulumTest(duration=10.0)
    result = {}
    for size in sizes:
        severities = rng.uniform(0.0, 1.0, size)
        # One compiled function serves every batch of this size: vary the parameter values only.
        sets = [apply_condition(base, "stroke", float(s)) for s in severities[: min(size, 50)]]
        batch = stack_params([variant(sets[i % len(sets)]) for i in range(size)])
        record_every = int(round(0.01 / dt))
        simulate_batch(batch, protocol, dt=dt, record=("angle",), record_every=record_every)  # compile
        elapsed = _timed(lambda: jax.block_until_ready(
            simulate_batch(batch, protocol, dt=dt, record=("angle",), record_every=record_every).channels["angle"]),
            1)[0]
        result[str(size)] = size / elapsed
    return result


def bench_stretch(dt, repeats):
    from myoreflex.conditions import apply_condition
    from myoreflex.model import default_params
    from myoreflex.params import with_overrides
    from myoreflex.protocols.stretch import MotorizedStretch
    from myoreflex.units import DEG

    # The OpenSim protocol (benchmarks/opensim_stretch.py): forearm 1.5 kg, I = 0.045 kg m^2 about
    # the elbow, BIClong of arm26 (624.3 N, l_opt 0.1157 m, l_s 0.2723 m), 80 deg extension at
    # 100 deg/s after 0.1 s, hold to 2 s, reflex loop delay 30 ms.
    params = with_overrides(apply_condition(default_params("elbow"), "stroke", 0.7), {
        "limb.mass": 1.5, "limb.com_distance": 0.15, "limb.inertia": 0.045,
        "agonist.max_isometric_force": 624.3, "agonist.optimal_fibre_length": 0.1157,
        "agonist.tendon_slack_length": 0.2723, "delays.afferent": 0.015, "delays.efferent": 0.015,
    })
    protocol = MotorizedStretch(velocity=100 * DEG, angles=(80 * DEG, 160 * DEG), rest_before=0.1, hold=1.1,
                                corner=0.05)
    duration = protocol.drive("elbow").duration

    def once():
        return protocol.run(params, dt=dt, record=("torque", "emg"))

    trial = once()
    steady = _timed(once, repeats)
    return {"myoreflex_stretch_ms_per_sim_s": 1e3 * statistics.median(steady) / duration,
            "myoreflex_stretch_peak_emg": float(trial["emg_elbow_flexors"].max()),
            "myoreflex_stretch_duration_s": duration}


def bench_opensim(python: str | None):
    if not python or not Path(python).exists():
        return {"opensim_stretch_ms_per_sim_s": None, "opensim_note": "OpenSim not installed (see benchmarks/README.md)"}
    out = subprocess.run([python, str(HERE / "opensim_stretch.py"), "--tendons", "compliant", "--repeats", "3"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    return {"opensim_stretch_ms_per_sim_s": data["opensim_stretch_ms_per_sim_s"],
            "opensim_version": data.get("opensim_version")}


def machine():
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--sizes", default="1,100,1000,10000")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--opensim-python", default=os.environ.get("OPENSIM_PYTHON", "/work/opensim-venv/bin/python"))
    args = parser.parse_args(argv)
    import myoreflex

    runtime = myoreflex.configure()  # one CPU device per core and XLA's loop option, as the CLI does
    import jax

    from myoreflex.protocols.pendulum import PENDULUM_DT
    from myoreflex.simulation import DEFAULT_DT

    results = {"machine": machine(), "jax": jax.__version__, "backend": jax.default_backend(), "runtime": runtime,
               "dt_s": PENDULUM_DT, "stretch_dt_s": DEFAULT_DT}
    results.update(bench_pendulum(PENDULUM_DT, args.repeats))
    results["batch_trials_per_s"] = bench_batch([int(s) for s in args.sizes.split(",")], PENDULUM_DT)
    lean_pendulum = bench_pendulum(PENDULUM_DT, args.repeats, lean)
    results["lean_configuration"] = {
        "what": "rigid tendons + Prochazka spindle (cheapest parts; not a calibrated preset)",
        "pendulum_single_ms": lean_pendulum["pendulum_single_ms"],
        "batch_trials_per_s": bench_batch([int(s) for s in args.sizes.split(",") if int(s) <= 1000], PENDULUM_DT,
                                          lean),
    }
    results.update(bench_stretch(DEFAULT_DT, args.repeats))
    results.update(bench_opensim(args.opensim_python))
    if results.get("opensim_stretch_ms_per_sim_s"):
        results["speedup_vs_opensim"] = results["opensim_stretch_ms_per_sim_s"] / results["myoreflex_stretch_ms_per_sim_s"]
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:34s} {value}")


if __name__ == "__main__":
    sys.exit(main())
