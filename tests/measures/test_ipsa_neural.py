"""Neural component of hand-held stretches: issue 4, acceptance item 2 (torque part).

Criterion (issue "Measure real recordings", done-when item 2): "the neural component of each fast
stretch exceeds that of the slow stretch of the same muscle", on the KU Leuven IPSA recordings of
subject CP1 (``kuleuven-cp-ipsa-pendulum``, SOURCE.md): four files (left and right knee extension,
which stretches the medial hamstrings; left and right ankle dorsiflexion, which stretches the
plantarflexors), 30 segments, 15 slow and 15 fast.

Procedure, the same for every segment, default settings (:func:`decompose_manual`; the method
and its assumptions are in :mod:`myoreflex.measures.manual`):

- fast stretch: NC against the pooled slow stretches of its file (same muscle and side);
- slow stretch: the same measure against the *other* slow stretches of its file
  (``check_slower=False``), so that its NC is out of sample, not zero by construction.

Measured NC (N m; slow segments, then fast):

    MEH_L  slow  2: -1.11  3: +1.01           fast 4: +2.09  5: +2.15  6: +1.22
    MEH_R  slow  -0.05 -0.21 -0.22 +0.22      fast +2.85 +1.94 +1.50 +2.41
    PF_L   slow  +0.19 +0.17 -0.24 -0.25      fast +2.59 +2.40 +2.64 +2.87
    PF_R   slow  +0.03 -0.49 +0.00 +0.13      fast +2.82 +2.33 +2.27 +2.24

Every fast NC exceeds every slow NC of its file (54 of 54 pairs) and the slow mean of its file by
at least 1.27 N m. Slow segment 1 of the left knee cannot be measured against the other two: it
goes to 44 deg flexion, they stop at 55-56 deg, and the window cut to their range keeps 32 % of
its excursion (RecordingError naming the file and segment; the test checks it).

Not robust: the smallest strict margin, left knee fast 6 against slow 3 (1.22 against 1.01 N m).
The slow left-knee stretches differ by up to 4.4 N m at 60 deg flexion (slow 3 is the stiffest at
end range), so a slow-against-slow NC there scatters by about +-1 N m. With other settings this
margin is 0.75 (``hold_s=0``), 0.56 (``hold_s=0.2``), 0.20 (``peak_fraction=0.8``), 0.19
(``move_fraction=0.1``) and -0.25 N m (``smoothing_deg=4``: the slow curve then reaches further
into slow 3's end range); every other file keeps margins of 0.7 N m or more under all of them.
Fast 6 is also the left-knee stretch whose medial-hamstring burst the default EMG detector misses
(test_emg_ipsa.py). The margin over the slow mean stays at 0.9 N m or more under all of them.
"""

from pathlib import Path

import numpy as np
import pytest

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.io import read_ipsa
from myoreflex.measures.manual import decompose_manual
from myoreflex.trial import Channel, Trial

FILES = ("CP4_T0_MEH_L.mat", "CP4_T0_MEH_R.mat", "CP4_T0_PF_L.mat", "CP4_T0_PF_R.mat")


# ------------------------------------------------------------------------------------------------
# Real recordings: CP1, all 30 segments.


@pytest.fixture(scope="module")
def neural(data_dir: Path):
    """{file: {"low": [(segment, result)], "high": [(segment, result)], "unmeasurable": [...]}}."""
    folder = data_dir / "kuleuven-cp-ipsa-pendulum" / "Data" / "Data_CP1" / "IPSA"
    result = {}
    for name in FILES:
        trials = read_ipsa(folder / name)
        slows = [t for t in trials if t.metadata["stretch_speed"] == "low"]
        fasts = [t for t in trials if t.metadata["stretch_speed"] == "high"]
        high = [(f.metadata["segment"], decompose_manual(slows, f)) for f in fasts]
        entry = {"low": [], "unmeasurable": [], "high": high}
        for slow in slows:
            others = [o for o in slows if o is not slow]
            try:
                control = decompose_manual(others, slow, check_slower=False)
                entry["low"].append((slow.metadata["segment"], control))
            except RecordingError as exc:
                entry["unmeasurable"].append((slow.metadata["segment"], str(exc)))
        result[name] = entry
    return result


