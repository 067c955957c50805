"""NeuroFlexor-style decomposition: analytic, simulated wrist (issue 4 item 4), real elbow (item 3)."""

import numpy as np
import pytest
from scipy import stats

from myoreflex.conditions import apply_condition
from myoreflex.errors import ParameterError, QualityGateError, RecordingError
from myoreflex.io import read_csv
from myoreflex.measures.decomposition import (
    NEUROFLEXOR_LEVER_ARM_M,
    PENNATI_CUTOFFS_N,
    SlowReflexWarning,
    decompose,
    estimate_inertia,
    resistance_residual,
    segment_stretches,
    stretch_phases,
)
from myoreflex.model import default_params
from myoreflex.protocols.stretch import RANGES, MotorizedStretch
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

SLOW, FAST = 5.0, 236.0  # deg/s, NeuroFlexor (Lindberg et al. 2011; ANCHORS 5.1, 10b)


# ------------------------------------------------------------------------------------------------
# Analytic: a joint whose torque is known term by term.


def _ramp(
    velocity,
    *,
    stiffness=2.0,
    damping=0.05,
    inertia=0.01,
    reflex_gain=0.0,
    reflex_angle=0.5,
    corner=0.02,
    noise=0.0,
    seed=0,
):
    """0 -> 1 rad at ``velocity`` rad/s with smooth (cosine-velocity) corners, sampled at 2 kHz.

    torque = K q + B q' + I q'' + G max(q - q_r, 0) [while moving]: elastic, viscous, inertial and a
    "reflex" that grows with angle past q_r only while the joint is being stretched.
    """
    dt = 0.0005
    ramp_time = 1.0 / velocity
    t = np.arange(0, 0.5 + ramp_time + corner + 0.5, dt)
    s = t - 0.5
    w = np.where(s < 0, 0.0, np.where(s < corner, 0.5 * (1 - np.cos(np.pi * s / corner)), 1.0))
    w = np.where(
        s > ramp_time,
        np.where(s < ramp_time + corner, 0.5 * (1 + np.cos(np.pi * (s - ramp_time) / corner)), 0.0),
        w,
    )
    w = velocity * w
    q = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * dt)])
    a = np.gradient(w, t)
    moving = w > 0.5 * velocity
    torque = (
        stiffness * q + damping * w + inertia * a + reflex_gain * np.clip(q - reflex_angle, 0, None) * moving
    )
    torque = torque + noise * np.random.default_rng(seed).standard_normal(t.size)
    return Trial(
        t,
        {
            "angle": Channel(q, "rad"),
            "angular_velocity": Channel(w, "rad/s"),
            "torque": Channel(torque, "N m"),
        },
        {"source": f"ramp {velocity} rad/s"},
    )


def test_known_components_are_recovered():
    slow, fast = _ramp(0.1), _ramp(4.0, reflex_gain=1.0)
    d = decompose(slow, fast, inertia_kg_m2=0.01)
    phases = stretch_phases(fast)
    q0, q2 = fast["angle"][phases.p0], fast["angle"][phases.p2]
    # Elastic: K (q(P2) - q(P0)). The local fit is exact on a line, and the slow curve's constant
    # viscosity (B x 0.1 rad/s = 0.005 N m) cancels; what is left is the slow stretch's own corner
    # inertia in the end samples of its plateau (I a <= 0.01 x 0.1 / 0.02 x pi/2 = 0.008 N m,
    # diluted over the 2-deg fit): tolerance 1e-3 N m (0.05 % of EC).
    assert d.elastic_nm == pytest.approx(2.0 * (q2 - q0), abs=1e-3)
    # Viscous: (4 - 0.1) rad/s x 0.05 N m s/rad = 0.195 N m (the slow curve's own viscosity is
    # removed); tolerance 1e-3 N m as for EC (slow corner inertia in the fit near the start).
    assert d.viscous_nm == pytest.approx(0.195, abs=1e-3)
    # Neural: the reflex averaged over the last 10 % of the plateau: G (q - 0.5) there.
    window = max(1, round(0.1 * (phases.p2 - phases.p1 + 1)))
    expected = np.mean(np.clip(fast["angle"][phases.p2 - window + 1 : phases.p2 + 1] - 0.5, 0, None))
    assert d.neural_nm == pytest.approx(expected, abs=1e-3)
    # Inertial: I x peak acceleration = 0.01 x (pi/2) x 4 / 0.02 = 3.14 N m (cosine corner);
    # central differences at 0.5 ms underestimate the peak by (pi dt / corner)^2 / 6 = 0.1 %.
    assert d.inertial_nm == pytest.approx(0.01 * np.pi / 2 * 4.0 / 0.02, rel=2e-3)
    assert d.method == "lindberg2011" and "inertia" in d.inertial_method


