"""`assess` and `fit` share the pendulum quality gates (issue 19): one verdict per file.

The issue found `fit pendulum` refusing the tutorial trace at 1 Hz that `assess` measured. Now the
fit's preparation (:func:`myoreflex.fit.align_pendulum`, used by ``PendulumModel.prepare``) applies
the measures' gates (:data:`myoreflex.fit.pendulum.FIT_GATES`: all but ``velocity_noise``, which
the fit does not need, module notes), so the 1 Hz trace and the trace cut at 3 s are refused by
both, for the same gates, and a lenient fit names the failed gate in its result's warnings.
"""

import numpy as np
import pytest

from myoreflex.errors import QualityGateError
from myoreflex.fit import align_pendulum, fit_passive_pendulum, passive_limb
from myoreflex.fit.pendulum import FIT_GATES, PendulumModel
from myoreflex.io import read_trial
from myoreflex.measures import pendulum
from myoreflex.measures.gates import gate_names
from myoreflex.model import default_params
from myoreflex.trial import Channel, Trial

TUTORIAL = "kuleuven-pendulum-tutorial/DataPendulum.csv"
MASS, COM = 2.3351, 0.2367  # the tutorial's shank (ANCHORS 3.3), as tests/fit/test_fit_passive.py
INERTIA = MASS * (0.416 * COM) ** 2 + MASS * COM**2


def _variants(data_dir):
    trial = read_trial(data_dir / TUTORIAL, angle_sign=-1)
    keep = trial.time <= trial.time[0] + 3.0
    return {
        "complete": trial,
        "cut at 3 s": Trial(trial.time[keep], {"angle": Channel(trial["angle"][keep], "rad")}, {"source": "cut.csv"}),
        "at 1 Hz": Trial(trial.time[::100], {"angle": Channel(trial["angle"][::100], "rad")}, {"source": "1hz.csv"}),
    }


def _verdict(call):
    """None when accepted, else the failed gates (a QualityGateError; any other error fails the test)."""
    try:
        call()
    except QualityGateError as error:
        return error.gates
    return None


@pytest.mark.reference
@pytest.mark.parametrize("name,failed", [("complete", None), ("cut at 3 s", ("plateau_settled",)),
                                         ("at 1 Hz", ("samples_per_swing", "plateau_settled"))])
def test_measure_and_fit_preparation_give_one_verdict(data_dir, name, failed):
    trial = _variants(data_dir)[name]
    measured = _verdict(lambda: pendulum.measure(trial))
    aligned = _verdict(lambda: align_pendulum(trial))
    prepared = _verdict(lambda: PendulumModel().prepare([trial], default_params("knee")))
    assert aligned == prepared == failed
    assert (None if measured is None else tuple(g for g in measured if g in FIT_GATES)) == failed


def test_the_fit_gates_are_the_measures_gates_but_velocity_noise():
    assert set(FIT_GATES) == set(pendulum.GATES) - {"velocity_noise"}


@pytest.mark.reference
def test_a_lenient_fit_names_the_failed_gate_in_its_warnings(data_dir):
    cut = _variants(data_dir)["cut at 3 s"]
    limb = passive_limb(MASS, COM, INERTIA)
    with pytest.raises(QualityGateError, match=r"`cut.csv`.*quality gate `plateau_settled`.*lenient=True"):
        fit_passive_pendulum(cut, limb, dt=2e-3)
    result = fit_passive_pendulum(cut, limb, dt=2e-3, lenient=True)  # about 1 s
    assert gate_names(result.warnings) == ["plateau_settled"]
    assert result.converged and np.isfinite(result.params["damping"])


def test_noisy_synthetic_recordings_pass_the_fit_gates():
    # The fit's design case: 1 deg of goniometer noise at 100 Hz, which the measures refuse
    # (velocity_noise) and the fit does not.
    from myoreflex.conditions import apply_condition
    from myoreflex.fit import synthetic_pendulum

    trial = synthetic_pendulum(apply_condition(default_params("knee"), "stroke", 0.7), noise_sd_deg=1.0, seed=8,
                               dt=2e-3)
    assert align_pendulum(trial).warnings == ()
    assert gate_names(pendulum.measure(trial, lenient=True).warnings) == ["velocity_noise"]


def test_a_stretch_fit_refuses_stretches_of_two_sides(stretch_settings):
    from myoreflex.fit import synthetic_stretches
    from myoreflex.fit.stretch import StretchModel

    elbow = default_params("elbow")
    slow, fast = synthetic_stretches(elbow, **stretch_settings)
    left, right = slow.with_metadata(side="left"), fast.with_metadata(side="right")
    with pytest.raises(QualityGateError, match=r"stretch fit, against `.*`, quality gate `same_joint`: .*"
                                               r"side 'left' and 'right'"):
        StretchModel().prepare([left, right], elbow)
    assert gate_names(StretchModel(lenient=True).prepare([left, right], elbow).warnings) == ["same_joint"]
    assert StretchModel().prepare([left, fast.with_metadata(side="left")], elbow).warnings == ()
