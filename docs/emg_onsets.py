"""EMG onset methods re-checked on synthesised surface EMG: onset error against the known truth.

The surface EMG of a Fuglevand motor-unit pool (:mod:`myoreflex.physiology.motor_units`,
:mod:`myoreflex.physiology.surface_emg`) is made for excitations that rise from rest at a known time,
so the true onset is known: the first discharge of any unit (its MUAP begins at the discharge).
Every onset method of :mod:`myoreflex.measures.emg` dates the onset of the band-passed signal, and
the error (detected minus true onset, ms; negative = early) is tabulated per case and method.

Run ``python docs/emg_onsets.py`` to rewrite ``docs/emg_onsets.md``; :func:`onset_errors` is the
core that ``tests/physiology/test_surface_emg.py`` runs on a few cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from myoreflex.measures.emg import DEFAULT_ONSET_METHOD, ONSET_METHODS, emg_clean, emg_onset
from myoreflex.physiology.motor_units import MotorUnitPoolParams, firing_rates, max_excitation, spike_trains
from myoreflex.physiology.surface_emg import SurfaceEmgParams, surface_emg, unit_depths

RATE_HZ = 2000.0
"""Sampling rate of the synthesised EMG (Hz): above twice the 450 Hz band-pass corner."""
DURATION_S = 3.0
ONSET_S = 1.5
"""Time at which the excitation starts to rise (s)."""
BASELINE_S = (0.2, 1.3)
"""Rest window (s): after the band-pass filter's start-up, 0.2 s before the rise."""


class Case(NamedTuple):
    """A synthesised contraction: excitation rises linearly over ``rise_s`` to ``level`` x E_max."""

    name: str
    level: float
    rise_s: float
    noise_rms_v: float


CASES = (
    Case("burst to 20 % (rise 20 ms), noise 3 uV", 0.20, 0.02, 3e-6),
    Case("burst to 50 % (rise 20 ms), noise 3 uV", 0.50, 0.02, 3e-6),
    Case("burst to 10 % (rise 20 ms), noise 10 uV", 0.10, 0.02, 10e-6),
    Case("ramp to 30 % over 0.3 s, noise 3 uV", 0.30, 0.3, 3e-6),
    Case("ramp to 30 % over 1 s, noise 3 uV", 0.30, 1.0, 3e-6),
)
"""The cases of the table: fast bursts (reflex-like), a weak burst in more noise, and ramps (slow
voluntary contractions), whose first discharges are single small MUAPs."""