def test_without_inertia_it_is_estimated_from_the_movement():
    # Inertia unknown: I is the least-squares slope of T - E(q) on the acceleration over the whole
    # movement (module notes). No reflex: the joint is K q + B q' + I q'', so the slope is I itself
    # (viscosity and offsets are orthogonal to a over a rest-to-rest movement): within 0.5 %, no
    # channel delay, and every component as with I given (1e-3 N m, as in the test above).
    slow = _ramp(0.1)
    passive = _ramp(4.0)
    inertia, lag = estimate_inertia(slow, passive)
    assert inertia == pytest.approx(0.01, rel=5e-3) and lag == 0.0
    known, unknown = decompose(slow, passive, inertia_kg_m2=0.01), decompose(slow, passive)
    for name in ("viscous_nm", "neural_nm", "elastic_nm"):
        assert getattr(unknown, name) == pytest.approx(getattr(known, name), abs=1e-3)
    assert unknown.inertia_kg_m2 == pytest.approx(inertia) and "estimated" in unknown.inertial_method
    # A reflex that grows during the plateau and stops with the movement correlates negatively with
    # the deceleration and biases I low (documented; found -5 %): the estimate stays within 10 %,
    # and NC, read where a = 0, moves by less than 0.01 N m (2 % of its 0.42 N m).
    reflex = _ramp(4.0, reflex_gain=1.0)
    known, unknown = decompose(slow, reflex, inertia_kg_m2=0.01), decompose(slow, reflex)
    assert 0.009 < unknown.inertia_kg_m2 <= 0.01
    assert unknown.neural_nm == pytest.approx(known.neural_nm, abs=0.01)
    assert unknown.inertial_nm == pytest.approx(known.inertial_nm, rel=0.1)


def test_estimated_inertia_finds_a_delay_between_torque_and_angle():
    # The inertial torque recorded 40 ms ahead of the angle (as on the robot elbow, module notes):
    # the fit finds the delay to one sample (0.5 ms) and the inertia within 1 %, and NC stays 0
    # (< 0.01 N m) although the braking now starts 40 ms before the measured plateau ends.
    slow, fast = _ramp(0.1), _ramp(4.0)
    shift = 80  # samples at 2 kHz = 40 ms
    inertial = 0.01 * np.gradient(fast["angular_velocity"], fast.time)
    early_inertial = np.concatenate([inertial[shift:], np.zeros(shift)])
    early = fast.with_channels(torque=Channel(fast["torque"] - inertial + early_inertial, "N m"))
    inertia, lag = estimate_inertia(slow, early)
    assert lag == pytest.approx(0.04, abs=0.0005) and inertia == pytest.approx(0.01, rel=0.01)
    assert abs(decompose(slow, early).neural_nm) < 0.01
    # Read with no inertia (I = 0 given) the braking in the P2 window gives a negative NC: the bias
    # this estimate removes (found -0.05 N m here).
    assert decompose(slow, early, inertia_kg_m2=0.0).neural_nm < -0.02


def test_no_reflex_gives_no_neural_component_even_with_noise():
    # 0.02 N m sensor noise (1 % of the elastic range): NC within 3 noise SDs of the window mean
    # (window of ~25 samples: SD 0.02 / 5 = 0.004; we allow 0.02).
    slow, fast = _ramp(0.1, noise=0.02, seed=1), _ramp(4.0, noise=0.02, seed=2)
    assert abs(decompose(slow, fast, inertia_kg_m2=0.01).neural_nm) < 0.02


