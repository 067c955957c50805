"""``myoreflex params``: the model's parameters with value, unit, bounds and source.

Only the chosen variants' parameters are listed (a parameter set holds nothing else). The help
names the variants of :data:`myoreflex.model.SPINDLES`, ``TENDONS`` and ``FEEDBACKS`` without
importing the model (tests/test_params.py checks that they agree).
"""

from __future__ import annotations

from typing import Annotated

import typer

from myoreflex.cli._common import Condition, Severity, check_common, check_joint, fail

VARIANT_HELP = {
    "spindle": "spindle model: mileusnic or prochazka",
    "tendon": "tendon model: compliant or rigid",
    "feedback": "reflex feedback: spindle (the spinal loop) or force (Falisse et al. 2018)",
}


def _registries():
    from myoreflex import model

    return {"spindle": model.SPINDLES, "tendon": model.TENDONS, "feedback": model.FEEDBACKS}


def params(
    joint: Annotated[str, typer.Option(help="knee, elbow, ankle or wrist")] = "knee",
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    spindle: Annotated[str, typer.Option(help=VARIANT_HELP["spindle"])] = "mileusnic",
    tendon: Annotated[str, typer.Option(help=VARIANT_HELP["tendon"])] = "compliant",
    feedback: Annotated[str, typer.Option(help=VARIANT_HELP["feedback"])] = "spindle",
):
    """List the chosen model's parameters with their value, unit, bounds and source."""
    check_common(condition, severity)
    check_joint(joint)
    chosen = {"spindle": spindle, "tendon": tendon, "feedback": feedback}
    for kind, registry in _registries().items():
        if chosen[kind] not in registry:
            fail(f"--{kind}", f"one of {', '.join(registry)}", chosen[kind])
    from myoreflex.conditions import apply_condition
    from myoreflex.model import default_params
    from myoreflex.params import parameter_table

    for row in parameter_table(apply_condition(default_params(joint, **chosen), condition, severity)):
        typer.echo(f"{row.path:45s} {float(row.value):12.6g} {row.unit:12s} [{row.bounds[0]:g}, {row.bounds[1]:g}]  {row.source}")
