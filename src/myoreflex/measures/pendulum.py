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

Quality gates (:data:`GATES`, :mod:`myoreflex.measures.gates`, computed by :func:`gate_results`; a
failed gate raises :class:`~myoreflex.errors.QualityGateError`, or with ``lenient=True`` is named in
``warnings``). The swing gates read the angle smoothed by a centred 0.1 s moving average (a tenth
of a ~1 s swing: it keeps 98 % of a 1 Hz swing and divides white noise by sqrt(0.1 x rate)) and
date the release where that angle's velocity passes 50 deg/s, so that the 1 deg of noise of the
fit's synthetic recordings neither fakes nor hides a swing. Margins below: the six real traces of
tests/measures/test_pendulum_real.py and the simulated knee (41 severities of stroke, cerebral
palsy, multiple sclerosis and spinal cord injury, 10 s).

- ``samples_per_swing``: at least 20 samples per swing period, the period taken as twice the first
  half swing (release to first reversal) and at most 2 s. Why 20: the peak velocity comes from
  central differences, which read a sinusoid's amplitude times sin(2 pi / N) / (2 pi / N) at N
  samples per period, 1.6 % low at N = 20; the parabolic peaks need several samples per half
  swing. Why at most 2 s: a recording sampled too slowly aliases the swing into a slow fake one (the
  tutorial trace at 1 Hz, 9 samples: a first "half swing" of 3 s, R1 1.18, time to peak velocity
  0); a shank's free period is 2 pi sqrt(k^2 / (g l_c)) = 1.24-1.34 s for adult shank lengths of
  0.43-0.5 m (Winter 2009 Table 4.1, leg and foot: radius of gyration 0.735 and centre of mass
  0.606 of the segment length from the knee) and 1.06 s for the tutorial child (ANCHORS 3.3);
  reflexes only shorten it. 2 s is half again the longest, so the rate must be at least 10 Hz
  whatever the samples suggest. Real traces: 90-116 samples (CP2 left lowest); simulated: 86 or more.
- ``first_swing_reverses``: at least one swing reversal (a flexion peak of prominence >= 1 deg)
  after the release: R1 is measured at it (Bajd & Bowman 1982). With ``lenient=True`` and none,
  the first peak is the furthest angle reached after the release (R1 then measures an overdamped
  excursion) and ``period_s`` is None. Real traces: 4-7; simulated: 3 or more.
- ``damped_decay``: the swing dies away. The largest excursion between successive reversals after
  the first one (prominence >= 1 deg), over the first swing's excursion (release angle to first
  reversal), is at most 0.95. For a linear oscillator released from rest this ratio is the
  amplitude ratio per half swing, exp(-pi zeta / sqrt(1 - zeta^2)): 1.0 undamped (the issue's
  undamped swing read R1 5.14), above 1 when something drives the leg. Why 0.95: that is a damping
  ratio zeta = 0.016, a fifth of the tutorial child's fitted passive damping, zeta = B / (2 sqrt(I
  m g l_c)) = 0.15 / (2 sqrt(0.1535 x 5.42)) = 0.082 (ratio 0.77; De Groote et al. 2018, ANCHORS
  3.3). Real traces: at most 0.82 (TD5, the typically developing child); simulated: at most 0.81.