def synthesise(case: Case, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Time (s), surface EMG (V) and true onset (s: the first discharge) of one case."""
    pool = MotorUnitPoolParams()
    emg = SurfaceEmgParams(noise_rms=case.noise_rms_v)
    rng = np.random.default_rng(seed)
    time = np.arange(0.0, DURATION_S, 1.0 / RATE_HZ)
    excitation = case.level * max_excitation(pool) * np.clip((time - ONSET_S) / case.rise_s, 0.0, 1.0)
    trains = spike_trains(firing_rates(excitation, pool), 1.0 / RATE_HZ, rng, pool)
    truth = min(train[0] for train in trains if train.size)
    signal = surface_emg(trains, time, unit_depths(pool, emg, rng), pool, emg, rng)
    return time, signal, float(truth)


def onset_errors(cases=CASES, seeds=range(5), methods=None, *, band_pass: bool = True) -> list[dict]:
    """Onset error (ms, detected minus true; None where nothing was detected) of every method on
    every case and seed: one dict per (case, seed, method). ``band_pass``: the signal goes through
    :func:`~myoreflex.measures.emg.emg_clean` first (20-450 Hz zero-phase, the pipeline's default);
    False gives the methods the raw synthesised signal."""
    rows = []
    for case in cases:
        for seed in seeds:
            time, signal, truth = synthesise(case, seed)
            cleaned = emg_clean(signal, RATE_HZ) if band_pass else signal
            for method in methods or list(ONSET_METHODS):
                onset = emg_onset(time, cleaned, method=method, baseline=BASELINE_S, search=(BASELINE_S[1], time[-1]))
                error = None if onset.time is None else (onset.time - truth) * 1e3
                rows.append({"case": case.name, "seed": seed, "method": method, "truth_s": truth,
                             "onset_s": onset.time, "error_ms": error})
    return rows


def summary_table(rows: list[dict]) -> str:
    """Markdown table: median error and range (ms) and detections per case and method."""
    methods = list(dict.fromkeys(row["method"] for row in rows))
    lines = ["| case | " + " | ".join(f"`{m}`" for m in methods) + " |",
             "| --- |" + " --- |" * len(methods)]
    for case in dict.fromkeys(row["case"] for row in rows):
        cells = []
        for method in methods:
            errors = [r["error_ms"] for r in rows if r["case"] == case and r["method"] == method]
            found = [e for e in errors if e is not None]
            if not found:
                cells.append(f"none (0/{len(errors)})")
                continue
            cells.append(f"{np.median(found):+.0f} [{min(found):+.0f}, {max(found):+.0f}] ({len(found)}/{len(errors)})")
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    overall = []
    for method in methods:
        found = [abs(r["error_ms"]) for r in rows if r["method"] == method and r["error_ms"] is not None]
        overall.append(f"{np.median(found):.0f}" if found else "-")
    lines.append("| median absolute error, all cases (ms) | " + " | ".join(overall) + " |")
    return "\n".join(lines)


PAGE = """# EMG onset methods on synthesised surface EMG

The onset methods of `myoreflex.measures.emg` were tuned on recorded EMG. Here they are re-checked on
surface EMG synthesised from a Fuglevand et al. (1993) motor-unit pool through a Hermite-Rodriguez
volume-conductor model (`myoreflex.physiology.surface_emg`, in volts, with white noise), where the
true onset is known: the first discharge of any motor unit. Each case is run with five seeds
(2 kHz, excitation rising at {onset} s, rest window {baseline} s, band-pass 20-450 Hz by `emg_clean`).

Cells: median error in ms (detected minus true onset; negative = early) [smallest, largest]
(onsets found / runs). The default method is `{default}`.

## As the pipeline runs them: band-passed by `emg_clean` (20-450 Hz, zero-phase)

{table}

## The same signals without the band-pass

{raw_table}

## Reading the tables

Every method finds every onset, and every error is early. The cause is the zero-phase filtering,
not the detection rules: given the unfiltered signal, `hodges_bui`, `teager_kaiser` and `aglr` date
the first discharge within a few ms, while after `emg_clean` they date it 30-140 ms early. A zero-phase
(forward-backward) filter spreads an abrupt burst backward in time by an amount that grows with the
burst's size relative to the baseline noise: the 20 Hz high-pass's decaying ringing, run backward,
stays above a 3 SD threshold for longer the higher the signal-to-noise ratio. The synthesised
bursts are 40-50 dB above a 3-10 uV baseline, as in good recordings; the 0-25 ms early dating that
`measures/emg.py` documents was measured on bursts 5 times (14 dB) above the baseline. `hysteresis`
(the default) dates onsets back along its own zero-phase 10 Hz envelope, so it is 30-55 ms early with
or without the band-pass, and about 160 ms early on the strongest burst (50 %), whose envelope stays
above the baseline's mean + 3 SD for that long before the burst. A causal
(forward-only) filter, or detection on the rectified raw signal with the band-pass applied only to
the amplitude, would remove most of this bias; that change belongs to `measures/emg.py`.

Slow ramps: the first discharges are single MUAPs, each hundreds of uV at the skin for a superficial
unit, so with a few uV of noise they are detected at once; a deeper first unit, or more noise,
delays detection until more units fire.

Regenerate with `python docs/emg_onsets.py`; `tests/physiology/test_surface_emg.py` runs the core on
the burst cases and bounds the default method's error.

```python
from docs.emg_onsets import CASES, onset_errors

rows = onset_errors(CASES[:1], seeds=[0], methods=["{default}"])
print(rows[0]["method"], rows[0]["error_ms"] is not None)
```

```text
{default} True
```
"""


def main() -> None:
    table = summary_table(onset_errors())
    raw_table = summary_table(onset_errors(band_pass=False))
    text = PAGE.format(onset=ONSET_S, baseline=list(BASELINE_S), default=DEFAULT_ONSET_METHOD,
                       table=table, raw_table=raw_table)
    (Path(__file__).parent / "emg_onsets.md").write_text(text)
    print(table, raw_table, sep="\n\n")


if __name__ == "__main__":
    main()