def test_every_fast_segment_is_measured_and_slow_controls_fail_only_where_documented(neural):
    assert sum(len(v["high"]) for v in neural.values()) == 15
    assert sum(len(v["low"]) + len(v["unmeasurable"]) for v in neural.values()) == 15
    for by_speed in neural.values():
        for _, d in by_speed["low"] + by_speed["high"]:
            assert np.isfinite(d.neural_nm) and d.resistance_channel == "torque"
            assert d.neural_n == pytest.approx(d.neural_nm / d.lever_arm_m)  # force at the load cell
    # The left knee's slow segment 1 reaches 44 deg flexion, the other two 55-56 deg: cut at their
    # range while it still moves, its equal-velocity window keeps 32 % of its excursion.
    unmeasurable = {(name, seg) for name, v in neural.items() for seg, _ in v["unmeasurable"]}
    assert unmeasurable == {("CP4_T0_MEH_L.mat", 1)}
    message = neural["CP4_T0_MEH_L.mat"]["unmeasurable"][0][1]
    assert "`CP4_T0_MEH_L.mat` segment 1" in message and "range" in message


def test_fast_neural_component_exceeds_every_slow_one_of_the_same_muscle(neural):
    # The criterion in its strictest reading: all (fast, slow) pairs of each file.
    failures, margins = [], []
    for name, by_speed in neural.items():
        for fast_segment, fast in by_speed["high"]:
            for slow_segment, slow in by_speed["low"]:
                margins.append(fast.neural_nm - slow.neural_nm)
                if not fast.neural_nm > slow.neural_nm:
                    failures.append((name, fast_segment, slow_segment, round(margins[-1], 2)))
    assert len(margins) == 54  # 3 x 2 (left knee) + 3 x (4 x 4)
    assert not failures, failures


def test_fast_neural_component_exceeds_the_mean_slow_one(neural):
    # The slow condition of a muscle as a group (IPSA compares the slow and fast conditions), with a
    # margin of 1 N m, the scatter of a slow stretch measured against the others of its file.
    for name, by_speed in neural.items():
        slow_mean = np.mean([d.neural_nm for _, d in by_speed["low"]])
        for segment, fast in by_speed["high"]:
            assert fast.neural_nm > slow_mean + 1.0, (name, segment, fast.neural_nm, slow_mean)


def test_real_stretches_are_oriented_and_windowed(neural):
    for name, by_speed in neural.items():
        knee = "MEH" in name
        for _, d in by_speed["high"]:
            assert d.direction == (-1.0 if knee else 1.0)  # knee extension runs to smaller flexion
            assert d.peak_velocity_deg_s > 200 and d.slow_peak_velocity_deg_s < 40
            assert d.overlap_fraction >= 0.85
            # From rest to about rest: the inertial residue I (w_end - w_start) / duration stays below
            # 0.2 kg m^2 x 0.35 rad/s / 0.5 s = 0.14 N m at the knee (a whole adult shank has I = 0.15,
            # ANCHORS 3.3) and 0.02 kg m^2 x 0.35 rad/s / 0.2 s = 0.035 N m at the ankle.
            start, end = d.window_velocity_deg_s
            assert abs(end - start) < 20  # deg/s; measured at most 19.6
            assert d.window_s[1] - d.window_s[0] > (0.5 if knee else 0.2)
            assert d.window_s[0] <= d.viscous_window_s[0] < d.viscous_window_s[1] <= d.window_s[1]


# ------------------------------------------------------------------------------------------------
# Synthetic stretches with known components: torque = E(q) + B q' + I q'' + reflex.


def _stretch(
    duration,
    *,
    q_range=(0.0, 1.0),
    inertia=0.05,
    damping=0.1,
    reflex=0.0,
    reflex_start=0.75,
    sign=1.0,
    rate_hz=500.0,
    metadata=None,
):
    """Minimum-jerk stretch over ``q_range`` (rad), 0.5 s rest before and 1 s after.

    The reflex torque rises over 50 ms from ``reflex_start`` (fraction of the movement; the
    samples above 0.9 of the peak velocity end at 0.61) and stays. Returns (Trial, reflex, time).
    """
    t = np.arange(0.0, duration + 1.5, 1 / rate_hz)
    s = np.clip((t - 0.5) / duration, 0, 1)
    q = q_range[0] + (q_range[1] - q_range[0]) * (10 * s**3 - 15 * s**4 + 6 * s**5)
    w = np.gradient(q, t)
    reflex_torque = reflex * np.clip((t - 0.5 - reflex_start * duration) / 0.05, 0, 1)
    torque = 2 * q + 1.5 * q**2 + damping * w + inertia * np.gradient(w, t) + reflex_torque
    meta = {"source": "synthetic.mat", "segment": 7, "stretch_direction": sign, **(metadata or {})}
    channels = {
        "angle": Channel(sign * q, "rad"),
        "angular_velocity": Channel(sign * w, "rad/s"),
        "torque": Channel(sign * torque, "N m"),
    }
    return Trial(t, channels, meta), reflex_torque, t


