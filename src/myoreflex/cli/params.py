"""``myoreflex params``: every model parameter with its value, unit, bounds and source."""

from __future__ import annotations

from typing import Annotated

import typer

from myoreflex.cli._common import Condition, Severity, check_common, check_joint, preset


def params(
    joint: Annotated[str, typer.Option(help="knee, elbow, ankle or wrist")] = "knee",
    condition: Condition = "healthy",
    severity: Severity = 0.0,
):
    """List every model parameter with its value, unit, bounds and source."""
    check_common(condition, severity)
    check_joint(joint)
    from myoreflex.params import parameter_table

    for row in parameter_table(preset(joint, condition, severity)):
        typer.echo(f"{row.path:45s} {float(row.value):12.6g} {row.unit:12s} [{row.bounds[0]:g}, {row.bounds[1]:g}]  {row.source}")

