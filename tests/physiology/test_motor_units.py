"""Fuglevand et al. 1993 motor-unit pool (ANCHORS 7.3): published recruitment, rate coding and twitch
numbers (reference), laws of the rate coding and force, the discharge statistics, and the parameter
metadata every parameter class must carry."""

import dataclasses

import numpy as np
import pytest

from myoreflex.params import parameter_table
from myoreflex.physiology.motor_units import (
    MotorUnitPoolParams,
    firing_rates,
    force_gain,
    hysteretic_firing_rates,
    max_excitation,
    peak_rates,
    pool_force,
    recruitment_thresholds,
    spike_trains,
    twitch_properties,
)
from myoreflex.physiology.surface_emg import SurfaceEmgParams

POOL = MotorUnitPoolParams()


@pytest.mark.parametrize("cls", [MotorUnitPoolParams, SurfaceEmgParams])
def test_every_float_parameter_has_unit_bounds_and_source(cls):
    tree = cls()
    floats = [f.name for f in dataclasses.fields(tree) if isinstance(getattr(tree, f.name), float)]
    rows = {row.path: row for row in parameter_table(tree)}
    assert floats and set(floats) == set(rows)
    for row in rows.values():
        assert row.unit and row.source and row.bounds[0] <= row.value <= row.bounds[1], row.path


@pytest.mark.reference
def test_recruitment_and_rate_coding_as_in_fuglevand_1993():
    # ANCHORS 7.3 / checklist 10: RTE = exp(a i) spans RR = 30, all units recruited at E = 30,
    # rates from MFR 8 pps to PFR 35 (first) -> 25 (last) pps, E_max = 47.
    rte = recruitment_thresholds(POOL)
    assert rte[-1] == pytest.approx(30.0) and rte[0] == pytest.approx(30.0 ** (1 / 120))
    assert np.all(np.diff(rte) > 0)  # Henneman: recruitment in order of size
    assert max_excitation(POOL) == pytest.approx(47.0)
    assert peak_rates(POOL)[0] == pytest.approx(35.0 - 10.0 * rte[0] / 30.0) and peak_rates(POOL)[-1] == 25.0
    assert np.all(firing_rates(30.0 + 1e-9, POOL) >= 8.0)
    at_max = firing_rates(47.0, POOL)
    assert at_max == pytest.approx(peak_rates(POOL))
    # slope g_e = 1 pps per unit of excitation between recruitment and the peak rate
    assert firing_rates(10.0, POOL)[0] - firing_rates(9.0, POOL)[0] == pytest.approx(1.0)


@pytest.mark.reference
def test_twitch_range_as_in_fuglevand_1993():
    # RP = 100 over the pool (P(n)/P(1) = RP^((n-1)/n) with i = 1..n), contraction times 90 -> 30 ms
    # (T_L = 90 ms, RT = 3): ANCHORS 7.3 "range 30-90 ms".
    force, time = twitch_properties(POOL)
    assert force[-1] == pytest.approx(100.0) and force[-1] / force[0] == pytest.approx(100 ** (119 / 120))
    assert time[0] == pytest.approx(0.090 * 100 ** (-np.log(3) / np.log(100) / 120))
    assert time[-1] == pytest.approx(0.030) and np.all(np.diff(time) < 0)


def test_rates_never_fall_with_excitation_and_the_gain_is_one_below_the_knee():
    levels = np.linspace(0.0, 50.0, 101)
    rates = firing_rates(levels, POOL)
    assert np.all(np.diff(rates, axis=0) >= 0)
    assert np.all(force_gain(np.linspace(0.0, 0.4, 9)) == 1.0)
    assert float(force_gain(0.4 + 1e-9)) == pytest.approx(1.0, abs=1e-6)  # continuous at the knee


def test_discharges_follow_the_rate_with_the_declared_variability():
    steps, dt = 60_000, 1e-3
    trains = spike_trains(np.full((steps, 2), [10.0, 20.0]), dt, np.random.default_rng(3),
                          MotorUnitPoolParams(n_units=2))
    for train, rate in zip(trains, (10.0, 20.0)):
        intervals = np.diff(train)
        # +-3 % on the mean rate (~600-1200 intervals) and +-0.03 on the CV of 0.2
        assert 1 / intervals.mean() == pytest.approx(rate, rel=0.03)
        assert intervals.std() / intervals.mean() == pytest.approx(0.2, abs=0.03)


def test_same_seed_same_trains_and_a_silent_unit_has_none():
    rates = firing_rates(np.full(2000, 5.0), POOL)
    a = spike_trains(rates, 1e-3, np.random.default_rng(7), POOL)
    b = spike_trains(rates, 1e-3, np.random.default_rng(7), POOL)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert a[-1].size == 0 and a[0].size > 0


def test_force_rises_with_excitation_and_saturates():
    t = np.arange(0.0, 2.0, 1e-3)
    forces = []
    for level in (5.0, 15.0, 30.0, 47.0, 60.0):
        trains = spike_trains(firing_rates(np.full(t.size, level), POOL), 1e-3, np.random.default_rng(0), POOL)
        forces.append(pool_force(trains, t, POOL)[1000:].mean())
    assert np.all(np.diff(forces[:4]) > 0)
    assert forces[4] == pytest.approx(forces[3], rel=0.03)  # every unit at its peak rate beyond E_max


def test_hysteresis_derecruits_a_known_excitation_below_recruitment():
    ramp = np.concatenate([np.linspace(0.0, 20.0, 2001), np.linspace(20.0, 0.0, 2001)])
    rte = recruitment_thresholds(POOL)
    assert np.array_equal(hysteretic_firing_rates(ramp, POOL, 0.0), firing_rates(ramp, POOL))
    rates = hysteretic_firing_rates(ramp, POOL, 3.0)
    unit = 40
    on = np.flatnonzero(rates[:, unit] > 0)
    assert ramp[on[0]] == pytest.approx(rte[unit], abs=0.01)
    assert ramp[on[-1]] == pytest.approx(rte[unit] - 3.0, abs=0.01)
    assert rates[on[0], unit] == pytest.approx(8.0 + 3.0, abs=0.02)  # recruited with its PIC on
