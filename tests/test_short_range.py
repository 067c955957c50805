"""Short-range stiffness and thixotropy at the joint (physiology.limb.short_range_step; issue 14).

Numbers: De Groote, Allen & Ting 2017 (J Biomech 55:71, from Cui et al. 2008): stiffness 280 F / l_opt
up to a stretch of 5.7e-3 l_opt, so the bonds hold 280 x 5.7e-3 = 1.6 times the tonic force at their
elastic limit. Willaert et al. 2020 (Front Bioeng Biotechnol 8:920; De Groote's group): moving the leg
up and down before the release, instead of holding it still, enlarged the pendulum's first swing by
21 deg in children with CP and 8 deg in typically developing children.
"""

import numpy as np
import pytest

from myoreflex import PendulumTest
from myoreflex.conditions import apply_condition
from myoreflex.params import with_overrides
from myoreflex.physiology.limb import LimbParams, short_range_rest, short_range_step
from myoreflex.subjects import Subject, subject_params

DE_GROOTE_RATIO = 280 * 5.7e-3  # the force rise at the elastic limit per unit tonic force


def test_the_bonds_hold_1_6_times_the_tonic_torque_at_their_elastic_limit_then_tear():
    p = LimbParams(srs_torque_ratio=DE_GROOTE_RATIO)
    tone = 3.0  # N m of tonic torque
    state = short_range_rest(0.0, tone, 1.0, p)
    torques = []
    for angle in np.linspace(0.0, 4 * p.srs_elastic_limit, 81)[1:]:
        state = short_range_step(state, angle, 0.5, tone, p, 0.008)  # moving: no bond re-forms
        torques.append(float(state.torque))
    peak = -min(torques)
    assert peak == pytest.approx(DE_GROOTE_RATIO * tone, rel=0.02)
    assert -torques[-1] < 0.1 * peak  # torn after three limits of slip
    assert float(state.bound) < 0.1


def test_bonds_reform_only_in_a_joint_held_still():
    p = LimbParams(srs_torque_ratio=DE_GROOTE_RATIO)
    torn = short_range_rest(0.0, 3.0, 0.0, p)
    still, moving = torn, torn
    for _ in range(int(2 * p.srs_recovery_time / 0.008)):
        still = short_range_step(still, 0.0, 0.0, 3.0, p, 0.008)
        moving = short_range_step(moving, 0.0, 10 * p.srs_still_speed, 3.0, p, 0.008)
    assert float(still.bound) == pytest.approx(1 - np.exp(-2), abs=0.02)
    assert float(moving.bound) < 1e-6


def _first_swing(params, held):
    return PendulumTest.measure(PendulumTest(held_still=held, duration=5.0).run(params), lenient=True) \
        .first_swing_excursion_deg


def test_the_presets_leave_short_range_stiffness_off():
    knee = subject_params("knee")
    assert knee.limb.srs_torque_ratio == 0.0
    assert _first_swing(knee, 1.0) == _first_swing(knee, 0.0)


def test_with_short_range_stiffness_a_leg_held_still_swings_less_far_than_one_moved_and_more_so_in_cp():
    # Willaert et al. 2020: moving before the release enlarges the first swing, more in CP (21 deg)
    # than in typically developing children (8 deg): the direction and the order hold here.
    child = with_overrides(subject_params("knee", Subject(age_years=10)), {"limb.srs_torque_ratio": DE_GROOTE_RATIO})
    gains = {}
    for name, params in (("TD", child), ("CP", apply_condition(child, "cerebral_palsy", 0.7))):
        gains[name] = _first_swing(params, 0.0) - _first_swing(params, 1.0)
    assert gains["TD"] >= 0.0
    assert gains["CP"] > gains["TD"]


# Checked 2026-12-07: scaling the bonds by the baseline torque as well (De Groote et al. 2018's T_b; +4.5
# N m in CP1's calibration, docs/calibration.md) still moves CP1's first swing by under 1 deg, held or
# moved, at ratios 0.72 and 1.6, and TD5's by 0.6 deg: bonds that tear within a few elastic limits
# (about 1 deg each) store and dissipate tenths of a joule, against the joules of a swing. Willaert et
# al.'s effect needs something that lasts through the swing (their hypothesis: spindles that read fibre
# force, Blum et al. 2017, so the held muscle's stiffer fibres fire a larger reflex). Tried 2026-12-08
# (docs/calibration.md, "No movement history either"): an Ia initial burst while the bonds hold moves
# CP 0.7's first swing by at most 6.4 deg (at 800 pps), and Falisse's force-feedback loop calibrated
# on CP1 misses CP1 by 3.3 tolerances, so neither stands in for the force-encoding spindle.
@pytest.mark.xfail(strict=True, reason="issue 14: at the presets' tone, De Groote's short-range stiffness "
                   "moves the first swing by under a degree, not Willaert et al.'s 21 (CP) and 8 deg (TD)")
def test_short_range_stiffness_reproduces_the_size_of_the_movement_history_effect():
    child = with_overrides(subject_params("knee", Subject(age_years=10)), {"limb.srs_torque_ratio": DE_GROOTE_RATIO})
    cp = apply_condition(child, "cerebral_palsy", 0.7)
    assert _first_swing(cp, 0.0) - _first_swing(cp, 1.0) == pytest.approx(21.0, abs=10.5)
    assert _first_swing(child, 0.0) - _first_swing(child, 1.0) == pytest.approx(8.0, abs=4.0)


def test_the_bonds_force_in_each_muscle_adds_up_to_their_joint_torque():
    # myoreflex.model.short_range_shares: a flexion loads the stretched agonist's bonds and unloads
    # the shortened antagonist's, each by its share of the tonic force; together they are the joint torque.
    from types import SimpleNamespace

    import jax.numpy as jnp

    from myoreflex.model import muscle_torque, short_range_shares

    geometry = SimpleNamespace(moment_arm=jnp.array([0.04, 0.03]))  # m, agonist and antagonist
    tonic = jnp.array([40.0, 10.0])  # N along each tendon
    forces = short_range_shares(tonic, geometry) * -2.0  # a flexion's resisting torque (N m)
    assert float(muscle_torque(forces, geometry)) == pytest.approx(-2.0, rel=1e-9)
    assert float(forces[0]) > 0.0 > float(forces[1])
    assert float(forces[0] / forces[1]) == pytest.approx(-4.0, rel=1e-9)


def test_force_feedback_reads_the_bonds_so_a_held_spastic_leg_is_caught_earlier():
    # De Groote et al. 2018 (PLOS ONE 13:e0205763): with feedback of muscle force, the short-range
    # force of a muscle held still triggers the reflex, which shortens the first swing; a leg moved
    # before the release has torn bonds and swings further. Without the bonds' force in the fed-back
    # force (before 2026-12-07) moving first changed CP 0.7's first swing by -0.1 deg; now by ~3 deg.
    child = with_overrides(subject_params("knee", Subject(age_years=10), feedback="force"),
                           {"limb.srs_torque_ratio": DE_GROOTE_RATIO, "limb.srs_recovery_time": 2.0,
                            "limb.srs_still_speed": 0.1, "limb.srs_elastic_limit": 0.0185})
    cp = apply_condition(child, "cerebral_palsy", 0.7)
    assert _first_swing(cp, 0.0) - _first_swing(cp, 1.0) > 1.0
