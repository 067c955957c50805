"""Conditions as parameter transforms: identity at severity 0, monotone in severity, per-member
batches, changes skipped where a variant lacks their parameter, errors, sources."""

import equinox as eqx
import jax
import numpy as np
import pytest

from myoreflex.conditions import (
    CONDITIONS,
    apply_condition,
    apply_conditions,
    describe_condition,
    severity_weight,
)
from myoreflex.errors import ParameterError
from myoreflex.model import default_params
from myoreflex.params import (
    get_param,
    has_param,
    parameter_table,
    stack_params,
    unstack_params,
    with_overrides,
)

SPINAL = default_params("knee")
FORCE = default_params("elbow", spindle="prochazka", tendon="rigid", feedback="force")
SEVERITIES = np.linspace(0.0, 1.0, 11)


@pytest.mark.parametrize("params", [SPINAL, FORCE], ids=["spinal", "force"])
@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_severity_zero_is_the_identity(params, condition):
    assert eqx.tree_equal(apply_condition(params, condition, 0.0), params) is True


def test_the_weight_rises_from_zero_to_one_without_overshoot():
    weights = [severity_weight(s) for s in SEVERITIES]
    assert weights[0] == 0.0 and weights[-1] == 1.0
    assert np.all(np.diff(weights) > 0.0)


@pytest.mark.parametrize("params", [SPINAL, FORCE], ids=["spinal", "force"])
@pytest.mark.parametrize("condition", sorted(set(CONDITIONS) - {"healthy"}))
def test_each_change_moves_its_parameter_monotonically_towards_its_full_size(params, condition):
    changed = [apply_condition(params, condition, float(s)) for s in SEVERITIES]
    applied = [c for c in CONDITIONS[condition].changes if c.applies_to(params)]
    assert applied, condition
    for change in applied:
        start = float(get_param(params, change.path))
        values = np.array([float(get_param(p, change.path)) for p in changed])
        full = start * change.scale if change.scale is not None else start + change.shift
        assert values[-1] == pytest.approx(full, rel=1e-12), change.path
        steps = np.diff(values)
        assert np.all(steps > 0.0) if full > start else np.all(steps < 0.0), (change.path, values)


def test_a_change_applies_only_where_the_variant_has_its_parameter():
    # Spinal loops hold no Falisse gains; force-feedback loops no circuit, delays or pool model.
    stroke_spinal = apply_condition(SPINAL, "stroke", 1.0)
    stroke_force = apply_condition(FORCE, "stroke", 1.0)
    assert not has_param(stroke_spinal, "force_feedback.force_gain")
    assert stroke_spinal.circuit.ib_weight == pytest.approx(0.36 * SPINAL.circuit.ib_weight, rel=1e-12)
    assert not has_param(stroke_force, "circuit.ib_weight")
    assert stroke_force.force_feedback.force_gain == pytest.approx(0.24, rel=1e-12)
    assert stroke_force.force_feedback.force_rate_gain == pytest.approx(0.08, rel=1e-12)
    assert stroke_force.motoneuron.tone == pytest.approx(FORCE.motoneuron.tone + 0.032, rel=1e-12)
    # Parameters no change names stay as they were, in both loops.
    named = {change.path for change in CONDITIONS["stroke"].changes}
    for before, after in ((SPINAL, stroke_spinal), (FORCE, stroke_force)):
        for old, new in zip(parameter_table(before), parameter_table(after), strict=True):
            assert old.path == new.path
            if old.path not in named:
                assert old.value == new.value, old.path


def test_a_condition_object_applies_itself():
    assert eqx.tree_equal(CONDITIONS["stroke"](SPINAL, 0.4), apply_condition(SPINAL, "stroke", 0.4)) is True


@pytest.mark.parametrize("params", [SPINAL, FORCE], ids=["spinal", "force"])
def test_per_member_conditions_equal_stacking_each_member_alone(params):
    conditions = ["stroke", "healthy", "cerebral_palsy", "stroke", "spinal_cord_injury"]
    severities = [0.3, 0.0, 0.7, 1.0, 0.5]
    batch = apply_conditions(stack_params([params] * len(conditions)), conditions, severities)
    expected = stack_params([apply_condition(params, c, s) for c, s in zip(conditions, severities, strict=True)])
    assert eqx.tree_equal(batch, expected) is True
    healthy = unstack_params(batch)[1]  # untouched (its leaves are NumPy scalars now: compare values)
    assert jax.tree_util.tree_structure(healthy) == jax.tree_util.tree_structure(params)
    assert jax.tree_util.tree_leaves(healthy) == jax.tree_util.tree_leaves(params)


def test_one_severity_per_member_of_one_condition():
    batch = apply_condition(stack_params([SPINAL] * 3), "stroke", np.array([0.0, 0.5, 1.0]))
    for member, severity in zip(unstack_params(batch), (0.0, 0.5, 1.0), strict=True):
        assert member.motoneuron.gain == pytest.approx(apply_condition(SPINAL, "stroke", severity).motoneuron.gain)


