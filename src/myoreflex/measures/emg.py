"""EMG measures: onset detection.

``onset_threshold`` implements the Hodges & Bui 1996 rule (Electroencephalogr Clin Neurophysiol
101:511): onset is the first time the (enveloped) signal stays above the baseline mean plus ``k``
baseline standard deviations for at least ``min_duration``. An absolute ``floor`` on the rise
keeps a noise-free (simulated) baseline from turning any numerical ripple into an onset.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import RecordingError, describe


@dataclasses.dataclass(frozen=True)
class Onset:
    """An EMG onset: its time (s) and sample index, or None; with the rule that found it."""

    time: float | None
    index: int | None
    threshold: float
    method: str
    parameters: dict


def onset_threshold(time, signal, *, baseline: tuple[float, float], k: float = 3.0,
                    min_duration: float = 0.02, floor: float = 0.0, search_from: float | None = None) -> Onset:
    """First time the signal stays above ``mean + max(k SD, floor)`` of the baseline window."""
    time = np.asarray(time, dtype=float)
    signal = np.asarray(signal, dtype=float)
    in_baseline = (time >= baseline[0]) & (time <= baseline[1])
    if np.count_nonzero(in_baseline) < 2:
        raise RecordingError(describe("EMG baseline window", "at least 2 samples", f"{baseline} s"))
    mean = float(np.mean(signal[in_baseline]))
    rise = max(k * float(np.std(signal[in_baseline])), floor)
    threshold = mean + rise
    start = baseline[1] if search_from is None else search_from
    above = (signal > threshold) & (time >= start)
    params = {"baseline_s": list(baseline), "k": k, "min_duration_s": min_duration, "floor": floor}
    dt = float(np.median(np.diff(time)))
    need = max(1, int(round(min_duration / dt)))
    run = 0
    for i, flag in enumerate(above):
        run = run + 1 if flag else 0
        if run >= need:
            first = i - need + 1
            return Onset(float(time[first]), first, threshold, "hodges_bui", params)
    return Onset(None, None, threshold, "hodges_bui", params)
