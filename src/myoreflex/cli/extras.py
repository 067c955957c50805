"""``myoreflex datasets``, ``report``, ``explain`` and ``triage``: example recordings, the HTML
report, the knowledge base and the triage helper (each a thin face over its library module)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.cli._common import (
    DISCLAIMER,
    AgeYears,
    AsJson,
    BodyMassKg,
    Coordinate,
    HeightM,
    Lenient,
    Sex,
    check_output,
    make_subject,
    number,
    one_of,
    run,
)

datasets_app = typer.Typer(help="Example recordings by name: list them, locate or fetch one.", no_args_is_help=True)


@datasets_app.command("list")
def datasets_list():
    """Every example recording: its name, whether it ships or is fetched, its licence and what it is.
    Any command that reads a file takes these names where the file goes."""
    from myoreflex import datasets

    typer.echo(datasets.table())


@datasets_app.command("path")
def datasets_path(name: Annotated[str, typer.Argument(help="a dataset name (myoreflex datasets list)")]):
    """The local path of a dataset (fetched first when it does not ship)."""
    from myoreflex import datasets

    typer.echo(str(run(lambda: datasets.path(name))))


def report(
    files: Annotated[list[str], typer.Argument(help="recordings or dataset names (a pendulum, IPSA stretches, "
                                                    "or motorized stretches at several velocities)")],
    out: Annotated[Path, typer.Option("--out", help="the report: .html (or .pdf with the pdf extra)")] = Path(
        "report.html"),
    fit: Annotated[Optional[Path], typer.Option("--fit", help="JSON of `myoreflex fit ... --json` to include")] = None,
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
    coordinate: Coordinate = None,
    angle_sign: Annotated[Optional[float], typer.Option(
        help="1, or -1 when the file's flexion is negative (dataset names carry their own)",
        callback=one_of(1.0, -1.0))] = None,
    lever_arm_m: Annotated[Optional[float], typer.Option(
        help="joint-to-load-cell distance (m) of hand-held stretches", callback=number(0.01, 2.0, unit="m"))] = None,
    lenient: Lenient = False,
):
    """One self-contained HTML report of recordings: measures against healthy references with their
    sources, figures, a fit with intervals, the papers behind every number, the version and settings,
    and the not-a-medical-device notice."""
    from myoreflex.report.html import build_report

    check_output(out, "--out", suffixes=(".html", ".htm", ".pdf"))
    if fit is not None and not fit.is_file():
        from myoreflex.cli._common import fail

        fail("--fit", "the JSON file of a fit", str(fit))
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m))
    path = run(lambda: build_report(files, out=out, fit=fit, subject=subject, lenient=lenient,
                                    angle_channel=coordinate, angle_sign=angle_sign, lever_arm_m=lever_arm_m))
    typer.echo(f"report written to {path}")
    typer.echo(DISCLAIMER)


def explain(
    term: Annotated[str, typer.Argument(help="a word: cramp, spasticity, fatigue, hemifacial spasm, ...")],
    as_json: AsJson = False,
):
    """What the knowledge base says about a term, each entry with its source and an evidence note."""
    from myoreflex.knowledge import explain as look_up
    from myoreflex.knowledge import render_explain

    found = run(lambda: look_up(term))
    typer.echo(json.dumps(found) if as_json else render_explain(found))


def triage(
    answers: Annotated[Path, typer.Option("--answers", help="JSON answers: location, duration_min, "
                                                            "episodes_per_week, trigger, signs (docs/knowledge.md)")],
    as_json: AsJson = False,
):
    """When to seek care for a cramp or spasm: urgent, see a doctor soon, or self-care, with the rule
    and source behind the answer and the prevention advice that applies. It does not replace a
    clinician."""
    from myoreflex.knowledge.triage import NOTICE, read_answers, render_triage
    from myoreflex.knowledge.triage import triage as decide

    if not answers.is_file():
        from myoreflex.cli._common import fail

        fail("--answers", "a JSON file of answers", str(answers))
    answer = run(lambda: decide(read_answers(answers)))
    if as_json:
        typer.echo(NOTICE, err=True)  # the notice stays in sight of a script's user
        typer.echo(json.dumps(answer))
    else:
        typer.echo(render_triage(answer))


def serve(
    host: Annotated[str, typer.Option(help="address to bind; 127.0.0.1 is this computer only")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port", callback=number(1, 65535, integer=True))] = 8000,
):
    """Start the local browser app (assess, simulate, teach, learn); nothing leaves this computer.
    Needs the ``web`` extra; docs/app.md walks through it."""
    from myoreflex.errors import require_extra

    run(lambda: require_extra("fastapi", "web"))
    from myoreflex.web import serve as start

    run(lambda: start(host, port))