SLOW = 6.0  # s for 1 rad: 19 deg/s at peak
FAST = 0.25  # s for 1 rad: 430 deg/s at peak


@pytest.mark.parametrize("inertia", [0.0, 0.05, 0.5, 2.0])
def test_without_reflex_the_neural_component_is_about_zero(inertia):
    # The inertial torque averages out from rest to rest whatever I; the viscous part is read at
    # peak velocity. 0.01 N m: the slow stretch's own viscous torque (0.1 x 0.33 rad/s at most)
    # biases E(q) slightly, by less than that on average.
    slow, _, _ = _stretch(SLOW)
    fast, _, _ = _stretch(FAST, inertia=inertia)
    d = decompose_manual(slow, fast)
    assert abs(d.neural_nm) < 0.01
    assert d.damping == pytest.approx(0.1, rel=0.1)
    assert d.excess_nm > 0.25  # the viscous torque is there, and is not taken for neural


@pytest.mark.parametrize("reflex", [0.5, 2.0])
def test_an_added_reflex_torque_is_recovered(reflex):
    slow, _, _ = _stretch(SLOW)
    quiet = decompose_manual(slow, _stretch(FAST)[0])
    fast, reflex_torque, t = _stretch(FAST, reflex=reflex, inertia=0.5)
    d = decompose_manual(slow, fast)
    in_window = (t >= d.window_s[0]) & (t <= d.window_s[1])
    expected = reflex_torque[in_window].mean()  # uniform samples: the time average
    assert d.neural_nm == pytest.approx(expected, rel=0.02, abs=0.01)
    assert d.neural_nm > quiet.neural_nm + 0.3 * reflex
    assert d.viscous_nm == pytest.approx(quiet.viscous_nm, rel=0.01)  # the reflex starts after P


def test_a_reflex_before_peak_velocity_is_underestimated_not_inflated():
    # Documented bias: torque already present at peak velocity is counted as viscous.
    slow, _, _ = _stretch(SLOW)
    fast, reflex_torque, t = _stretch(FAST, reflex=1.0, reflex_start=0.3)
    d = decompose_manual(slow, fast)
    in_window = (t >= d.window_s[0]) & (t <= d.window_s[1])
    assert 0 < d.neural_nm < reflex_torque[in_window].mean()


def test_knee_convention_gives_the_same_components():
    # A knee extension stretches the hamstrings towards smaller (more negative) angles.
    up = decompose_manual(_stretch(SLOW)[0], _stretch(FAST, reflex=1.0)[0])
    down = decompose_manual(_stretch(SLOW, sign=-1.0)[0], _stretch(FAST, reflex=1.0, sign=-1.0)[0])
    assert down.direction == -1.0
    assert down.neural_nm == pytest.approx(up.neural_nm, abs=1e-12)
    assert down.elastic_nm == pytest.approx(up.elastic_nm, abs=1e-12)
    assert down.window_angle_deg == pytest.approx(tuple(-a for a in up.window_angle_deg))
    assert down.slow_range_deg[1] <= 0


def test_explicit_direction_overrides_metadata():
    slow, _, _ = _stretch(SLOW, sign=-1.0, metadata={"stretch_direction": 1.0})
    fast, _, _ = _stretch(FAST, sign=-1.0, metadata={"stretch_direction": 1.0})
    with pytest.raises(RecordingError, match="segment 7.*stretch_direction"):
        decompose_manual(slow, fast)
    assert decompose_manual(slow, fast, direction=-1).direction == -1.0


