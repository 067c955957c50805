"""Reduced bistable motor neuron: calibration to Booth et al. 1997, hysteresis, conditions, pool."""

import dataclasses
import itertools

import numpy as np
import pytest

from myoreflex.errors import ParameterError
from myoreflex.params import parameter_table
from myoreflex.physiology.bistable import (
    BOOTH_REFERENCE,
    CALIBRATION_RAMP,
    HEALTHY,
    SCI,
    BistableParams,
    BistablePoolParams,
    calibrated,
    pool_rates,
    ramp_thresholds,
    rate_response,
    unit_thresholds,
)
from myoreflex.physiology.booth import triangular_ramp

DT = 1e-3


def _ramp(dt=DT):
    low, high, duration = CALIBRATION_RAMP
    return low + triangular_ramp(high - low, duration, dt)


def test_every_parameter_has_unit_bounds_and_source():
    for tree in (BistableParams(), HEALTHY, SCI, BistablePoolParams()):
        rows = parameter_table(tree)
        assert rows and all(row.unit and row.source and row.bounds[0] <= row.value <= row.bounds[1] for row in rows)


@pytest.mark.parametrize("state,monoamine", [("serotonin", 1.0), ("canonical", 0.0)])
def test_recruitment_and_derecruitment_within_10_percent_of_booth(state, monoamine):
    # Done-when of issue 16: the reduced neuron's recruitment and derecruitment on the same
    # triangular ramp within 10 % of the BRK cell's (BOOTH_REFERENCE, frozen in test_booth.py).
    params = dataclasses.replace(calibrated(), monoamine_level=monoamine)
    rec, derec = ramp_thresholds(params, _ramp(), DT)
    ref_rec, ref_derec = BOOTH_REFERENCE[state]
    assert rec == pytest.approx(ref_rec, rel=0.10)
    assert derec == pytest.approx(ref_derec, rel=0.10)


def test_pic_is_bistable_it_outlasts_its_input():
    t = np.arange(0.0, 3.0, DT)
    pulse = np.where((t > 0.5) & (t < 1.0), 8.0, 0.0)
    rate, q = rate_response(calibrated(), pulse, DT, with_pic=True)
    assert rate[400] == 0 and q[400] < 0.01
    assert rate[-1] > 0 and q[-1] > 0.99  # self-sustained after the drive is gone
    rate0 = rate_response(dataclasses.replace(calibrated(), monoamine_level=0.0), pulse, DT)
    assert rate0[-1] == 0 and rate0[700] > 0


def test_hysteresis_grows_with_monoamines_and_shrinks_with_inhibition():
    widths = []
    for level in (0.0, 0.3, 0.6, 1.0):
        rec, derec = ramp_thresholds(dataclasses.replace(calibrated(), monoamine_level=level), _ramp(), DT)
        widths.append(rec - derec)
    assert widths[0] < 0.1 and all(b > a for a, b in itertools.pairwise(widths))
    t = np.arange(0.0, 3.0, DT)
    pulse = np.where((t > 0.5) & (t < 1.0), 8.0, 0.0)
    inhibited = dataclasses.replace(calibrated(), inhibition=8.0)
    assert rate_response(inhibited, pulse + 8.0 * (t > 0.5), DT)[700] > 0  # still recruitable
    assert rate_response(inhibited, pulse, DT)[-1] == 0  # but no self-sustained firing


def test_pool_thresholds_are_ordered_and_rates_follow_them():
    pool = BistablePoolParams(unit=HEALTHY, n_units=10)
    th = unit_thresholds(pool)
    assert np.all(np.diff(th) > 0) and np.all(np.diff(np.diff(th)) > 0)  # exponential spacing
    rates = pool_rates(pool, np.linspace(0.0, 25.0, 3000), DT)
    first_on = [int(np.argmax(rates[:, i] > 0)) for i in range(10)]
    assert first_on == sorted(first_on) and rates.max() <= HEALTHY.max_rate


def test_pool_equals_single_neurons():
    pool = BistablePoolParams(unit=SCI, n_units=3)
    drive = triangular_ramp(15.0, 4.0, DT)
    rates = pool_rates(pool, drive, DT)
    offset = unit_thresholds(pool) - SCI.threshold
    for i in range(3):
        single = dataclasses.replace(SCI, threshold=SCI.threshold + offset[i], pic_threshold=SCI.pic_threshold + offset[i])
        np.testing.assert_allclose(rates[:, i], rate_response(single, drive, DT), atol=1e-9)


def test_bad_input_is_refused():
    with pytest.raises(ParameterError, match="drive_t"):
        rate_response(calibrated(), np.array([0.0, np.inf]), DT)
    with pytest.raises(ParameterError, match="dt"):
        rate_response(calibrated(), np.zeros(10), 1.0)
    with pytest.raises(ParameterError, match="monoamine_level"):
        rate_response(dataclasses.replace(calibrated(), monoamine_level=-1.0), np.zeros(10), DT)
    with pytest.raises(ParameterError, match="n_units"):
        BistablePoolParams(n_units="many")
