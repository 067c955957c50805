"""Regenerate the tables and the figure of docs/simulated_emg.md: ``python docs/simulated_emg.py``.

The stroke preset (severity 0.7) and the same preset with the healthy resting tone, elbow, motorized
stretches at 100, 200 and 300 deg/s, seeds 0-5; the motor-unit EMG of :mod:`myoreflex.motor_unit_emg`
measured by every onset method of :mod:`myoreflex.measures.emg` (band-passed, as the pipeline runs
them) against the excitation's own onset (bare Hodges & Bui, 0.01 above rest).
"""

from __future__ import annotations

import time as clock
from pathlib import Path

import numpy as np

import myoreflex
from myoreflex import DEG
from myoreflex.measures.emg import (
    ONSET_METHODS,
    emg_clean,
    emg_envelope,
    emg_onsets,
    measure,
    stretch_windows,
)
from myoreflex.motor_unit_emg import plot_motor_unit_emg, with_motor_units

FIGURE = Path(__file__).resolve().parent / "figures" / "simulated_emg" / "stretch_stroke.png"
RECORD = ("angle", "angular_velocity", "torque", "emg", "force", "activation")
MUSCLE = "elbow_flexors"


def presets() -> dict:
    stroke = myoreflex.apply_condition(myoreflex.default_params("elbow"), "stroke", 0.7)
    return {"stroke 0.7": stroke,
            "stroke 0.7, tone 0.005": myoreflex.with_overrides(stroke, {"motoneuron.tone": 0.005})}


def stretch(params, velocity_deg_s: float):
    return myoreflex.simulate(params, myoreflex.MotorizedStretch(velocity=velocity_deg_s * DEG), record=RECORD)


def amplitudes(out) -> dict:
    """Rest (median) and peak of the 50 ms RMS envelope of the band-passed EMG, in uV."""
    rate, t = out.rate_hz, out.time
    envelope = emg_envelope(emg_clean(out[f"emg_surface_{MUSCLE}"], rate), rate, method="rms", window_s=0.05)
    return {"rest_uV": float(np.median(envelope[(t > 0.1) & (t < 0.45)])) * 1e6, "peak_uV": float(envelope.max()) * 1e6}


def onset_errors(loop, seeds) -> dict[str, list]:
    """Per method, onset on the surface EMG minus the excitation's onset (ms), one per seed (None: none found)."""
    errors: dict[str, list] = {method: [] for method in ONSET_METHODS}
    for seed in seeds:
        out = with_motor_units(loop, seed=seed, muscles=[MUSCLE])
        base, search = stretch_windows(out)
        reference = measure(out, method="hodges_bui").onset_s[MUSCLE]
        for method in ONSET_METHODS:
            onset = emg_onsets(out, muscles=[f"surface_{MUSCLE}"], method=method, baseline=base,
                               search=search)[f"surface_{MUSCLE}"].time
            errors[method].append(None if onset is None else round((onset - reference) * 1e3))
    return errors


def _cell(values: list) -> str:
    found = [v for v in values if v is not None]
    if not found:
        return f"- (0/{len(values)})"
    return f"{int(np.median(found)):+d} [{min(found):+d}, {max(found):+d}] ({len(found)}/{len(values)})"


def main() -> None:
    seeds = range(6)
    loops = {(name, v): stretch(params, v) for name, params in presets().items() for v in (100, 200, 300)}
    print("| preset | deg/s | excitation onset (s) | rise 0.001 -> 0.03 (ms) | "
          + " | ".join(f"`{m}`" for m in ONSET_METHODS) + " |")
    print("| --- " * (4 + len(ONSET_METHODS)) + "|")
    for (name, velocity), loop in loops.items():
        excitation = loop[f"emg_{MUSCLE}"]
        cross = [float(loop.time[np.argmax(excitation > excitation[0] + d)]) for d in (0.001, 0.03)]
        reference = measure(loop, method="hodges_bui").onset_s[MUSCLE]
        errors = onset_errors(loop, seeds)
        span = f"{(cross[0] - reference) * 1e3:+.0f} to {(cross[1] - reference) * 1e3:+.0f}"
        print(f"| {name} | {velocity} | {reference:.3f} | {span} | "
              + " | ".join(_cell(errors[m]) for m in ONSET_METHODS) + " |")
    print()
    print("| preset | deg/s | rest RMS (uV) | peak RMS (uV) | units | pool force peak | activation peak "
          "| lag (ms) | r | with_motor_units (s) |")
    print("| --- " * 10 + "|")
    for (name, velocity), loop in loops.items():
        start = clock.perf_counter()
        out = with_motor_units(loop, seed=0)
        took = clock.perf_counter() - start
        a, s = amplitudes(out), out.metadata["motor_unit_emg"]["muscles"][MUSCLE]
        print(f"| {name} | {velocity} | {a['rest_uV']:.0f} | {a['peak_uV']:.0f} | {s['n_recruited']} "
              f"| {s['pool_force_peak']:.3f} | {s['lumped_peak']:.3f} | {s['force_lag_s'] * 1e3:.0f} "
              f"| {s['force_correlation']:.3f} | {took:.2f} |")
    out = with_motor_units(loops[("stroke 0.7", 200)], seed=0)
    onsets = {"excitation": measure(out, method="hodges_bui").onset_s[MUSCLE],
              "surface EMG": measure(out).onset_s[f"surface_{MUSCLE}"]}
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    plot_motor_unit_emg(out, MUSCLE, onsets=onsets).savefig(FIGURE, dpi=100)
    print(f"\nfigure: {FIGURE}")


if __name__ == "__main__":
    main()