def test_force_at_the_hand_and_flags():
    slow, fast = _ramp(0.1), _ramp(4.0, reflex_gain=1.0)
    d = decompose(slow, fast, lever_arm_m=0.1)
    assert d.neural_n == pytest.approx(d.neural_nm / 0.1)
    assert d.elastic_n == pytest.approx(d.elastic_nm / 0.1)
    # Pennati et al. 2016 mean + 3 SD (ANCHORS 5.2): NC 0.8 + 2.7 = 3.5 N, EC 2.7 + 3.3 = 6.0, VC 1.2.
    assert PENNATI_CUTOFFS_N == {"neural": 3.5, "elastic": 6.0, "viscous": 1.2}
    assert d.flags == {"neural": d.neural_n > 3.5, "elastic": d.elastic_n > 6.0, "viscous": d.viscous_n > 1.2}
    assert d.flags["neural"] is True  # ~0.46 N m / 0.1 m = 4.6 N
    out = d.as_dict()
    assert set(out["components"]) == {"inertial", "elastic", "viscous", "neural"}
    assert out["units"] == "N m" and out["components_at_hand"]["neural"] == pytest.approx(d.neural_n)
    assert set(out["time_points"]) == {"P0", "P1", "P2"}
    assert out["cutoffs_n"]["neural"] == 3.5 and "Pennati" in out["cutoff_source"]


def test_without_lever_arm_flags_are_not_applicable():
    d = decompose(_ramp(0.1), _ramp(4.0, reflex_gain=1.0))
    assert d.flags == {"neural": None, "elastic": None, "viscous": None}
    assert d.neural_n is None and "not applicable" in d.flags_note
    assert d.as_dict()["components_at_hand"] is None


def test_residual_series_ends_at_the_neural_component():
    slow, fast = _ramp(0.1), _ramp(4.0, reflex_gain=1.0)
    residual = resistance_residual(slow, fast, inertia_kg_m2=0.01)
    d = decompose(slow, fast, inertia_kg_m2=0.01)
    p2 = residual.phases.p2 - residual.phases.p0
    window = max(1, round(0.1 * (residual.phases.p2 - residual.phases.p1 + 1)))
    assert np.mean(residual.neural[p2 - window + 1 : p2 + 1]) == pytest.approx(d.neural_nm, abs=1e-9)


def test_bad_input_is_refused_with_a_clear_message():
    slow, fast = _ramp(0.1), _ramp(4.0)
    with pytest.raises(RecordingError, match="slow stretch slower"):
        decompose(fast, slow)
    with pytest.raises(RecordingError, match="torque"):
        decompose(slow, Trial(fast.time, {"angle": fast.channel("angle")}, {"source": "no_torque.csv"}))
    backwards = Trial(
        fast.time,
        {"angle": Channel(1.0 - fast["angle"], "rad"), "torque": fast.channel("torque")},
        {"source": "backwards.csv"},
    )
    with pytest.raises(RecordingError, match="increases the angle"):
        decompose(slow, backwards)
    short = Trial(
        slow.time,
        {"angle": Channel(0.5 * slow["angle"], "rad"), "torque": slow.channel("torque")},
        {"source": "half_range.csv"},
    )
    with pytest.raises(QualityGateError, match="`half_range.csv` .*quality gate `angle_overlap`.*got 26.72 deg"):
        decompose(short, fast)
    flat = Trial(
        fast.time, {"angle": Channel(np.zeros_like(fast.time), "rad"), "torque": fast.channel("torque")}
    )
    with pytest.raises(RecordingError, match="at least 1 deg"):
        decompose(slow, flat)
    with pytest.raises(ParameterError, match="method"):
        decompose(slow, fast, method="wartenberg")
    with pytest.raises(ParameterError, match="lever_arm_m"):
        decompose(slow, fast, lever_arm_m=0.0)


# ------------------------------------------------------------------------------------------------
# Simulated wrist (issue 4, acceptance item 4).


def _neuroflexor_pair(params):
    """5 and 236 deg/s over the NeuroFlexor range; the fast one held so both last as long (one compile)."""
    start, end = RANGES["wrist"]
    slow = MotorizedStretch(velocity=SLOW * DEG)
    hold = slow.drive("wrist").duration - slow.rest_before - (end - start) / (FAST * DEG) - slow.corner
    return slow.run(params), MotorizedStretch(velocity=FAST * DEG, hold=hold).run(params)


@pytest.fixture(scope="module")
def wrist():
    healthy = default_params("wrist")
    stroke = apply_condition(healthy, "stroke", 0.7)
    return {
        "healthy": _neuroflexor_pair(healthy),
        "stroke": _neuroflexor_pair(stroke),
        "inertia": float(healthy.limb.inertia),
    }


