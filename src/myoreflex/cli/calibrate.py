"""``myoreflex calibrate``: fit the presets' sizes to the public recordings (myoreflex.calibration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.calibration import (
    OBJECTIVES,
    PROBLEMS,
    STEP_CHECKS,
    data_folder,
    read_sizes,
    run_problem,
    table,
)
from myoreflex.cli._common import DISCLAIMER, check_output, fail, number, one_of, run
from myoreflex.errors import ParameterError


def _start_sizes(path: Path, problem: str) -> dict:
    """The fitted sizes in an earlier ``calibrate --out`` JSON, checked to be the same problem's."""
    try:
        sizes = read_sizes(path)
    except ParameterError as exc:
        fail("--start-from", "the JSON that `myoreflex calibrate --out` wrote", str(exc))
    expected = {f.path for f in PROBLEMS[problem].free}
    if set(sizes) != expected:
        fail("--start-from", f"the sizes of calibration {problem} ({', '.join(sorted(expected))})",
             f"{path}: {', '.join(sorted(sizes))}")
    return sizes


def calibrate(
    problem: Annotated[str, typer.Argument(help=f"what to calibrate: {', '.join(PROBLEMS)}",
                                           callback=one_of(*PROBLEMS))] = "healthy_knee",
    data: Annotated[Optional[Path], typer.Option(
        help="folder of the public recordings in the shared data layout (e.g. ../shared/data); default "
             "$MYOREFLEX_DATA, else the recordings that ship (CP1's: enough for cerebral_palsy)")] = None,
    max_evaluations: Annotated[int, typer.Option(help="most simulations per recording set",
                                                 callback=number(10, 100_000, integer=True))] = 400,
    seed: Annotated[int, typer.Option(help="seed of the quasi-random starts",
                                      callback=number(0, 2**31 - 1, integer=True))] = 0,
    out: Annotated[Optional[Path], typer.Option(help="write the result as JSON")] = None,
    write_presets: Annotated[bool, typer.Option(
        help="write the calibrated values into the presets (myoreflex/calibrated.py)")] = False,
    start_from: Annotated[Optional[Path], typer.Option(
        "--start-from", help="refine the sizes of an earlier `--out` JSON of the same calibration (one "
        "Nelder-Mead run from them, no restarts)")] = None,
    objective: Annotated[str, typer.Option(
        help="the cost minimised: `squares` (sum of squared normalised errors: a compromise over the "
             "measures) or `worst` (the worst measure: every measure within its tolerance at once)",
        callback=one_of(*OBJECTIVES))] = "squares",
):
    """Fit a preset's sizes so that the model of each recording matches it on every pendulum measure
    (R1, R2n, first-swing excursion, plateau, swings, peak velocity, its time, period); print the
    recorded and simulated measures before and after, and which sizes the data do not determine."""
    if data is not None and not data.is_dir():
        fail("--data", "the folder of the public recordings (../shared/data)", str(data))
    if out is not None:
        from myoreflex.io.results import JSON_SUFFIXES

        check_output(out, "--out", suffixes=JSON_SUFFIXES)
    start = None if start_from is None else _start_sizes(start_from, problem)
    restarts = 1 if start is not None else PROBLEMS[problem].restarts
    with typer.progressbar(length=max_evaluations * restarts, label="simulations", file=None) as bar:
        result = run(lambda: run_problem(problem, data, max_evaluations=max_evaluations, seed=seed,
                                         progress=lambda done, cost: bar.update(1), start=start,
                                         objective=objective))
    typer.echo(f"{problem}: {PROBLEMS[problem].what}")
    typer.echo(f"cost ({objective}) {result.cost_before:.2f} -> {result.cost_after:.2f} in {result.evaluations} "
               "simulations")
    finer = " and ".join(f"{result.step_s / k * 1e3:g}" for k in STEP_CHECKS)
    typer.echo(f"step {result.step_s * 1e3:g} ms: at {finer} ms a measure moves by {result.step_change:.2f} of its "
               "tolerance" + ("" if result.step_converged else "  NOT STEP-CONVERGED: the match may be the "
                              "integrator's (--write-presets refuses it)"))
    for f in result.free:
        flag = "  NOT DETERMINED by these recordings" if f.path in result.not_determined else ""
        flag += "  AT ITS BOUND" if f.path in result.at_bound else ""
        typer.echo(f"  {f.path:42s} {f.kind} {result.sizes[f.path]:.4g}{flag}")
    typer.echo(table(result.after))
    if result.checks:
        typer.echo("held out (not fitted):")
        typer.echo(table(result.checks))
    if write_presets:
        from myoreflex.calibration import write_presets as write

        typer.echo(f"presets written to {run(lambda: write(problem, result, data_folder(data)))}")
    if out is not None:
        from myoreflex.io.results import atomic_path

        def write():
            with atomic_path(out) as temporary:
                temporary.write_text(json.dumps(result.as_dict(), indent=2))

        run(write)
    typer.echo(DISCLAIMER)