- ``plateau_settled``: the leg has stopped. The range of the smoothed angle over the plateau window
  (the final 0.5 s, at least its last 5 samples) is at most 5 % of the plateau amplitude A0. The
  plateau is the median of that window, so with the leg still swinging R1 = F1amp / A0 divides by
  a moving number (the tutorial trace cut at 3 s: 35 %, R1 1.39 instead of 1.62). Why 5 %: the
  median lies within the window's range, about its middle when the leg oscillates about its rest,
  so A0 and R1 are then within about 2.5 % (0.04 at R1 1.6, inside the 0.05 this project accepts
  against published R1 values, tests/measures/test_pendulum_real.py). Checked on 320 simulated
  healthy adults (the cohort's virtual population and the corners of its body mass and height)
  after the default 10 s against the same swings after 40 s: those within 5 % have R1 within 0.048
  (2.9 %); a limit of 7.5 % would let 0.073 through, 10 % 0.095. A window of 0.5 s at rest is also
  the "enough recording after the last swing": no swing larger than the limit lies in it.
  Real traces: at most 1.8 % (CP2 right); simulated: at most 3.0 % (the default healthy knee after
  10 s); synthetic with 1 deg noise (tests/fit): at most 2.9 % (the raw range would read 6-9 %).
  The model's heavier and taller healthy adults swing longer: 99 of those 320 exceed 5 % after
  10 s (up to 39 %, R1 off by up to 0.46) and are refused; after 20 s, 2 (the 150 kg corners),
  after 30 s none. Hence :class:`~myoreflex.protocols.PendulumTest` records 20 s by default.
- ``velocity_noise``: the noise of the velocity the measures read, at rest (robust sd of the
  successive differences over the plateau window, over sqrt 2), at most 4 deg/s. The release, the
  peaks and the peak velocity are read from the raw samples (no filter, so that a clean recording
  is measured exactly); 4 deg/s is a fifth of the 20 deg/s release threshold (ANCHORS 4.3), so a
  held leg is not taken for released. At 0.05 deg of white angle noise (3.0 deg/s at 100 Hz) a
  simulated stroke knee keeps every measure (R1 within 0.001, 4 swings, peak velocity within
  0.1 %, release within 3 ms); at 0.2 deg (12 deg/s) the release is dated 58 ms early, during the
  hold, and 10 swings are counted instead of 4; at 1 deg R1 reads 0.01. Real traces: at most
  0.97 deg/s (CP2 right); simulated: at most 0.41. The fit does not apply this gate
  (:mod:`myoreflex.fit.pendulum`).

Sub-sample timing: the release is the linearly interpolated crossing of the velocity threshold, and
every peak (reversal angle, peak velocity) is the vertex of the parabola through the sampled peak
and its two neighbours (the standard three-point peak interpolation, e.g. Smith & Serra 1987, Proc
ICMC, "PARSHL"). Times and peak values then do not jump by a whole sample when the sampling rate
changes: a 100 Hz recording (10 ms samples) measures a 0.3 s time to peak velocity with an error
far below one sample, and a simulation's metrics converge smoothly as its step shrinks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.measures import Record
from myoreflex.measures.gates import Gate, GateResult, evaluate
from myoreflex.trial import Trial
from myoreflex.units import DEG

BAJD_BOWMAN_NORMAL_R1 = 1.6
"""Normal R1 (Bajd & Bowman 1982, J Biomed Eng 4:90), the normaliser of R2n (ANCHORS 4.1)."""
RELEASE_VELOCITY = 20 * DEG  # rad/s, ANCHORS 4.3 method
PEAK_PROMINENCE = 1 * DEG  # rad, ANCHORS 4.3 method
REST_WINDOW = 0.5  # s
MIN_REST_SAMPLES = 5
"""Fewest samples of the plateau window: a coarse recording's window is its last 5 samples."""
GATE_SMOOTHING_S = 0.1
SWING_SMOOTHING_S = 0.15
"""s: Savitzky-Golay window (quadratic) that smooths the release angle for :func:`swing_direction`."""
"""s: centred moving average applied to the angle before the swing gates (noise; module notes)."""
GATE_RELEASE_VELOCITY = 50 * DEG
"""rad/s: the swing gates' release, on the smoothed angle: 5 sd above the velocity noise that 1 deg of
goniometer noise at 100 Hz leaves after the 0.1 s moving average (9.4 deg/s sd), reached within
about 0.03 s of letting go (a shank starts at about 2000 deg/s^2: m g l_c / I, ANCHORS 3.3)."""
LONGEST_PERIOD_S = 2.0
"""s: the longest swing period the sampling gate believes (module notes: a shank's is 1.0-1.35 s)."""

GATES = {
    "samples_per_swing": Gate(
        "samples_per_swing",
        "samples per swing period (twice the first half swing, at most 2 s)",
        ">=", 20, "samples",
        "central differences read the peak velocity 1.6 % low at 20 samples per period; a shank's "
        "period is under 1.4 s (Winter 2009 Table 4.1; module notes)",
        "record at 20 samples per swing or more (100 Hz is usual)"),
    "first_swing_reverses": Gate(
        "first_swing_reverses",
        "swing reversals (flexion peaks of prominence >= 1 deg) after the release",
        ">=", 1, "",
        "R1 is measured at the first reversal (Bajd & Bowman 1982)",
        "is this a released pendulum swing?"),
    "damped_decay": Gate(
        "damped_decay",
        "the largest later swing excursion over the first swing's",
        "<=", 0.95, "",
        "0.95 per half swing is a damping ratio of 0.016; passive knees measure about 0.08 "
        "(De Groote et al. 2018 tutorial fit; module notes)",
        "an undamped or growing swing is no pendulum test"),
    "plateau_settled": Gate(
        "plateau_settled",
        "the angle's range over the final 0.5 s (0.1 s moving average)",
        "<=", 5.0, "% of the plateau amplitude",
        "the plateau is the median of that window: 320 simulated healthy adults within 5 % after 10 s "
        "have R1 within 0.048 of its value after 40 s (module notes)",
        "record until the leg has stopped swinging (at least 0.5 s at rest)"),
    "velocity_noise": Gate(
        "velocity_noise",
        "noise of the angular velocity at rest (robust sd over the final 0.5 s)",
        "<=", 4.0, "deg/s",
        "a fifth of the 20 deg/s release threshold (ANCHORS 4.3), so that a held leg is not taken "
        "for released; the raw peaks and velocities need a clean angle (module notes)",
        "filter the angle (as inverse kinematics does), or fit the recording (fit pendulum)"),
}
"""The quality gates of :func:`measure` (module notes)."""


def find_peaks(x, prominence: float) -> tuple[np.ndarray, dict]:
    """Indices of the local maxima of ``x`` whose topographic prominence is at least ``prominence``.

    The definition of ``scipy.signal.find_peaks(x, prominence=p)``, written here so that measuring
    a pendulum does not import scipy.signal (most of a second, paid by every command-line call):
    a peak is a sample higher than its left neighbour and not lower than the samples up to the next
    lower one (a flat top is one peak, at its middle sample, rounded down); its prominence is its
    height above the higher of the two lowest points between it and the nearest strictly higher
    sample on each side (or the end of the signal). tests/measures/test_pendulum.py checks it
    against scipy on random and real traces.

    Examples
    --------
    >>> find_peaks(np.array([0.0, 2.0, 1.0, 3.0, 3.0, 0.0, 0.5, 0.0]), 1.0)[0]
    array([1, 3])
    """
    x = np.asarray(x, dtype=float)
    peaks = []
    i, n = 1, x.size
    while i < n - 1:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < n - 1 and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                peaks.append((i + ahead - 1) // 2)
                i = ahead
        i += 1
    kept = []
    for peak in peaks:
        height = x[peak]
        left = peak
        while left > 0 and x[left - 1] <= height:
            left -= 1
        right = peak
        while right < n - 1 and x[right + 1] <= height:
            right += 1
        base = max(x[left:peak + 1].min(), x[peak:right + 1].min())
        if height - base >= prominence:
            kept.append(peak)
    return np.asarray(kept, dtype=np.intp), {}


CONTRACT_KEYS = ("r1", "r2n", "first_swing_excursion_deg", "plateau_deg", "n_oscillations",
                 "peak_velocity_deg_s", "time_to_peak_velocity_s", "period_s")
"""The metrics of the ``simulate pendulum --json`` and ``assess pendulum --json`` contracts (README;
keys may be added, never renamed), in the order the command line prints them."""


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
    warnings: tuple[str, ...] = ()  # failed quality gates, measured anyway (lenient=True); empty when all pass

    def contract(self) -> dict:
        """The JSON contract's view: ``{"metrics": {CONTRACT_KEYS}, "warnings": [...]}``."""
        values = self.as_dict()
        return {"metrics": {key: values[key] for key in CONTRACT_KEYS}, "warnings": list(self.warnings)}


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


def _rest_window(t: np.ndarray) -> np.ndarray:
    """Indices of the plateau window: the final :data:`REST_WINDOW` s, at least :data:`MIN_REST_SAMPLES`."""
    inside = np.flatnonzero(t >= t[-1] - REST_WINDOW)
    if inside.size < MIN_REST_SAMPLES:
        inside = np.arange(max(0, t.size - MIN_REST_SAMPLES), t.size)
    return inside


def _moving_average(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` averaged over the samples within +-``GATE_SMOOTHING_S / 2`` of each sample's time.

    By time, not by sample count, so that a gap in the recording (the TD5 excerpt jumps from the
    swing to the final rest) is never bridged; the windows are cut at the recording's ends.
    """
    sums = np.concatenate([[0.0], np.cumsum(y)])
    low = np.searchsorted(t, t - GATE_SMOOTHING_S / 2, side="left")
    high = np.searchsorted(t, t + GATE_SMOOTHING_S / 2, side="right")
    return (sums[high] - sums[low]) / (high - low)


def _alternating(indices: np.ndarray, kinds: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Reversal values in time order with runs of one kind merged into their most extreme one."""
    order = np.argsort(indices, kind="stable")
    out: list[tuple[int, float]] = []
    for kind, value in zip(kinds[order], values[order]):
        if out and out[-1][0] == kind:
            if kind * value > kind * out[-1][1]:
                out[-1] = (kind, value)
        else:
            out.append((kind, float(value)))
    return np.array([v for _, v in out])


@dataclasses.dataclass(frozen=True)
class _Swing:
    """What every pendulum number starts from: the samples, the rest and the release (SI units)."""

    where: str
    t: np.ndarray
    angle: np.ndarray
    velocity: np.ndarray
    rest: float
    direction: float
    release: int  # first sample past the release velocity
    release_time: float
    start: float  # release angle
    amplitude: float  # |rest - start|


def _swing(trial: Trial, channel: str) -> _Swing:
    """Find the rest and the release; a recording with nothing to measure raises RecordingError."""
    where = f"`{trial.source}`, channel `{channel}`"
    angle, velocity = _angle_and_velocity(trial, channel)
    t = trial.time
    if trial.duration < 2.0:
        raise RecordingError(describe(where, "a pendulum swing of at least 2 s", f"{trial.duration:.2f} s"))
    rest = float(np.median(angle[_rest_window(t)]))
    direction = float(np.sign(rest - angle[0]) or 1.0)
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
    return _Swing(where, t, angle, velocity, rest, direction, release, release_time, start, amplitude)


def gate_results(trial: Trial, *, channel: str = "angle") -> list[GateResult]:
    """Every gate of :data:`GATES` evaluated on a pendulum recording (module notes), in that order.

    The swing gates read the angle smoothed by a centred :data:`GATE_SMOOTHING_S` moving average (by
    time) and date the release where its velocity first exceeds :data:`GATE_RELEASE_VELOCITY`, so that
    goniometer noise (1 deg in the fit's synthetic recordings) neither fakes nor hides a swing;
    ``velocity_noise`` reads the velocity the measures use. Used by :func:`measure` and by the
    pendulum fit (:func:`myoreflex.fit.align_pendulum`).
    """
    s = _swing(trial, channel)
    t = s.t
    step = float(np.median(np.diff(t)))
    window = _rest_window(t)
    smooth = _moving_average(t, s.angle)
    settled_pct = 100.0 * float(np.ptp(smooth[window])) / s.amplitude
    # The release on the smoothed angle: its velocity past GATE_RELEASE_VELOCITY (the raw release
    # when the swing never gets that fast).
    fast = np.flatnonzero(s.direction * np.gradient(smooth, t) > GATE_RELEASE_VELOCITY)
    release = int(fast[0]) if fast.size else s.release
    held = (t >= t[release] - 0.2) & (t <= t[release])
    start = float(np.min(s.direction * smooth[held]))  # the held angle, in the swing's direction
    swing = s.direction * smooth[release:]
    highs, _ = find_peaks(swing, prominence=PEAK_PROMINENCE)
    lows, _ = find_peaks(-swing, prominence=PEAK_PROMINENCE)
    per_swing = period = decay = None
    if highs.size:
        # The first half swing, release to first reversal, times two: the period the sampling must resolve.
        period = min(2.0 * float(t[release + highs[0]] - t[release]), LONGEST_PERIOD_S)
        per_swing = period / step
        lows = lows[lows > highs[0]]
        reversals = _alternating(np.concatenate([highs, lows]),
                                 np.concatenate([np.ones(highs.size), -np.ones(lows.size)]),
                                 np.concatenate([swing[highs], swing[lows]]))
        first = abs(reversals[0] - start)
        later = np.abs(np.diff(reversals))
        decay = float(later.max() / first) if later.size and first > 0 else 0.0
    # Robust sd of the velocity noise at rest from successive differences (white or central-difference
    # noise alike: var(dv) = 2 var(v)), blind to the slow motion a settled leg may keep.
    velocity_noise = float(1.4826 * np.median(np.abs(np.diff(s.velocity[window]))) / np.sqrt(2.0))
    return [
        GATES["samples_per_swing"].result(
            per_swing, None if period is None else f"{per_swing:.1f} samples ({period:.2f} s at {1 / step:.3g} Hz)"),
        GATES["first_swing_reverses"].result(int(highs.size)),
        GATES["damped_decay"].result(decay, None if decay is None else f"{decay:.3f}"),
        GATES["plateau_settled"].result(settled_pct),
        GATES["velocity_noise"].result(velocity_noise / DEG),
    ]


def check(trial: Trial, *, channel: str = "angle", gates: Sequence[str] | None = None,
          lenient: bool = False) -> tuple[str, ...]:
    """Evaluate the pendulum gates (all of :data:`GATES`, or those named) on a recording.

    Raises :class:`~myoreflex.errors.QualityGateError` for a failed gate, or (``lenient``) returns
    the failed gates' messages; an empty tuple when all pass. A recording with nothing to measure
    (no release, under 2 s, a plateau under 5 deg from the release angle) raises
    :class:`~myoreflex.errors.RecordingError` either way.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0, 10, 1.0)                     # one sample a second
    >>> q = np.radians(70) * (1 - np.exp(-0.6 * t) * np.cos(2 * np.pi * t / 1.1))
    >>> from myoreflex.measures.gates import gate_names
    >>> gate_names(check(Trial(t, {"angle": Channel(q, "rad")}), lenient=True))
    ['samples_per_swing']
    """
    results = gate_results(trial, channel=channel)
    if gates is not None:
        unknown = sorted(set(gates) - set(GATES))
        if unknown:
            raise ParameterError(describe("gates", f"names among {', '.join(GATES)}", unknown))
        results = [r for r in results if r.gate.name in gates]
    return evaluate(f"`{trial.source}`, channel `{channel}`", results, lenient=lenient)


def measure(trial: Trial, *, channel: str = "angle", lenient: bool = False) -> PendulumMeasures:
    """Compute :class:`PendulumMeasures` from the Trial's knee angle channel (rad).

    Parameters
    ----------
    trial : Trial
        A pendulum test: the knee angle (rad, any consistent sign) from before the release until
        the leg has come to rest.
    channel : str
        The angle channel.
    lenient : bool
        False (default): a failed quality gate (:data:`GATES`, module notes) raises
        :class:`~myoreflex.errors.QualityGateError`. True: the numbers are returned with the failed
        gates named in ``warnings``.

    Returns
    -------
    PendulumMeasures
        Degrees and seconds; ``warnings`` empty when every gate passed.

    Raises
    ------
    QualityGateError
        A gate failed (the message names the file, the gate, the number and the limit), unless
        ``lenient``.
    RecordingError
        Nothing to measure: not 1-D or not finite, under 2 s, no release, a plateau under 5 deg
        from the release angle.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0, 10, 1001)   # released at 0 deg, swinging about 70 deg at 1 Hz
    >>> q = np.radians(70) * (1 - np.exp(-0.6 * t) * np.cos(2 * np.pi * t))
    >>> result = measure(Trial(t, {"angle": Channel(q, "rad")}))
    >>> round(result.r1, 2), result.n_oscillations, round(result.period_s, 2), result.warnings
    (1.74, 8, 1.0, ())
    >>> cut = Trial(t[t <= 3], {"angle": Channel(q[t <= 3], "rad")}, {"source": "cut.csv"})
    >>> measure(cut, lenient=True).warnings[0][:60]
    '`cut.csv`, channel `angle`, quality gate `plateau_settled`: '
    """
    warnings = check(trial, channel=channel, lenient=lenient)
    s = _swing(trial, channel)
    t, angle, direction, start = s.t, s.angle, s.direction, s.start
    after = slice(s.release, None)
    peaks, _ = find_peaks(direction * angle[after], prominence=PEAK_PROMINENCE)
    peaks = peaks + s.release
    # Without a reversal (gate first_swing_reverses; measured only when lenient) the first "peak" is
    # the furthest the leg went after the release.
    first = int(peaks[0]) if peaks.size else s.release + int(np.argmax(direction * angle[after]))
    first_time, first_value = _parabolic_peak(t, direction * angle, first)
    first_angle = direction * first_value
    excursion = abs(first_angle - start)
    r1 = excursion / s.amplitude
    peak = int(np.argmax(np.abs(s.velocity[after]))) + s.release
    peak_velocity_time, peak_velocity = _parabolic_peak(t, np.abs(s.velocity), peak)
    period = _parabolic_peak(t, direction * angle, int(peaks[1]))[0] - first_time if peaks.size > 1 else None
    return PendulumMeasures(
        r1=float(r1),
        r2n=float(r1 / BAJD_BOWMAN_NORMAL_R1),
        first_swing_excursion_deg=float(excursion / DEG),
        plateau_deg=s.rest / DEG,
        plateau_amplitude_deg=float(s.amplitude / DEG),
        start_angle_deg=start / DEG,
        first_peak_angle_deg=float(first_angle / DEG),
        time_to_first_peak_s=first_time - s.release_time,
        n_oscillations=int(peaks.size),
        peak_velocity_deg_s=float(peak_velocity / DEG),
        time_to_peak_velocity_s=peak_velocity_time - s.release_time,
        period_s=period,
        release_time_s=s.release_time,
        warnings=warnings,
    )


def direction_of_rest(t, angle, smooth) -> float:
    """+1 when the resting angle (median of the last 0.5 s) lies above the smoothed start, else -1."""
    tail = t >= t[-1] - 0.5
    return float(np.sign(np.median(angle[tail]) - smooth[0]) or 1.0)


def swing_direction(trial: Trial, *, channel: str = "angle") -> float:
    """The sign of the swing of a pendulum recording: +1 when the leg falls towards larger angles.

    A pendulum test releases the shank from full extension and it falls into flexion (Wartenberg
    1951 Neurology 1:18; Bajd & Bowman 1982 J Biomed Eng 4:90), so the resting angle (median of the
    last 0.5 s, as :mod:`myoreflex.measures.pendulum`) lies on the flexion side of the release
    angle (the start of the recording, smoothed over :data:`SWING_SMOOTHING_S`). In myoreflex's
    convention (knee flexion positive) the swing is +1; a recording that gives -1 has flexion
    negative (OpenSim's ``knee_angle_r``, the De Groote tutorial) and is read with
    ``angle_sign=-1``. This is how ``myoreflex fit pendulum`` finds the sign when ``--angle-sign``
    is left out.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.linspace(0.0, 6.0, 601)
    >>> knee = np.radians(70.0) * (1.0 - np.exp(-t / 1.5) * np.cos(2 * np.pi * t))  # flexion positive
    >>> swing_direction(Trial(t, {"angle": Channel(knee, "rad")}))
    1.0
    >>> swing_direction(Trial(t, {"angle": Channel(-knee, "rad")}))  # OpenSim's sign
    -1.0
    """
    from scipy.signal import savgol_filter

    angle = np.asarray(trial[channel], dtype=float)
    t = trial.time
    step = float(np.median(np.diff(t)))
    width = max(5, round(SWING_SMOOTHING_S / step) | 1)
    width = min(width, angle.size if angle.size % 2 else angle.size - 1)
    return direction_of_rest(t, angle, savgol_filter(angle, width, 2, mode="interp"))
