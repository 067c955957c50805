"""Sub-sample timing of the pendulum measures on an analytic swing (module doc of
myoreflex.measures.pendulum): a damped cosine sampled at 100 Hz, a goniometer's rate."""

import numpy as np
import pytest

from myoreflex.measures.pendulum import measure
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

OMEGA = 2 * np.pi / 1.05  # rad/s: a 1.05 s swing (the tutorial trace's first period, ANCHORS 4.3)
DECAY = 0.6  # 1/s
REST, AMPLITUDE = 65 * DEG, -65 * DEG  # released from full extension towards a 65 deg plateau
RELEASE = 0.5  # s


def _swing(t):
    s = np.clip(t - RELEASE, 0.0, None)
    # Released at rest: the sine term makes the velocity start from zero, as a dropped leg's does.
    return REST + AMPLITUDE * np.exp(-DECAY * s) * (np.cos(OMEGA * s) + DECAY / OMEGA * np.sin(OMEGA * s))


def _exact():
    """Peak times and values from a 10 kHz evaluation of the same swing (the truth to ~1e-4 s)."""
    t = np.arange(0.0, 10.0, 1e-4)
    angle = _swing(t)
    velocity = np.gradient(angle, t)

    def highest_between(start, stop):
        return np.argmax(np.where((t > start) & (t < stop), angle, -np.inf))

    release = t[np.argmax(velocity > 20 * DEG)]
    first = highest_between(RELEASE + 0.05, RELEASE + 1.2)
    second = highest_between(t[first] + 0.5, t[first] + 1.5)
    peak = np.argmax(np.abs(velocity))
    return {"release": release, "first_time": t[first] - release, "first_deg": angle[first] / DEG,
            "period": t[second] - t[first], "peak_time": t[peak] - release, "peak_velocity": abs(velocity[peak]) / DEG}


@pytest.mark.parametrize("offset", [0.0, 0.0031, 0.0067])  # where the samples fall relative to the swing
def test_peaks_and_times_are_found_between_samples(offset):
    t = np.arange(0.0, 10.0, 0.01) + offset
    angle = _swing(t)
    velocity = np.gradient(angle, t)
    trial = Trial(t, {"angle": Channel(angle, "rad"), "angular_velocity": Channel(velocity, "rad/s")},
                  {"source": "analytic swing"})
    m, exact = measure(trial), _exact()
    # One sample is 10 ms; the interpolated times land within 1.5 ms, the first peak within
    # 0.01 deg, the peak velocity within 0.5 % (np.gradient's own error at 100 Hz is ~0.3 %).
    assert m.time_to_first_peak_s == pytest.approx(exact["first_time"], abs=1.5e-3)
    assert m.period_s == pytest.approx(exact["period"], abs=1.5e-3)
    assert m.time_to_peak_velocity_s == pytest.approx(exact["peak_time"], abs=1.5e-3)
    assert m.first_peak_angle_deg == pytest.approx(exact["first_deg"], abs=0.01)
    assert m.peak_velocity_deg_s == pytest.approx(exact["peak_velocity"], rel=5e-3)
    assert m.release_time_s == pytest.approx(exact["release"], abs=1.5e-3)
