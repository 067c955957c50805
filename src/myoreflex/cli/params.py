"""``myoreflex params``: the model's parameters with value, unit, bounds and source.

Only the chosen variants' parameters are listed (a parameter set holds nothing else). The help
names the variants of :data:`myoreflex.model.SPINDLES`, ``TENDONS`` and ``FEEDBACKS`` without
importing the model (tests/test_params.py checks that they agree).
"""

from __future__ import annotations

from typing import Annotated

import typer

from myoreflex.cli._common import (
    AgeYears,
    BodyMassKg,
    Condition,
    HeightM,
    Joint,
    Severity,
    Sex,
    check_common,
    check_joint,
    fail,
    make_subject,
    run,
)

VARIANT_HELP = {
    "spindle": "spindle model: mileusnic or prochazka",
    "tendon": "tendon model: compliant or rigid",
    "feedback": "reflex feedback: spindle (the spinal loop) or force (Falisse et al. 2018)",
}


def _registries():
    from myoreflex import model

    return {"spindle": model.SPINDLES, "tendon": model.TENDONS, "feedback": model.FEEDBACKS}


def params(
    joint: Joint = "knee",
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    spindle: Annotated[str, typer.Option(help=VARIANT_HELP["spindle"])] = "mileusnic",
    tendon: Annotated[str, typer.Option(help=VARIANT_HELP["tendon"])] = "compliant",
    feedback: Annotated[str, typer.Option(help=VARIANT_HELP["feedback"])] = "spindle",
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
):
    """List the chosen model's parameters with their value, unit, bounds and source, for a subject
    (``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m``; default the reference adult)."""
    check_common(condition, severity)
    check_joint(joint)
    chosen = {"spindle": spindle, "tendon": tendon, "feedback": feedback}
    for kind, registry in _registries().items():
        if chosen[kind] not in registry:
            fail(f"--{kind}", f"one of {', '.join(registry)}", chosen[kind])
    from myoreflex.conditions import condition_preset
    from myoreflex.params import parameter_table

    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m))
    tree = run(lambda: condition_preset(joint, condition, severity, subject, **chosen))
    for row in parameter_table(tree):
        typer.echo(f"{row.path:45s} {float(row.value):12.6g} {row.unit:12s} [{row.bounds[0]:g}, {row.bounds[1]:g}]  {row.source}")
