"""Motor neuron ramp protocol: paired-motor-unit delta-F of the simulated pool and the SCI long-lasting reflex."""

import json

import pytest

from myoreflex.errors import ParameterError
from myoreflex.protocols.motoneuron_ramp import long_lasting_reflex, motoneuron_ramp

HEALTHY_DELTA_F_PPS = (3.0, 5.0)
"""Healthy lower-limb paired-motor-unit delta-F, 3-5 pps (ANCHORS 7.2; a secondary figure, unverified
against the primary papers)."""


@pytest.fixture(scope="module")
def ramps():
    return {condition: motoneuron_ramp(condition) for condition in ("healthy", "sci")}


def test_json_contract(ramps):
    out = ramps["healthy"].as_dict()
    assert list(out) == ["condition", "recruitment", "derecruitment", "delta_f_pps"]
    assert json.loads(json.dumps(out)) == out and out["condition"] == "healthy"


def test_healthy_delta_f_in_the_published_range_and_larger_after_sci(ramps):
    low, high = HEALTHY_DELTA_F_PPS
    healthy, sci = ramps["healthy"].delta_f_pps, ramps["sci"].delta_f_pps
    assert low <= healthy <= high
    assert sci > healthy + 3.0
    assert ramps["healthy"].traces["measures"].delta_f_pps.n_test_units >= 5


def test_recruitment_above_derecruitment_more_so_after_sci(ramps):
    healthy, sci = ramps["healthy"], ramps["sci"]
    assert healthy.recruitment > healthy.derecruitment > 0
    assert sci.recruitment - sci.derecruitment > 2 * (healthy.recruitment - healthy.derecruitment)


def test_delta_f_is_stable_over_seeds():
    values = [motoneuron_ramp("healthy", seed=seed, n_units=12).delta_f_pps for seed in (1, 2)]
    low, high = HEALTHY_DELTA_F_PPS
    assert all(low - 0.5 <= v <= high + 0.5 for v in values)


def test_long_lasting_reflex_in_sci_not_in_healthy_and_shorter_with_fewer_monoamines():
    # Done-when 5: a 0.1 s stimulus gives >= 1 s of firing after it in SCI, none in healthy;
    # lowering the monoamine drive shortens it.
    sci = long_lasting_reflex("sci")
    assert sci.duration_s >= 1.0
    assert long_lasting_reflex("healthy").duration_s == 0.0
    lower = long_lasting_reflex("sci", monoamine_level=0.5).duration_s
    assert 0.0 < lower < sci.duration_s
    assert long_lasting_reflex("sci", monoamine_level=0.3).duration_s == 0.0


def test_bad_input_is_refused():
    with pytest.raises(ParameterError, match="condition"):
        motoneuron_ramp("stroke")
    with pytest.raises(ParameterError, match="peak_drive"):
        motoneuron_ramp("healthy", peak_drive=-1.0)
    with pytest.raises(ParameterError, match="pulse_duration"):
        long_lasting_reflex("sci", pulse_duration=0.0)