@pytest.mark.reference
def test_simulated_healthy_wrist_is_under_and_stroke_over_the_neural_cutoff(wrist):
    # Lever arm: NEUROFLEXOR_LEVER_ARM_M = 0.095 m (hand centre of mass, Winter 2009; device geometry
    # unverified). Magnitudes found with the presets of issue 14 (inertia not given, so estimated
    # from the movement): healthy NC 0.005 N m (0.06 N), stroke 0.7 NC 0.45 N m (4.7 N; 0.95 N m
    # before the fusimotor change became opt-in) against the 3.5 N cut-off (Pennati 2016). The
    # decision holds for lever arms up to 0.12 m (the hand's centre of mass lies 0.506 of its length
    # from the wrist, Winter 2009: 0.09-0.10 m for adult hand lengths of 0.18-0.20 m).
    healthy = decompose(*wrist["healthy"], lever_arm_m=NEUROFLEXOR_LEVER_ARM_M)
    stroke = decompose(*wrist["stroke"], lever_arm_m=NEUROFLEXOR_LEVER_ARM_M)
    assert healthy.neural_n < PENNATI_CUTOFFS_N["neural"] and healthy.flags["neural"] is False
    assert stroke.neural_n > PENNATI_CUTOFFS_N["neural"] and stroke.flags["neural"] is True
    assert stroke.neural_nm / 0.12 > PENNATI_CUTOFFS_N["neural"]
    # Healthy: within the Pennati healthy spread (mean 0.8 +- 0.9 N: between mean - 3 SD and + 3 SD).
    assert -1.9 < healthy.neural_n < 3.5
    # The reflex is what makes the difference: with the inertia known the healthy NC is ~0
    # (< 0.1 N, 3 % of the cut-off) and the stroke NC changes by < 10 %.
    exact_healthy = decompose(
        *wrist["healthy"], lever_arm_m=NEUROFLEXOR_LEVER_ARM_M, inertia_kg_m2=wrist["inertia"]
    )
    exact_stroke = decompose(
        *wrist["stroke"], lever_arm_m=NEUROFLEXOR_LEVER_ARM_M, inertia_kg_m2=wrist["inertia"]
    )
    assert abs(exact_healthy.neural_n) < 0.1
    assert exact_stroke.neural_n == pytest.approx(stroke.neural_n, rel=0.1)
    # The inertia estimated from the healthy wrist's movement is the model's (within 2 %; found
    # 0.00554 against 0.00554 kg m^2) with no channel delay; the reflex of the stroke wrist biases
    # it low (found -36 %, module notes) without moving NC by more than the 10 % above.
    assert healthy.inertia_kg_m2 == pytest.approx(wrist["inertia"], rel=0.02)
    assert abs(healthy.channel_lag_s) <= 0.001
    assert stroke.inertia_kg_m2 < wrist["inertia"]


def test_simulated_time_points_bracket_the_constant_velocity_phase(wrist):
    d = decompose(*wrist["healthy"])
    start, end = (r / DEG for r in RANGES["wrist"])
    # The fast ramp starts at 0.5 s; the 20 ms corners take ~4 deg at each end at 236 deg/s.
    assert d.p0_s == pytest.approx(0.5, abs=0.01) and d.p0_angle_deg == pytest.approx(start, abs=0.5)
    assert start < d.p1_angle_deg < start + 4.0
    assert end - 4.0 < d.p2_angle_deg < end
    assert d.fast_velocity_deg_s == pytest.approx(FAST, rel=1e-6)
    assert d.slow_velocity_deg_s == pytest.approx(SLOW, rel=1e-6)


# ------------------------------------------------------------------------------------------------
# Real healthy elbow, robot stretches at 10-90 deg/s (issue 4, acceptance item 3).


@pytest.fixture(scope="module")
def elbow(data_dir):
    folder = data_dir / "elbow-stretch-spasticmyoelbow" / "derived_csv"
    return {v: read_csv(folder / f"ref_data_0_1_v{v}.csv") for v in range(10, 100, 10)}


