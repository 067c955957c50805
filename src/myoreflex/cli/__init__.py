"""The command line: a thin face over simulate, measures, fits and cohorts. It holds no science.

One module per command group (:mod:`~myoreflex.cli.simulate`, :mod:`~myoreflex.cli.assess`,
:mod:`~myoreflex.cli.fit`, :mod:`~myoreflex.cli.cohort`, :mod:`~myoreflex.cli.params`); this one
assembles them. Every command starts JAX through :func:`myoreflex.runtime.configure` (one CPU
device per core, the fast-loop option) before it computes.

Bad input (unknown condition or joint, severity outside [0, 1], velocity <= 0) prints one line
naming the flag, the allowed values and what was given, and exits with code 2.
"""

from __future__ import annotations

import os
import sys

import typer

from myoreflex.cli import assess, calibrate, cohort, fit, params, simulate
from myoreflex.errors import MyoreflexError


def _configure_runtime():
    """myoreflex: simulate and measure muscle spasm. Research and teaching tool, not a medical device."""
    from myoreflex.runtime import configure

    configure()


def make_app() -> typer.Typer:
    """The ``myoreflex`` command, built from the current registries (protocols registered before the
    call get their ``simulate`` command)."""
    app = typer.Typer(
        help="myoreflex: simulate and measure muscle spasm. Research and teaching tool, not a medical device.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_configure_runtime)
    app.add_typer(simulate.group(), name="simulate")
    app.add_typer(assess.app, name="assess")
    app.add_typer(fit.app, name="fit")
    app.add_typer(cohort.app, name="cohort")
    app.command("demo")(simulate.demo)
    app.command("params")(params.params)
    app.command("calibrate")(calibrate.calibrate)
    return app


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
