"""Pendulum-test measures from a knee-angle Trial, identical for recorded and simulated data.

Definitions follow ANCHORS 4.1 (Bajd & Bowman 1982; Rahimi et al. 2020 as naming authority):

- release: the moment the angular velocity first exceeds 20 deg/s in the swing direction;
- theta_start: the angle at release (the extreme over the 0.2 s before it);
- theta_rest (plateau, resting angle): median of the last 0.5 s;
- theta_min1: the first reversal of the swing (first flexion peak);
- first swing excursion F1amp = |theta_start - theta_min1|; plateau amplitude A0 = |theta_start - theta_rest|;
- relaxation index R1 = F1amp / A0, and R2n = R1 / 1.6 (Bajd & Bowman 1982: normal ~ 1);
- number of oscillations: swing reversals in the swing direction (flexion peaks) with a
  prominence of at least 1 deg; first period: time between the first two of them;
- peak angular velocity (absolute) and its time after release.

Angle convention: any, as long as it is consistent within the Trial. The swing direction is found
from the data (the sign of theta_rest - theta_start), so knee flexion may be positive (myoreflex)
or negative (OpenSim, the De Groote tutorial); excursions are reported as positive numbers and
``plateau_deg`` in the Trial's own convention.

Sub-sample timing: the release is the linearly interpolated crossing of the velocity threshold, and
every peak (reversal angle, peak velocity) is the vertex of the parabola through the sampled peak
and its two neighbours (the standard three-point peak interpolation, e.g. Smith & Serra 1987, Proc
ICMC, "PARSHL"). Times and peak values then do not jump by a whole sample when the sampling rate
changes: a 100 Hz recording (10 ms samples) measures a 0.3 s time to peak velocity with an error
far below one sample, and a simulation's metrics converge smoothly as its step shrinks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.signal import find_peaks

from myoreflex.errors import RecordingError, describe
from myoreflex.measures import Record
from myoreflex.trial import Trial
from myoreflex.units import DEG

BAJD_BOWMAN_NORMAL_R1 = 1.6
"""Normal R1 (Bajd & Bowman 1982, J Biomed Eng 4:90), the normaliser of R2n (ANCHORS 4.1)."""
RELEASE_VELOCITY = 20 * DEG  # rad/s, ANCHORS 4.3 method
PEAK_PROMINENCE = 1 * DEG  # rad, ANCHORS 4.3 method
REST_WINDOW = 0.5  # s


@dataclasses.dataclass(frozen=True)
class PendulumMeasures(Record):
    """Pendulum-test measures (degrees and seconds at this edge)."""

    r1: float
    r2n: float
    first_swing_excursion_deg: float
    plateau_deg: float
    plateau_amplitude_deg: float
    start_angle_deg: float
    first_peak_angle_deg: float
    time_to_first_peak_s: float
    n_oscillations: int
    peak_velocity_deg_s: float
    time_to_peak_velocity_s: float
    period_s: float | None
    release_time_s: float
    method: str = "ANCHORS 4.1 / Bajd & Bowman 1982; peaks by prominence >= 1 deg, parabolic sub-sample peaks"


def _angle_and_velocity(trial: Trial, channel: str):
    angle = trial[channel]
    if angle.ndim != 1:
        raise RecordingError(describe(f"`{trial.source}`, channel `{channel}`", "a 1-D angle", angle.shape))
    if not np.all(np.isfinite(angle)):
        raise RecordingError(describe(f"`{trial.source}`, channel `{channel}`", "finite values", "NaN or inf"))
    if "angular_velocity" in trial and channel == "angle":
        velocity = trial["angular_velocity"]
    else:
        velocity = np.gradient(angle, trial.time)
    return angle, velocity


def _parabolic_peak(t, y, index: int) -> tuple[float, float]:
    """Time and value of the vertex of the parabola through samples ``index - 1 .. index + 1``.

    Exact for a sampled parabola on any (also uneven) time grid; at either end of the record, or
    on a flat top, the sample itself.
    """
    if index <= 0 or index >= len(y) - 1:
        return float(t[index]), float(y[index])
    t0, t1, t2 = t[index - 1 : index + 2] - t[index]
    y0, y1, y2 = y[index - 1 : index + 2]
    # y = y1 + b (t) + c t^2 through the three points (t1 = 0), vertex at -b / 2c.
    slope_left, slope_right = (y1 - y0) / -t0, (y2 - y1) / t2
    c = (slope_right - slope_left) / (t2 - t0)
    if c == 0.0:
        return float(t[index]), float(y1)
    b = slope_right - c * t2
    offset = float(np.clip(-b / (2.0 * c), t0, t2))
    return float(t[index] + offset), float(y1 + b * offset + c * offset**2)


def _crossing_time(t, y, index: int, level: float) -> float:
    """Time at which ``y`` crosses ``level`` between samples ``index - 1`` and ``index`` (linear)."""
    if index == 0 or y[index] == y[index - 1]:
        return float(t[index])
    fraction = (level - y[index - 1]) / (y[index] - y[index - 1])
    return float(t[index - 1] + np.clip(fraction, 0.0, 1.0) * (t[index] - t[index - 1]))


def measure(trial: Trial, *, channel: str = "angle") -> PendulumMeasures:
    """Compute :class:`PendulumMeasures` from the Trial's knee angle channel (rad).

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 10, 1001)   # released at 0 deg, swinging about 70 deg at 1 Hz
    >>> q = np.radians(70) * (1 - np.exp(-0.35 * t) * np.cos(2 * np.pi * t))
    >>> result = measure(Trial(t, {"angle": Channel(q, "rad")}))
    >>> round(result.r1, 2), result.n_oscillations, round(result.period_s, 2)
    (1.84, 10, 1.0)
    """
    where = f"`{trial.source}`, channel `{channel}`"
    angle, velocity = _angle_and_velocity(trial, channel)
    t = trial.time
    if trial.duration < 2.0:
        raise RecordingError(describe(where, "a pendulum swing of at least 2 s", f"{trial.duration:.2f} s"))
    rest = float(np.median(angle[t >= t[-1] - REST_WINDOW]))
    direction = np.sign(rest - angle[0]) or 1.0
    moving = np.flatnonzero(direction * velocity > RELEASE_VELOCITY)
    if moving.size == 0:
        raise RecordingError(describe(where, "a released leg (velocity above 20 deg/s)", "no swing"))
    release = int(moving[0])
    release_time = _crossing_time(t, direction * velocity, release, RELEASE_VELOCITY)
    before = (t >= t[release] - 0.2) & (t <= t[release])
    start = float(direction * np.min(direction * angle[before]))
    amplitude = abs(rest - start)
    if amplitude < 5 * DEG:
        raise RecordingError(describe(where, "a plateau at least 5 deg from the release angle",
                                      f"{amplitude / DEG:.1f} deg"))
    after = slice(release, None)
    peaks, _ = find_peaks(direction * angle[after], prominence=PEAK_PROMINENCE)
    peaks = peaks + release
    if peaks.size == 0:
        raise RecordingError(describe(where, "at least one swing reversal after release", "none"))
    first_time, first_value = _parabolic_peak(t, direction * angle, int(peaks[0]))
    first_angle = direction * first_value
    excursion = abs(first_angle - start)
    r1 = excursion / amplitude
    peak = int(np.argmax(np.abs(velocity[after]))) + release
    peak_velocity_time, peak_velocity = _parabolic_peak(t, np.abs(velocity), peak)
    period = _parabolic_peak(t, direction * angle, int(peaks[1]))[0] - first_time if peaks.size > 1 else None
    return PendulumMeasures(
        r1=float(r1),
        r2n=float(r1 / BAJD_BOWMAN_NORMAL_R1),
        first_swing_excursion_deg=float(excursion / DEG),
        plateau_deg=rest / DEG,
        plateau_amplitude_deg=float(amplitude / DEG),
        start_angle_deg=start / DEG,
        first_peak_angle_deg=float(first_angle / DEG),
        time_to_first_peak_s=first_time - release_time,
        n_oscillations=int(peaks.size),
        peak_velocity_deg_s=float(peak_velocity / DEG),
        time_to_peak_velocity_s=peak_velocity_time - release_time,
        period_s=period,
        release_time_s=release_time,
    )

