"""The full reflex-loop model fitted to real pendulum tests (issue 5, acceptance items 2 and 3).

Data (shared/data, SOURCE.md of each): CP1 right (kuleuven-cp-ipsa-pendulum, the clearly spastic
leg, R2n 0.76), the typically developing child TD5 (kuleuven-td-pendulum-excerpt, R2n 1.17) and the
tutorial child (kuleuven-pendulum-tutorial, m = 2.3351 kg, l_c = 0.2367 m, I = 0.1535 kg m^2).

Child model (assumptions, stated here where the files carry no age, mass or height we may use):
- CP1's own body mass and height, read at run time from the ``pinfo`` of its IPSA file (never copied
  here: SOURCE.md's privacy note); for TD5 and the tutorial child, whose sizes are unknown, body mass
  32 kg and height 1.38 m, about the median 10-year-old of the CDC 2000 growth charts,
  for Winter's segment mass, centre of mass and inertia (with the tutorial
  child's own segment constants, 2.3351 kg, 0.2367 m, 0.1535 kg m^2, and these muscles the full
  model fits that trace to 4.1 deg: the muscle sizes below belong to the 32 kg child);
- quadriceps and hamstrings maximal forces 500 N and 300 N: with the reflex off the child's knee
  then swings as the nearly gravity-driven pendulum that all three traces show (first period about
  1.1 s, close to 2 pi sqrt(I / (m g l_c sin q_rest)); the tutorial trace is fitted to 2 deg by
  gravity, a baseline torque and damping alone). Adult forces scaled geometrically (x (M/75)^(2/3),
  2495 N and 1177 N) leave passive muscle stiffness that shortens the period to 0.75 s;
- motor-neuron threshold fixed at 0 pps: the reflex drive is proportional to the spindle input, so
  ``motoneuron.gain`` measures reflex strength in both children (a threshold above the Ia rates of
  CP1's slow swing would hide the reflex there, leaving its gain unidentified).
Free, the same for every child and fitted to each independently: reflex gain, joint damping,
stiffness and baseline torque (De Groote et al. 2018's tone), plus the release angle and time: the
pendulum fit's default free set (``DEFAULT_FREE``, chosen by an identifiability analysis on these
recordings, issue 14) with its threshold (``DEFAULT_START``).
"""

import pytest
import scipy.io

from myoreflex.fit import fit_pendulum
from myoreflex.fit.pendulum import DEFAULT_FREE, DEFAULT_START, GOOD_RMSE_DEG
from myoreflex.io import read_csv, read_opensim
from myoreflex.model import default_params
from myoreflex.params import with_overrides

CP1_RIGHT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"
CP1_LEFT = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_l_T5_IK.mot"
CP1_IPSA = "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IPSA/CP4_T0_MEH_R.mat"
TD5 = "kuleuven-td-pendulum-excerpt/TD5_IK_Trial02_knee_angle_l.csv"
TUTORIAL = "kuleuven-pendulum-tutorial/DataPendulum.csv"
FREE = DEFAULT_FREE
CHILD_MUSCLES = {
    "agonist.max_isometric_force": 500.0,
    "antagonist.max_isometric_force": 300.0,
    **DEFAULT_START,
}

# CP1's gain interval is bounded below but reaches the gain's upper bound (0.2 1/pps), so the fit
# warns that the gain is not fully identified there: expected, and what the comparison needs is
# the lower end.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.reference,
    pytest.mark.filterwarnings("ignore:`motoneuron.gain` is not identified"),
]


def child(body_mass=32.0, height=1.38):
    return with_overrides(default_params("knee", body_mass=body_mass, height=height), CHILD_MUSCLES)


def cp1_body(data_dir):
    """CP1's body mass (kg) and height (m) from its IPSA ``pinfo``, read at run time."""
    raw = scipy.io.loadmat(data_dir / CP1_IPSA, squeeze_me=True, struct_as_record=False)["allsegments"]
    pinfo = (raw[0] if hasattr(raw, "__len__") else raw).pinfo
    return float(pinfo.weight), float(pinfo.body_length)


@pytest.fixture(scope="module")
def fits(data_dir):
    cp1 = child(*cp1_body(data_dir))
    recordings = [
        ("CP1 right", read_opensim(data_dir / CP1_RIGHT, angle_channel="knee_angle_r", angle_sign=-1), cp1),
        ("CP1 left", read_opensim(data_dir / CP1_LEFT, angle_channel="knee_angle_l", angle_sign=-1), cp1),
        ("TD5", read_csv(data_dir / TD5, angle_sign=-1), child()),
        ("tutorial", read_csv(data_dir / TUTORIAL, angle_sign=-1), child()),
    ]
    return {name: fit_pendulum(trial, params0, free=FREE) for name, trial, params0 in recordings}


def test_the_spastic_leg_has_a_clearly_larger_reflex_gain_than_the_typically_developing_child(fits):
    # Acceptance item 3: non-overlapping 95 % intervals. The intervals are widened for the
    # autocorrelation of the residuals (a model never fits a real trace to white noise).
    cp1, td5 = fits["CP1 right"], fits["TD5"]
    gain = "motoneuron.gain"
    assert cp1.ci95[gain][0] > td5.ci95[gain][1]
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
