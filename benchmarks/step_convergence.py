"""Step study behind the pendulum's default step (``myoreflex.protocols.pendulum.PENDULUM_DT``).

For each condition preset, every pendulum metric of the JSON contract at a step ``dt`` and at
``dt / 2``, and the relative change (%). Run ``python benchmarks/step_convergence.py --dt 0.002``
(the default step) or ``--dt 0.001``; ``--json`` prints one object.
"""

from __future__ import annotations

import argparse
import json

PRESETS = [("healthy", 0.0), ("stroke", 0.3), ("stroke", 0.7), ("multiple_sclerosis", 0.5),
           ("cerebral_palsy", 0.7), ("cerebral_palsy", 1.0), ("spinal_cord_injury", 1.0)]


def study(dt: float) -> list[dict]:
    from myoreflex.cli._common import PENDULUM_CONTRACT_KEYS as CONTRACT_KEYS
    from myoreflex.conditions import apply_condition
    from myoreflex.measures.pendulum import measure
    from myoreflex.model import default_params
    from myoreflex.protocols.pendulum import PendulumTest

    rows = []
    for condition, severity in PRESETS:
        params = apply_condition(default_params("knee"), condition, severity)
        coarse = measure(PendulumTest().run(params, dt=dt)).as_dict()
        fine = measure(PendulumTest().run(params, dt=dt / 2)).as_dict()
        change = {key: 100 * abs(coarse[key] - fine[key]) / abs(fine[key])
                  for key in CONTRACT_KEYS if fine[key] not in (None, 0)}
        rows.append({"condition": condition, "severity": severity, "dt_s": dt, "change_percent": change})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dt", type=float, default=2e-3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import myoreflex

    myoreflex.configure()  # as the command line does
    rows = study(args.dt)
    if args.json:
        print(json.dumps(rows))
        return
    for row in rows:
        worst = max(row["change_percent"].items(), key=lambda item: item[1])
        print(f"{row['condition']:20s} {row['severity']:.1f}  worst {worst[1]:.3f} % ({worst[0]})")


if __name__ == "__main__":
    main()