def test_partial_overlap_keeps_an_equal_velocity_window():
    # The slow stretch covers 0-0.8 rad of the fast 0-1 rad: W is cut where the limb still moves,
    # and both ends are moved to the same velocity so that the inertia (0.5) still averages out.
    slow, _, _ = _stretch(SLOW, q_range=(0.0, 0.8))
    d = decompose_manual(slow, _stretch(FAST, inertia=0.5)[0])
    assert 0.5 < d.overlap_fraction < 0.9
    start, end = d.window_velocity_deg_s
    assert start == pytest.approx(end, rel=0.05) and start > 100
    assert abs(d.neural_nm) < 0.1  # residue of one sample's velocity step, 0.5 x 0.2 rad/s / 0.1 s


def test_too_little_overlap_names_the_file_and_segment():
    slow, _, _ = _stretch(SLOW, q_range=(0.0, 0.3))
    with pytest.raises(RecordingError, match=r"`synthetic\.mat` segment 7 \(the stretch measured\).*range"):
        decompose_manual(slow, _stretch(FAST)[0])
    short, _, _ = _stretch(SLOW, q_range=(0.0, 0.6))  # covers the peak, then cut while moving fast
    with pytest.raises(RecordingError, match=r"segment 7 .*got 24% of 0\.0 to 57\.3 deg"):
        decompose_manual(short, _stretch(FAST)[0])
    lenient = decompose_manual(short, _stretch(FAST)[0], min_overlap=0.2)
    assert lenient.overlap_fraction == pytest.approx(0.24, abs=0.01)
    shifted, _, _ = _stretch(SLOW, q_range=(0.7, 1.2))  # covers the end, not the peak velocity
    with pytest.raises(RecordingError, match="segment 7"):
        decompose_manual(shifted, _stretch(FAST)[0])


def test_swapped_or_mismatched_stretches_raise():
    slow, _, _ = _stretch(SLOW)
    fast, _, _ = _stretch(FAST)
    with pytest.raises(RecordingError, match="slower than the fast one"):
        decompose_manual(fast, slow)
    other, _, _ = _stretch(SLOW, metadata={"side": "r"})
    with pytest.raises(RecordingError, match="same muscle"):
        decompose_manual(other, _stretch(FAST, metadata={"side": "l"})[0])
    with pytest.raises(RecordingError, match="at least one slow stretch"):
        decompose_manual([], fast)


def test_force_only_recordings_give_newtons_and_lever_arm_converts():
    slow, _, _ = _stretch(SLOW)
    fast, _, _ = _stretch(FAST, reflex=1.0)

    def as_force(trial):
        channels = {k: v for k, v in trial.channels.items() if k != "torque"}
        return Trial(trial.time, {**channels, "force": Channel(trial["torque"] / 0.25, "N")}, trial.metadata)

    torque = decompose_manual(slow, fast, lever_arm_m=0.25)
    force = decompose_manual(as_force(slow), as_force(fast))
    assert force.resistance_channel == "force" and force.neural_nm is None
    assert force.neural_n == pytest.approx(torque.neural_n) == pytest.approx(torque.neural_nm / 0.25)
    assert decompose_manual(slow, fast).neural_n is None  # torque without a lever arm


def test_bad_input_gets_a_clear_error():
    slow, _, _ = _stretch(SLOW)
    fast, _, _ = _stretch(FAST)
    for kwargs in (
        {"method": "isokinetic"},
        {"hold_s": -0.1},
        {"move_fraction": 0.0},
        {"peak_fraction": 1.0},
        {"smoothing_deg": 0.0},
        {"min_overlap": 1.5},
        {"direction": 2},
        {"lever_arm_m": -0.1},
    ):
        with pytest.raises(ParameterError):
            decompose_manual(slow, fast, **kwargs)
    moving = fast.window(0.6, 3.0)  # starts mid-movement
    with pytest.raises(RecordingError, match="rest .* before and after"):
        decompose_manual(slow, moving)
    backwards, _, _ = _stretch(FAST, sign=-1.0, metadata={"stretch_direction": 1.0})
    with pytest.raises(RecordingError, match="direction"):
        decompose_manual(slow, backwards)
    nan = fast.with_channels(torque=Channel(np.where(fast.time > 1, np.nan, fast["torque"]), "N m"))
    with pytest.raises(RecordingError, match="finite"):
        decompose_manual(slow, nan)
    bare = Trial(fast.time, {"angle": fast.channel("angle")}, fast.metadata)
    with pytest.raises(RecordingError, match="torque"):
        decompose_manual(slow, bare)