def test_unknown_condition_and_bad_severity_are_refused_with_the_one_message_shape():
    with pytest.raises(ParameterError, match=r"^condition: expected one of healthy, stroke, .*; got 'flu'$"):
        apply_condition(SPINAL, "flu", 0.5)
    with pytest.raises(ParameterError, match=r"^severity: expected a number in \[0, 1\]; got 1.5$"):
        apply_condition(SPINAL, "stroke", 1.5)
    with pytest.raises(ParameterError, match=r"^severity: expected a number in \[0, 1\]; got -0.1$"):
        apply_conditions(stack_params([SPINAL] * 2), ["stroke", "stroke"], [0.2, -0.1])
    with pytest.raises(ParameterError, match="one condition and one severity per member"):
        apply_conditions(stack_params([SPINAL] * 2), ["stroke"], [0.2, 0.3])
    with pytest.raises(ParameterError, match="'flu'"):
        apply_conditions(stack_params([SPINAL] * 2), ["stroke", "flu"], [0.2, 0.3])
    with pytest.raises(ParameterError, match="'flu'"):
        describe_condition("flu")


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_describe_condition_lists_every_change_with_its_source(condition):
    text = describe_condition(condition)
    lines = text.splitlines()
    c = CONDITIONS[condition]
    assert lines[0] == f"{condition}: {c.lesion}"
    assert len(lines) == 1 + len(c.changes) + len(c.calibrated) + len(c.fusimotor)
    for line, change in zip(lines[1:1 + len(c.changes)], c.changes, strict=True):
        assert line.strip().startswith(change.path) and line.endswith(f"[{change.source}]")
        assert change.source  # every change cites where its direction comes from
    calibrated = lines[1 + len(c.changes):1 + len(c.changes) + len(c.calibrated)]
    for line, change in zip(calibrated, c.calibrated, strict=True):
        assert line.strip().startswith(f"calibrated (calibrated=True): {change.path}") and "calibrated on" in line
    for line, change in zip(lines[1 + len(c.changes) + len(c.calibrated):], c.fusimotor, strict=True):
        assert line.strip().startswith(f"hypothesis (fusimotor=True): {change.path}")
        assert change.source.startswith("HYPOTHESIS, opt-in") and line.endswith(f"[{change.source}]")


@pytest.mark.parametrize("params", [SPINAL, FORCE], ids=["spinal", "force"])
@pytest.mark.parametrize("condition", ["stroke", "spinal_cord_injury", "multiple_sclerosis", "cerebral_palsy"])
def test_the_fusimotor_hypothesis_is_opt_in(params, condition):
    """Issue 14: no preset raises the fusimotor drive unless asked (Wilson et al. 1999 found little
    fusimotor overactivity after stroke); fusimotor=True adds exactly the 4x dynamic gamma drive."""
    assert all(change.path != "descending.gamma_dynamic" for change in CONDITIONS[condition].changes)
    plain = apply_condition(params, condition, 0.7)
    assert plain.descending.gamma_dynamic == params.descending.gamma_dynamic
    with_gamma = apply_condition(params, condition, 0.7, fusimotor=True)
    expected = params.descending.gamma_dynamic * (1.0 + severity_weight(0.7) * (4.0 - 1.0))
    assert with_gamma.descending.gamma_dynamic == pytest.approx(expected, rel=1e-12)
    assert eqx.tree_equal(with_overrides(with_gamma, {"descending.gamma_dynamic": params.descending.gamma_dynamic}),
                          plain) is True  # nothing else differs
    assert eqx.tree_equal(CONDITIONS[condition](params, 0.7, fusimotor=True), with_gamma) is True
    batch = apply_conditions(stack_params([params] * 2), [condition, "healthy"], [0.7, 0.0], fusimotor=True)
    assert eqx.tree_equal(batch, stack_params([with_gamma, params])) is True
    assert eqx.tree_equal(apply_condition(params, "healthy", 1.0, fusimotor=True), params) is True


def test_a_change_can_name_its_joints_and_shift_by_the_limbs_gravity_moment():
    from myoreflex.conditions import Change
    from myoreflex.subjects import Subject, subject_params
    from myoreflex.units import GRAVITY

    change = Change("limb.damping", "test", gravity_shift=0.1, joints=("knee",))
    for subject in (None, Subject(age_years=6)):
        knee = subject_params("knee", subject)
        moment = knee.limb.mass * GRAVITY * knee.limb.com_distance
        assert change.applies_to(knee)
        assert change.apply(0.0, 1.0, knee) == pytest.approx(0.1 * moment)  # in proportion to the limb
    assert not change.applies_to(subject_params("elbow"))
    assert "m g l_c" in change.describe() and "(at the knee)" in change.describe()
