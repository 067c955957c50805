"""Parameter metadata, overrides and batching (laws that hold for every parameter tree)."""

import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

from myoreflex.errors import ParameterError
from myoreflex.model import JOINTS, default_params
from myoreflex.params import (
    get_param,
    parameter_table,
    scaled,
    stack_params,
    unstack_params,
    validate,
    with_overrides,
)


def _float_fields(tree, prefix=""):
    for field in dataclasses.fields(tree):
        value = getattr(tree, field.name)
        if isinstance(value, eqx.Module):
            yield from _float_fields(value, prefix + field.name + ".")
        elif isinstance(value, float) or (hasattr(value, "dtype") and not field.metadata.get("static")):
            yield prefix + field.name, field


@pytest.mark.parametrize("joint", JOINTS)
@pytest.mark.parametrize("spindle,tendon,feedback", [("mileusnic", "compliant", "spindle"),
                                                     ("prochazka", "rigid", "force")])
def test_every_float_parameter_has_unit_bounds_and_source(joint, spindle, tendon, feedback):
    params = default_params(joint, spindle=spindle, tendon=tendon, feedback=feedback)
    missing = [path for path, field in _float_fields(params)
               if not {"unit", "bounds", "source"} <= set(field.metadata) or not field.metadata["source"]]
    assert missing == []
    for row in parameter_table(params):
        low, high = row.bounds
        assert low <= float(row.value) <= high, row.path


def test_override_replaces_value_and_unknown_path_suggests_close_match():
    params = default_params("knee")
    changed = with_overrides(params, {"motoneuron.gain": 0.01})
    assert changed.motoneuron.gain == 0.01 and params.motoneuron.gain != 0.01
    with pytest.raises(ParameterError, match="motoneuron.gain"):
        with_overrides(params, {"motoneuron.gian": 0.01})


def test_override_replaces_a_static_option_and_the_rebuilt_set_checks_it():
    params = default_params("knee")
    renamed = with_overrides(params, {"muscle_names": ("vasti", "hamstrings")})
    assert renamed.muscle_names == ("vasti", "hamstrings") and params.muscle_names == ("quadriceps", "hamstrings")
    assert renamed.agonist.max_isometric_force == params.agonist.max_isometric_force
    with pytest.raises(ParameterError, match=r"`joint`: expected one of knee, elbow, ankle, wrist; got 'hip'"):
        with_overrides(params, {"joint": "hip"})


def test_override_of_a_whole_part_is_checked_like_a_built_set():
    from myoreflex.physiology.spindle import ProchazkaSpindle

    params = default_params("knee")
    swapped = with_overrides(params, {"spindle": ProchazkaSpindle()})
    assert type(swapped.spindle) is ProchazkaSpindle and type(params.spindle).__name__ == "MileusnicSpindle"
    with pytest.raises(ParameterError, match="`spindle`: expected a SpindleModel; got str"):
        with_overrides(params, {"spindle": "prochazka"})
    with pytest.raises(ParameterError, match="`spindle.mean_rate`: expected a value in \\[0, 300\\] pps"):
        with_overrides(params, {"spindle": ProchazkaSpindle(mean_rate=-1.0)})


def test_a_variant_is_a_type_so_its_parameters_are_no_overrides():
    # The spinal loop has no Falisse gains, a rigid tendon no tendon stiffness: unknown paths.
    with pytest.raises(ParameterError, match="force_feedback.force_gain"):
        with_overrides(default_params("knee"), {"force_feedback.force_gain": 0.5})
    with pytest.raises(ParameterError, match="tendon_strain_at_unit_force"):
        with_overrides(default_params("knee", tendon="rigid"), {"agonist.tendon_strain_at_unit_force": 0.05})
    force = with_overrides(default_params("knee", feedback="force"), {"force_feedback.force_gain": 0.5})
    assert force.force_feedback.force_gain == 0.5


def test_out_of_bounds_value_is_refused_with_path_and_range():
    params = default_params("knee")
    with pytest.raises(ParameterError, match=r"`limb.damping`.*\[0, 5\]"):
        with_overrides(params, {"limb.damping": -1.0})
    with pytest.raises(ParameterError):
        validate(with_overrides(params, {"limb.damping": np.nan}, check=False))


def test_stack_then_unstack_round_trips():
    a = default_params("knee")
    b = with_overrides(a, {"motoneuron.gain": 0.01})
    batch = stack_params([a, b])
    assert jnp.shape(batch.motoneuron.gain) == (2,)
    back = unstack_params(batch)
    assert float(back[1].motoneuron.gain) == 0.01
    assert float(back[0].limb.mass) == pytest.approx(a.limb.mass)


def test_unknown_joint_is_refused():
    with pytest.raises(ParameterError, match="knee"):
        default_params("hip")


# --- `myoreflex params`: the chosen variants' parameters only -------------------------------------


def _listed(*args):
    from typer.testing import CliRunner

    from myoreflex.cli import app

    result = CliRunner().invoke(app, ["params", *args])
    return result, [line.split()[0] for line in result.stdout.splitlines()]


def test_params_command_lists_exactly_the_chosen_variants_parameters():
    result, paths = _listed("--joint", "elbow")
    assert result.exit_code == 0, result.output
    assert paths == [row.path for row in parameter_table(default_params("elbow"))]
    result, paths = _listed("--joint", "elbow", "--spindle", "prochazka", "--tendon", "rigid", "--feedback", "force")
    assert result.exit_code == 0, result.output
    lean = default_params("elbow", spindle="prochazka", tendon="rigid", feedback="force")
    assert paths == [row.path for row in parameter_table(lean)]
    assert "spindle.velocity_coefficient" in paths and "force_feedback.force_gain" in paths
    assert not any(p.startswith(("circuit.", "delays.", "spindle.bag1")) or "tendon_strain" in p for p in paths)


@pytest.mark.parametrize("flag,value", [("--spindle", "power_law"), ("--tendon", "elastic"), ("--feedback", "emg")])
def test_params_command_refuses_an_unknown_variant_in_one_line(flag, value):
    from myoreflex import model

    result, _ = _listed(flag, value)
    registry = {"--spindle": model.SPINDLES, "--tendon": model.TENDONS, "--feedback": model.FEEDBACKS}[flag]
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {flag}: expected one of {', '.join(registry)}; got {value!r}"


def test_params_command_help_names_every_registered_variant():
    from myoreflex import model
    from myoreflex.cli.params import VARIANT_HELP

    for kind, registry in (("spindle", model.SPINDLES), ("tendon", model.TENDONS), ("feedback", model.FEEDBACKS)):
        assert all(name in VARIANT_HELP[kind] for name in registry), kind


@pytest.mark.parametrize("number", [0.4, np.float64(0.4), np.float32(0.4), jnp.asarray(0.4), jnp.asarray(0.4, dtype=jnp.float32)])
def test_a_scaled_number_keeps_its_kind_so_a_compiled_function_runs_on_it_without_compiling_again(number):
    # fit.pipeline.assumed_effects evaluates the fit's compiled model on the tree with the assumed inertia
    # 1 % up and down; a NumPy float where the tree had a Python one compiled the model again (33 s per fit).
    from jax import api_util

    tree = with_overrides(default_params("knee"), {"limb.inertia": number}, check=False)
    moved = get_param(scaled(tree, "limb.inertia", np.exp(0.01)), "limb.inertia")
    assert api_util.shaped_abstractify(moved) == api_util.shaped_abstractify(number)
    assert float(moved) == pytest.approx(float(number) * np.exp(0.01), rel=1e-6)
