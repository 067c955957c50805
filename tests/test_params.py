"""Parameter metadata, overrides and batching (laws that hold for every parameter tree)."""

import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

from myoreflex.errors import ParameterError
from myoreflex.model import JOINTS, default_params
from myoreflex.params import parameter_table, stack_params, unstack_params, validate, with_overrides


def _float_fields(tree, prefix=""):
    for field in dataclasses.fields(tree):
        value = getattr(tree, field.name)
        if isinstance(value, eqx.Module):
            yield from _float_fields(value, prefix + field.name + ".")
        elif isinstance(value, float) or (hasattr(value, "dtype") and not field.metadata.get("static")):
            yield prefix + field.name, field


@pytest.mark.parametrize("joint", JOINTS)
def test_every_float_parameter_has_unit_bounds_and_source(joint):
    params = default_params(joint)
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


def test_override_replaces_a_structural_choice_and_refuses_an_unknown_option():
    params = default_params("knee")
    rigid = with_overrides(params, {"agonist.tendon": "rigid", "spindle_model": "prochazka"})
    choices = (rigid.agonist.tendon, rigid.antagonist.tendon, rigid.spindle_model)
    assert choices == ("rigid", "compliant", "prochazka")
    assert params.agonist.tendon == "compliant"  # the original is untouched
    assert rigid.agonist.max_isometric_force == params.agonist.max_isometric_force
    with pytest.raises(ParameterError, match=r"`agonist.tendon`.*compliant, rigid.*'elastic'"):
        with_overrides(params, {"agonist.tendon": "elastic"})


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