@pytest.mark.reference
def test_healthy_robot_elbow_has_no_neural_component(elbow):
    slow = elbow[10]
    rows = [(v, decompose(slow, elbow[v])) for v in range(20, 100, 10)]
    neural = np.array([d.neural_nm for _, d in rows])
    velocity = np.array([d.fast_velocity_deg_s for _, d in rows])
    # Done-when (issue 14): NC within 0.3 N m of zero at every fast speed. 0.3 N m = 3 SD of the
    # resting-torque fluctuation of the fastest stretch (0.1 N m SD before the 90 deg/s ramp).
    # Found with the inertia estimated from each movement: -0.15 to -0.00 N m (it was -0.44 to
    # +0.00 when the braking torque of the deceleration, which the torque channel shows 18-100 ms
    # before the angle, fell in the P2 window; module notes).
    assert np.all(np.abs(neural) < 0.3)
    # No trend with velocity beyond viscosity: NC does not rise with velocity (the regression slope
    # is not significantly positive, one-sided 5 %), as it does in spasticity (NeuroFlexor foot
    # module: NC rises with velocity, ANCHORS 5.2).
    fit = stats.linregress(velocity, neural)
    assert fit.slope - stats.t.ppf(0.95, neural.size - 2) * fit.stderr < 0
    assert not np.all(np.diff(neural) > 0)
    # The viscous component is small (< 0.25 N m) at every velocity.
    assert all(abs(d.viscous_nm) < 0.25 for _, d in rows)
    # The estimated inertia, where the movement's corners are large enough to show it (50-90 deg/s:
    # +-200 deg/s^2), is that of a forearm and hand plus the device: 0.05-0.2 kg m^2 (forearm and
    # hand about the elbow ~0.08 kg m^2 for a 75 kg, 1.75 m adult from Winter 2009 Table 4.1
    # segment data; found 0.10-0.11) and the same within a factor 1.3 at every such speed.
    fast_inertia = np.array([d.inertia_kg_m2 for v, d in rows if v >= 50])
    assert np.all((fast_inertia > 0.05) & (fast_inertia < 0.2))
    assert fast_inertia.max() / fast_inertia.min() < 1.3
    # No EMG in these files: the slow stretch is not checked for a reflex (None, not False).
    assert all(d.slow_reflex is None for _, d in rows)


def test_healthy_robot_elbow_without_inertia_shows_the_old_bias(elbow):
    # The bias the estimate removes: with I = 0 the braking torque in the P2 window makes the NC of
    # the faster stretches negative beyond the 0.3 N m tolerance (found -0.44 N m at 60 deg/s).
    worst = min(decompose(elbow[10], elbow[v], inertia_kg_m2=0.0).neural_nm for v in (50, 60, 80, 90))
    assert worst < -0.3


# ------------------------------------------------------------------------------------------------
# Reflex in the slow stretch (issue 14 item 6a).


def test_a_reflex_in_the_slow_stretch_is_flagged():
    # Synthetic: the slow stretch recruits its muscle from 0.6 rad (34.4 deg): the flag, the onset
    # angle (within 0.5 deg: the envelope of a step onset) and a SlowReflexWarning.
    slow, fast = _ramp(0.1), _ramp(4.0)
    emg = np.where(slow["angle"] > 0.6, 0.2, 0.0)
    reflexive = slow.with_channels(emg_flexors=Channel(emg, "1"))
    with pytest.warns(SlowReflexWarning, match="reflex EMG from 34"):
        d = decompose(reflexive, fast)
    assert d.slow_reflex is True and d.slow_reflex_angle_deg == pytest.approx(0.6 / DEG, abs=0.5)
    assert d.as_dict()["slow_reflex"]["detected"] is True
    quiet = slow.with_channels(emg_flexors=Channel(np.zeros_like(emg), "1"))
    d = decompose(quiet, fast)
    assert d.slow_reflex is False and d.slow_reflex_angle_deg is None
    assert decompose(slow, fast).slow_reflex is None


@pytest.mark.reference
def test_simulated_stroke_slow_stretch_is_flagged():
    # Issue 14 item 6a: stroke 1.0 stretched at 5 deg/s recruits the elbow flexors in the slow
    # stretch (found from ~135 deg; their TSRT lies inside the range, ANCHORS 6). The flag does not
    # depend on the exact angle, which moves with the presets: the onset lies inside the stretch.
    params = apply_condition(default_params("elbow"), "stroke", 1.0)
    slow = MotorizedStretch(velocity=SLOW * DEG).run(params)
    fast = MotorizedStretch(velocity=100 * DEG).run(params)
    with pytest.warns(SlowReflexWarning):
        d = decompose(slow, fast)
    start, end = (r / DEG for r in RANGES["elbow"])
    assert d.slow_reflex is True and start < d.slow_reflex_angle_deg < end


# ------------------------------------------------------------------------------------------------
# Repeated fast stretches (issue 14 item 6c).


