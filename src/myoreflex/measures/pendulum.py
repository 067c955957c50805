"""Pendulum-test measures from a knee-angle Trial, identical for recorded and simulated data.

Definitions follow ANCHORS 4.1 (Bajd & Bowman 1982; Rahimi et al. 2020 as naming authority):

- release: first sample whose angular velocity exceeds 20 deg/s in the swing direction;
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
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.signal import find_peaks

from myoreflex.errors import RecordingError, describe
from myoreflex.trial import Trial
from myoreflex.units import DEG

BAJD_BOWMAN_NORMAL_R1 = 1.6
"""Normal R1 (Bajd & Bowman 1982, J Biomed Eng 4:90), the normaliser of R2n (ANCHORS 4.1)."""
RELEASE_VELOCITY = 20 * DEG  # rad/s, ANCHORS 4.3 method
PEAK_PROMINENCE = 1 * DEG  # rad, ANCHORS 4.3 method
REST_WINDOW = 0.5  # s


@dataclasses.dataclass(frozen=True)
class PendulumMetrics:
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
    method: str = "ANCHORS 4.1 / Bajd & Bowman 1982; peaks by prominence >= 1 deg"

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _angle_and_velocity(trial: Trial, channel: str):
    angle = trial[channel]
    if angle.ndim != 1:
        raise RecordingError(describe(f"`{trial.metadata.get('source', 'trial')}`, channel `{channel}`",
                                      "a 1-D angle", angle.shape))
    if not np.all(np.isfinite(angle)):
        raise RecordingError(describe(f"`{trial.metadata.get('source', 'trial')}`, channel `{channel}`",
                                      "finite values", "NaN or inf"))
    if "angular_velocity" in trial and channel == "angle":
        velocity = trial["angular_velocity"]
    else:
        velocity = np.gradient(angle, trial.time)
    return angle, velocity


def measure(trial: Trial, *, channel: str = "angle") -> PendulumMetrics:
    """Compute :class:`PendulumMetrics` from the Trial's knee angle channel (rad)."""
    source = trial.metadata.get("source", "trial")
    where = f"`{source}`, channel `{channel}`"
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
    first = int(peaks[0])
    excursion = abs(angle[first] - start)
    r1 = excursion / amplitude
    peak = int(np.argmax(np.abs(velocity[after]))) + release
    period = float(t[peaks[1]] - t[peaks[0]]) if peaks.size > 1 else None
    return PendulumMetrics(
        r1=float(r1),
        r2n=float(r1 / BAJD_BOWMAN_NORMAL_R1),
        first_swing_excursion_deg=float(excursion / DEG),
        plateau_deg=rest / DEG,
        plateau_amplitude_deg=float(amplitude / DEG),
        start_angle_deg=start / DEG,
        first_peak_angle_deg=float(angle[first] / DEG),
        time_to_first_peak_s=float(t[first] - t[release]),
        n_oscillations=int(peaks.size),
        peak_velocity_deg_s=float(abs(velocity[peak]) / DEG),
        time_to_peak_velocity_s=float(t[peak] - t[release]),
        period_s=period,
        release_time_s=float(t[release]),
    )


#: The JSON contract keys shared by ``simulate pendulum --json`` and ``assess pendulum --json``.
CONTRACT_KEYS = ("r1", "r2n", "first_swing_excursion_deg", "plateau_deg", "n_oscillations",
                 "peak_velocity_deg_s", "time_to_peak_velocity_s", "period_s")
