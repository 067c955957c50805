"""The command line: a thin face over simulate, measures, fits and cohorts. It holds no science.

One module per command group (:mod:`~myoreflex.cli.simulate`, :mod:`~myoreflex.cli.assess`,
:mod:`~myoreflex.cli.fit`, :mod:`~myoreflex.cli.cohort`, :mod:`~myoreflex.cli.params`); this one
assembles them. Every command starts JAX through :func:`myoreflex.runtime.configure` (one CPU
device per core, the fast-loop option, compiled code kept between calls in
:func:`myoreflex.runtime.cache_dir`) before it computes; the first call that compiles says so on
stderr ("compiling the model (first run only)"), never on stdout, where ``--json`` writes.

Help lists each choice (``--condition [healthy|stroke|...]``) and shows examples; shell completion
comes from ``myoreflex --install-completion``. Text output rounds measures to 4 significant digits;
``--json`` keeps full precision.

Bad input (unknown condition or joint, severity outside [0, 1], velocity <= 0) prints one line
naming the flag, the allowed values and what was given, and exits with code 2.
"""

from __future__ import annotations

import os
import sys

import typer

from myoreflex.cli import assess, calibrate, cohort, extras, fit, params, simulate
from myoreflex.cli._common import clean_help
from myoreflex.errors import MyoreflexError

COMPILE_NOTICE = "compiling the model (first run only; later calls reuse it)..."

EXAMPLES = {
    (): "Examples:  myoreflex simulate pendulum --condition stroke --severity 0.5  |  "
        "myoreflex assess pendulum knee.csv --json  |  myoreflex params --joint elbow",
    ("simulate", "pendulum"): "Example: myoreflex simulate pendulum --condition stroke --severity 0.5 --json",
    ("simulate", "stretch"): "Example: myoreflex simulate stretch --joint elbow --velocity-deg-s 5 "
                             "--velocity-deg-s 236 --plot stretch.png",
    ("assess", "pendulum"): "Example: myoreflex assess pendulum knee.csv --angle-sign -1 --plot knee.png",
    ("assess", "folder"): "Example: myoreflex assess folder recordings/ --pattern '*.c3d' --out metrics.csv",
    ("fit", "pendulum"): "Example: myoreflex fit pendulum knee.csv --method map --json",
    ("fit", "stretch"): "Example: myoreflex fit stretch slow.csv fast.csv --joint elbow --emg",
    ("cohort", "population"): "Example: myoreflex cohort population 1000 --stroke-fraction 0.3 --out population.csv",
    ("cohort", "simulate"): "Example: myoreflex cohort simulate population.csv --protocol pendulum --out results.parquet",
    ("cohort", "fit"): "Example: myoreflex cohort fit manifest.csv --test pendulum --out fits.parquet",
    ("params",): "Example: myoreflex params --joint elbow --condition stroke --severity 0.5",
    ("assess", "motor-units"): "Example: myoreflex assess motor-units units.csv --json",
    ("datasets", "list"): "Example: myoreflex datasets list",
    ("report",): "Example: myoreflex report cp1-right-pendulum cp1-right-ankle-stretches --out report.html",
    ("explain",): "Example: myoreflex explain cramp --json",
    ("triage",): "Example: myoreflex triage --answers answers.json",
    ("serve",): "Example: myoreflex serve --port 8000   (then open http://127.0.0.1:8000)",
}
"""Examples shown at the end of a command's help (by command path)."""


def _compile_notice():
    typer.echo(COMPILE_NOTICE, err=True)


def _configure_runtime():
    """myoreflex: simulate and measure muscle spasm. Research and teaching tool, not a medical device."""
    from myoreflex.runtime import configure

    configure(notice=_compile_notice)


def _polish(app: typer.Typer, path: tuple = ()) -> typer.Typer:
    """Each command's help from its docstring without reST markup, with its example (:data:`EXAMPLES`)."""
    for info in app.registered_commands:
        name = info.name or info.callback.__name__
        info.help = clean_help(info.help or info.callback.__doc__)
        info.epilog = info.epilog or EXAMPLES.get((*path, name))
    for group in app.registered_groups:
        _polish(group.typer_instance, (*path, group.name))
    return app


def make_app() -> typer.Typer:
    """The ``myoreflex`` command, built from the current registries (protocols registered before the
    call get their ``simulate`` command)."""
    app = typer.Typer(
        help="myoreflex: simulate and measure muscle spasm. Research and teaching tool, not a medical device.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        epilog=EXAMPLES[()],
    )
    app.callback()(_configure_runtime)
    app.add_typer(simulate.group(), name="simulate")
    app.add_typer(assess.app, name="assess")
    app.add_typer(fit.app, name="fit")
    app.add_typer(cohort.app, name="cohort")
    app.command("demo")(simulate.demo)
    app.command("params")(params.params)
    app.command("calibrate")(calibrate.calibrate)
    app.add_typer(extras.datasets_app, name="datasets")
    app.command("report")(extras.report)
    app.command("explain")(extras.explain)
    app.command("triage")(extras.triage)
    app.command("serve")(extras.serve)
    return _polish(app)


app = make_app()


def main():  # pragma: no cover - console entry point
    """The ``myoreflex`` command. Errors are one line, never a traceback: myoreflex's own errors and
    bad options as the commands print them, anything else (a disk that fills, a bug) as one line
    that says so; ``MYOREFLEX_DEBUG=1`` shows the traceback instead."""
    try:
        sys.exit(app())
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("MYOREFLEX_DEBUG"):
            raise
        kind = "" if isinstance(exc, (MyoreflexError, OSError)) else "unexpected error, please report it: "
        typer.echo(f"Error: {kind}{type(exc).__name__}: {exc} (MYOREFLEX_DEBUG=1 shows the traceback)", err=True)
        sys.exit(1)