def _repeated(gains, noise=0.0):
    """Fast stretches with reflex gains ``gains`` one after another, each returning to 0 at rest."""
    pieces = [_ramp(4.0, reflex_gain=g, noise=noise, seed=i) for i, g in enumerate(gains)]
    times, angles, speeds, torques = [], [], [], []
    offset = 0.0
    for piece in pieces:
        back = np.linspace(1.0, 0.0, 1001)  # a 0.5 s return at -2 rad/s, then 0.5 s rest
        rest = np.zeros(1000)
        angles.append(np.concatenate([piece["angle"], back, rest]))
        speeds.append(np.concatenate([piece["angular_velocity"], np.full(1001, -2.0), rest]))
        torques.append(np.concatenate([piece["torque"], 2.0 * back, rest]))
        n = angles[-1].size
        times.append(offset + 0.0005 * np.arange(n))
        offset = times[-1][-1] + 0.0005
    return Trial(
        np.concatenate(times),
        {
            "angle": Channel(np.concatenate(angles), "rad"),
            "angular_velocity": Channel(np.concatenate(speeds), "rad/s"),
            "torque": Channel(np.concatenate(torques), "N m"),
        },
        {"source": "repeated.csv"},
    )


def test_repeated_stretches_give_the_neural_component_an_uncertainty():
    gains = (0.8, 1.0, 1.2, 1.0)
    slow = _ramp(0.1)
    repeated = _repeated(gains)
    assert [p.metadata["segment"] for p in segment_stretches(repeated)] == [1, 2, 3, 4]
    d = decompose(slow, repeated, inertia_kg_m2=0.01)
    single = np.array([decompose(slow, _ramp(4.0, reflex_gain=g), inertia_kg_m2=0.01).neural_nm for g in gains])
    # Each stretch decomposed as if alone (1e-9 N m), the mean reported, the sample SD and the 95 %
    # t-interval of the mean (t(0.975, 3) = 3.18) from them.
    assert d.n_stretches == 4
    assert np.allclose(d.neural_per_stretch_nm, single, atol=1e-9)
    assert d.neural_nm == pytest.approx(single.mean(), abs=1e-9)
    assert d.neural_sd_nm == pytest.approx(single.std(ddof=1), abs=1e-9)
    half = stats.t.ppf(0.975, 3) * single.std(ddof=1) / 2
    assert d.neural_ci95_nm == pytest.approx((single.mean() - half, single.mean() + half), abs=1e-9)
    assert d.as_dict()["neural_uncertainty"]["n_stretches"] == 4
    # One stretch: no spread to report.
    one = decompose(slow, _ramp(4.0, reflex_gain=1.0))
    assert one.n_stretches == 1 and one.neural_sd_nm is None and one.neural_ci95_nm is None


def test_repeated_noisy_stretches_interval_covers_the_truth():
    # Nine stretches (the NeuroFlexor's number, ANCHORS 5.1) of one joint with 0.05 N m sensor noise:
    # the 95 % interval of the mean NC holds the noise-free NC, and the SD is of the order of the
    # window-mean noise (0.05 / sqrt(25 samples) = 0.01 N m; allowed 0.002-0.05).
    slow = _ramp(0.1)
    truth = decompose(slow, _ramp(4.0, reflex_gain=1.0), inertia_kg_m2=0.01).neural_nm
    d = decompose(slow, _repeated([1.0] * 9, noise=0.05), inertia_kg_m2=0.01)
    low, high = d.neural_ci95_nm
    assert d.n_stretches == 9 and low < truth < high
    assert 0.002 < d.neural_sd_nm < 0.05


# ------------------------------------------------------------------------------------------------
# Stretches that decrease the angle (stretch_direction -1: a knee extension stretching the hamstrings).


def _mirrored(trial: Trial, start: float = 1.5) -> Trial:
    """``trial`` stretched the other way: angle ``start - q``, velocity and torque negated (the torque is
    in the angle convention), metadata ``stretch_direction`` -1."""
    channels = {
        "angle": Channel(start - trial["angle"], "rad"),
        "angular_velocity": Channel(-trial["angular_velocity"], "rad/s"),
        "torque": Channel(-trial["torque"], "N m"),
    }
    return Trial(trial.time, channels, {**trial.metadata, "stretch_direction": -1.0})


