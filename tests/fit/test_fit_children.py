"""The full reflex-loop model fitted to real pendulum tests (issue 5, acceptance items 2 and 3).

Data (shared/data, SOURCE.md of each): CP1 right (kuleuven-cp-ipsa-pendulum, the clearly spastic
leg, R2n 0.76), the typically developing child TD5 (kuleuven-td-pendulum-excerpt, R2n 1.17) and the
tutorial child (kuleuven-pendulum-tutorial, m = 2.3351 kg, l_c = 0.2367 m, I = 0.1535 kg m^2).

Each child is the subject model of ``myoreflex fit pendulum`` (:mod:`myoreflex.subjects`), given
only the child's size, as done-when 2 of issue 14 asks: CP1's body mass and height read at run time
from the ``pinfo`` of its IPSA file (``--body-from``; never copied here: SOURCE.md's privacy note);
TD5's size is not published, so a 10-year-old's (``--age-years 10``, CDC 2000 medians: an
assumption); the tutorial child's from the tutorial's shank constants and Winter's fractions
(``myoreflex.calibration.TUTORIAL_BODY``). Muscles, passive tissue and delays follow from the size.
Free, the same for every child and fitted to each independently: reflex gain, joint damping,
stiffness and baseline torque (De Groote et al. 2018's tone), plus the release time: the pendulum
fit's default free set (``DEFAULT_FREE``, chosen by an identifiability analysis on these
recordings, issue 14) with its threshold (``DEFAULT_START``).
"""

import pytest

from myoreflex.calibration import TUTORIAL_BODY
from myoreflex.fit import fit_pendulum
from myoreflex.fit.pendulum import DEFAULT_FREE, DEFAULT_START, GOOD_RMSE_DEG
from myoreflex.io import read_csv, read_opensim
from myoreflex.params import with_overrides
from myoreflex.subjects import Subject, subject_from_file, subject_params

CP1_RIGHT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"
CP1_LEFT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_l_T5_IK.mot"
CP1_IPSA = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IPSA/CP4_T0_MEH_R.mat"
TD5 = "kuleuven-td-pendulum-excerpt/TD5_IK_Trial02_knee_angle_l.csv"
TUTORIAL = "kuleuven-pendulum-tutorial/DataPendulum.csv"

pytestmark = [pytest.mark.slow, pytest.mark.reference]


def child(subject):
    """The knee ``myoreflex fit pendulum`` starts from for this subject."""
    return with_overrides(subject_params("knee", subject), DEFAULT_START)


@pytest.fixture(scope="module")
def fits(data_dir):
    cp1 = child(subject_from_file(data_dir / CP1_IPSA))
    mass, height = TUTORIAL_BODY
    recordings = [
        ("CP1 right", read_opensim(data_dir / CP1_RIGHT, angle_channel="knee_angle_r", angle_sign=-1), cp1),
        ("CP1 left", read_opensim(data_dir / CP1_LEFT, angle_channel="knee_angle_l", angle_sign=-1), cp1),
        ("TD5", read_csv(data_dir / TD5, angle_sign=-1), child(Subject(age_years=10))),
        ("tutorial", read_csv(data_dir / TUTORIAL, angle_sign=-1), child(Subject(body_mass_kg=mass, height_m=height))),
    ]
    return {name: fit_pendulum(trial, params0, free=DEFAULT_FREE) for name, trial, params0 in recordings}


def test_the_spastic_leg_has_a_clearly_larger_reflex_gain_than_the_typically_developing_child(fits):
    # Acceptance item 3: non-overlapping 95 % intervals. The intervals are widened for the
    # autocorrelation of the residuals (a model never fits a real trace to white noise).
    cp1, td5 = fits["CP1 right"], fits["TD5"]
    gain = "motoneuron.gain"
    assert cp1.ci95[gain][0] > td5.ci95[gain][1]
    # and with the shank's inertia known only to its regressions' 20 % (fit.pipeline.assumed_effects)
    assert cp1.ci95_with_assumptions[gain][0] > td5.ci95_with_assumptions[gain][1]
    assert cp1.params[gain] > 100 * td5.params[gain]
    # The typically developing child's swing leaves no room for a reflex: its gain is pinned near
    # zero (an informative interval, not an unidentified one).
    assert not any(gain in message for message in td5.warnings)


def test_the_model_fits_the_real_traces_to_a_few_degrees(fits):
    # Acceptance item 2 (tutorial, full model): RMSE below 3 deg. The children's traces are fitted
    # about as well (3.2 and 2.7 deg when this test was written; a pendulum model of this kind
    # accounts for > 90 % of the variance, Lin & Rymer 1991, ANCHORS 3.5).
    assert fits["tutorial"].rmse_deg < 3.0
    assert fits["CP1 right"].rmse_deg < 3.5
    assert fits["TD5"].rmse_deg < 3.5
    # Issue 14, done-when 2: every child's trace below the pendulum's "good" RMSE, and graded so.
    for name, fit in fits.items():
        assert fit.rmse_deg < GOOD_RMSE_DEG and fit.quality == "good", name


def test_the_clearly_spastic_leg_has_the_larger_reflex_of_the_two_legs(fits):
    # Issue 14, done-when 2: CP1 right (R2n 0.76) against its own left leg (R1 1.97, near normal).
    gain = "motoneuron.gain"
    assert fits["CP1 right"].params[gain] > 10 * fits["CP1 left"].params[gain]


def test_the_fitted_tone_follows_the_plateau(fits):
    # The spastic leg rests in more extension (plateau 60.6 vs 67.4 deg): more baseline torque
    # (tone) holds it there, and its swing is more damped and stiffer.
    cp1, td5 = fits["CP1 right"].params, fits["TD5"].params
    assert cp1["limb.baseline_torque"] > td5["limb.baseline_torque"]
    assert cp1["limb.damping"] > td5["limb.damping"]


def test_every_parameter_the_data_do_not_identify_is_named_in_the_warnings(fits):
    # Issue 14, done-when 2: `warnings` names every parameter that the data do not identify.
    for name, fit in fits.items():
        for path, identified in fit.identified.items():
            if not identified:
                assert any(f"`{path}`" in message for message in fit.warnings), (name, path, fit.warnings)
