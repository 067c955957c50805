"""The five kinds of spasm: one figure per kind and the confusion table of the rules on 200 recordings.

Run ``python docs/spasms.py`` to redraw ``docs/figures/spasms/*.png`` and print the confusion table
that ``docs/spasms.md`` shows. The 200 recordings are those of ``tests/test_spasms.py``
(:func:`validation_set`: 40 per kind, 4-10 s, white noise 2-8 uV, other seeds than those the
thresholds were set on).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from myoreflex.measures import spasm_emg
from myoreflex.spasms import KINDS, simulate_spasm

FIGURES = Path(__file__).resolve().parent / "figures" / "spasms"
FIVE = [kind for kind in KINDS if kind != "none"]
WINDOW_S = {"calf_cramp": (0.0, 6.0), "tension_pain": (0.0, 6.0), "neck_back_spasm": (0.0, 6.0),
            "hemifacial_spasm": (0.0, 6.0), "fasciculation": (0.0, 6.0)}


def validation_set(per_kind=40, first_seed=5000):
    """The recipe of tests/test_spasms.py: (kind, seed, duration_s, noise_uv, lsr_test)."""
    rng = np.random.default_rng(first_seed)
    cases = []
    for kind in FIVE:
        for i in range(per_kind):
            lsr = (i % 2 == 0) if kind == "hemifacial_spasm" else None
            cases.append((kind, first_seed + len(cases), float(rng.uniform(4.0, 10.0)), float(rng.uniform(2.0, 8.0)), lsr))
    return cases


def confusion_table(cases=None) -> tuple[dict, dict]:
    """``({simulated: {found: count}}, {rule: count})`` over the validation recordings."""
    table = {kind: {other: 0 for other in spasm_emg.KINDS} for kind in FIVE}
    rules: dict[str, int] = {}
    for kind, seed, duration, noise, lsr in cases or validation_set():
        found = spasm_emg.measure(simulate_spasm(kind, seed=seed, duration_s=duration, noise_uv=noise, lsr_test=lsr))
        table[kind][found.kind] += 1
        name = found.rule.split(":")[0]
        rules[name] = rules.get(name, 0) + 1
    return table, rules


def markdown(table: dict) -> str:
    kinds = list(spasm_emg.KINDS)
    lines = ["| simulated \\ found | " + " | ".join(kinds) + " | correct |",
             "| --- | " + " | ".join("---:" for _ in kinds) + " | ---: |"]
    for kind in FIVE:
        row = table[kind]
        lines.append(f"| {kind} | " + " | ".join(str(row[k]) for k in kinds)
                     + f" | {row[kind] / sum(row.values()):.0%} |")
    total = sum(table[k][k] for k in FIVE)
    count = sum(sum(row.values()) for row in table.values())
    lines.append(f"\nOverall: {total} / {count} ({total / count:.1%}).")
    return "\n".join(lines)


def figure(kind: str, seed: int = 1):
    """The example recording of ``kind`` (8 s, 3 uV noise): each channel, the event channel, and the
    verdict with its rule; a Figure (no pyplot state)."""
    from matplotlib.figure import Figure

    trial = simulate_spasm(kind, seed=seed, duration_s=8.0, noise_uv=3.0)
    result = spasm_emg.measure(trial)
    emg = [name for name in trial.channels if name.startswith("emg_")]
    events = [name for name in trial.channels if name in spasm_emg.EVENT_CHANNELS]
    zoom = kind in ("hemifacial_spasm",) and "stimulus" in trial
    rows = len(emg) + bool(events) + zoom
    fig = Figure(figsize=(9.0, 1.8 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
    t = trial.time
    for ax, name in zip(axes, emg):
        ax.plot(t, trial[name] * 1e6, linewidth=0.4, color="C0")
        ax.set_ylabel(f"{name.removeprefix('emg_')}\n(uV)", fontsize=8)
    if events:
        ax = axes[len(emg)]
        for name in events:
            ax.plot(t, trial[name], color="C3", linewidth=1.0, label=name)
        ax.set_ylabel("event (1)", fontsize=8)
        ax.legend(loc="upper right", fontsize=8)
        ax.set_ylim(-0.1, 1.3)
    for ax in axes[: len(emg) + bool(events)]:
        ax.set_xlim(0.0, t[-1])
    axes[len(emg) + bool(events) - 1].set_xlabel("time (s)")
    if zoom:  # the responses to each stimulus, overlaid: direct in oculi, lateral spread in oris
        ax = axes[-1]
        onsets = np.flatnonzero(np.diff(trial["stimulus"]) > 0) + 1
        lag = np.arange(-int(0.005 * trial.rate_hz), int(0.030 * trial.rate_hz))
        for colour, name in zip(("C0", "C1"), emg):
            for i, onset in enumerate(onsets):
                sweep = trial[name][onset + lag] * 1e6
                ax.plot(lag / trial.rate_hz * 1e3, sweep, color=colour, linewidth=0.5, alpha=0.6,
                        label=name.removeprefix("emg_") if i == 0 else None)
        latency = result.features["stimulus"]["response_latency_ms"]
        for colour, name in zip(("C0", "C1"), emg):
            value = latency.get(name.removeprefix("emg_"))
            if value is not None:
                ax.axvline(value, color=colour, linestyle="--", linewidth=1.0)
        ax.set_xlabel("time from stimulus (ms)")
        ax.set_ylabel("sweeps (uV)", fontsize=8)
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title(f"responses: oculi {latency['orbicularis_oculi']} ms (direct), oris "
                     f"{latency['orbicularis_oris']} ms (lateral spread)", fontsize=9)
    fig.suptitle(f"simulated {kind} -> assessed as {result.kind}\nrule {result.rule.split(':')[0]}", fontsize=10)
    return fig


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    for kind in FIVE:
        figure(kind).savefig(FIGURES / f"{kind}.png", dpi=90)
    table, rules = confusion_table()
    print(markdown(table))
    print("\nRules that decided:", rules)


if __name__ == "__main__":
    main()