def test_a_stretch_that_decreases_the_angle_is_decomposed_like_its_mirror():
    # The law: mirroring the angle (q -> 1.5 rad - q) and saying so (stretch_direction -1) changes no
    # component, and every time point is the same sample, its angle mirrored. Exact up to rounding.
    slow, fast = _ramp(0.1), _ramp(4.0, reflex_gain=1.0)
    up = decompose(slow, fast, lever_arm_m=0.095)
    down = decompose(_mirrored(slow), _mirrored(fast), lever_arm_m=0.095)
    for name in ("inertial_nm", "elastic_nm", "viscous_nm", "neural_nm", "resting_tension_nm", "inertia_kg_m2",
                 "channel_lag_s", "p0_s", "p1_s", "p2_s", "slow_velocity_deg_s", "fast_velocity_deg_s"):
        assert getattr(down, name) == pytest.approx(getattr(up, name), abs=1e-9), name
    for name in ("p0_angle_deg", "p1_angle_deg", "p2_angle_deg"):
        assert getattr(down, name) == pytest.approx(1.5 / DEG - getattr(up, name), abs=1e-9), name
    assert down.flags == up.flags and down.warnings == ()
    residual, mirrored = resistance_residual(slow, fast), resistance_residual(_mirrored(slow), _mirrored(fast))
    assert np.allclose(mirrored.neural, residual.neural, atol=1e-9)
    assert np.allclose(mirrored.angle, 1.5 - residual.angle, atol=1e-12)  # the Trial's own angle
    assert estimate_inertia(_mirrored(slow), _mirrored(fast)) == pytest.approx(estimate_inertia(slow, fast))
    # Repeated stretches the other way are segmented as before.
    assert len(segment_stretches(_mirrored(_repeated((1.0, 1.0, 1.0))))) == 3
    # Mixed directions are no decomposition; a stretch against its declared direction names the metadata.
    with pytest.raises(RecordingError, match="same direction"):
        decompose(slow, _mirrored(fast))
    wrong = Trial(fast.time, dict(fast.channels), {"source": "wrong_way.csv", "stretch_direction": -1.0})
    with pytest.raises(RecordingError, match="decreases the angle.*stretch_direction"):
        stretch_phases(wrong)


def test_knee_extension_stretches_are_found_without_flipping_the_angle():
    # CP1's right-knee IPSA file (ships with the package): 8 hand-held knee extensions stretching the
    # hamstrings, read in the myoreflex convention (flexion positive), so each stretch decreases the
    # angle and the reader says so (stretch_direction -1). Before, stretch_phases refused them ("a
    # stretch that increases the angle") unless the file was read with angle_sign -1, and `assess
    # threshold` / `report` failed. Now each stretch is found as on the flipped reading, sample for sample.
    from myoreflex import datasets
    from myoreflex.io import read_trials
    from myoreflex.measures.threshold import dsrt

    path = datasets.path("cp1-right-knee-stretches")
    stretches, flipped = read_trials(path), read_trials(path, angle_sign=-1.0)
    assert len(stretches) == 8
    for trial, mirror in zip(stretches, flipped):
        assert trial.stretch_direction == -1.0 and mirror.stretch_direction == 1.0
        phases, expected = stretch_phases(trial), stretch_phases(mirror)
        assert phases.direction == -1.0
        assert (phases.p0, phases.p1, phases.p2, phases.end) == (expected.p0, expected.p1, expected.p2, expected.end)
        assert phases.plateau_velocity == pytest.approx(expected.plateau_velocity, rel=1e-12)
        assert np.allclose(phases.velocity, expected.velocity)
        # The stretch runs towards extension: the angle falls from P0 to P2 (by 12-51 deg in this file).
        assert trial["angle"][phases.p0] - trial["angle"][phases.p2] > 10 * DEG
        # The plateau (median of the samples near the peak) lies just under the lab's peak velocity
        # (found 90-98 % of it in these 8 stretches).
        lab_peak = abs(trial.metadata["peak_velocity"])
        assert 0.85 * lab_peak < phases.plateau_velocity <= lab_peak
        assert len(segment_stretches(trial)) == 1
        # The DSRT, an angle, is the flipped reading's mirrored (None where it has none).
        found, mirrored = dsrt(trial), dsrt(mirror)
        assert (found.dsrt_deg is None) == (mirrored.dsrt_deg is None)
        if found.dsrt_deg is not None:
            assert found.dsrt_deg == pytest.approx(-mirrored.dsrt_deg, abs=1e-9)
