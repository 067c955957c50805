"""Write the figure gallery: docs/gallery.md and one PNG per figure kind under docs/figures/gallery/.

    .venv/bin/python docs/gallery.py            # from the repository root

Each figure of :mod:`myoreflex.report.figures` is drawn from a simulated trial, or from a public
recording of the shared data folder (``../shared/data``, or ``$MYOREFLEX_SHARED/data``) where one
fits; a clone without that folder gets simulations throughout. Each caption is written from the
numbers the figure shows, so that a regenerated gallery describes its own figures.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import matplotlib

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures" / "gallery"
PAGE = ROOT / "docs" / "gallery.md"
DATA = Path(os.environ.get("MYOREFLEX_SHARED", ROOT.parent / "shared")) / "data"
PENDULUM_CP1_RIGHT = DATA / "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"
IPSA_CP1_ANKLE_RIGHT = DATA / "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IPSA/CP4_T0_PF_R.mat"
DPI = 100

INTRO = """# Figure gallery

Every figure of `myoreflex.report.figures`, drawn by `docs/gallery.py` (regenerate with
`.venv/bin/python docs/gallery.py`). Each marks the landmarks its measure used, so that a reader can
check the number against the trace. Real recordings come from the shared data folder when it is
present (`../shared/data`; KU Leuven CP workshop data, MIT licence); otherwise the script falls back
to simulated trials, and the captions say which was drawn.

The figures are plain `matplotlib.figure.Figure` objects: drawing one never changes the backend
(`matplotlib.get_backend()`) and registers nothing with pyplot. Each function takes `ax=` (one
panel) or `axes=` (one Axes per panel) to draw into a figure of your own:

```python
from matplotlib.figure import Figure

from myoreflex.measures.threshold import tsrt
from myoreflex.report.figures import tsrt_figure

result = tsrt(velocities_deg_s=[30, 60, 90, 120], dsrt_deg=[96, 88, 84, 76], joint_range_deg=(70, 160))
mine = Figure(figsize=(10, 4))
left, right = mine.subplots(1, 2)
assert tsrt_figure(result, ax=right) is mine      # drawn into the right-hand panel
print(f"TSRT {result.tsrt_deg:.1f} deg, mu {result.mu_s:.3f} s")
```

```text
TSRT 102.0 deg, mu 0.213 s
```
"""


def _save(figure, name: str) -> str:
    """Write the figure at :data:`DPI`, then reduce it to a 128-colour palette (a third of the bytes;
    line art loses nothing visible). Pillow comes with matplotlib."""
    from PIL import Image

    from myoreflex.report.figures import save_figure

    path = save_figure(figure, OUT / name, dpi=DPI)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    temporary = path.with_suffix(".tmp.png")
    small.save(temporary, format="PNG", optimize=True)
    temporary.replace(path)
    return f"figures/gallery/{name}"


def _simulated_pendulum(condition: str, severity: float):
    from myoreflex import PendulumTest, apply_condition, default_params, simulate

    return simulate(apply_condition(default_params("knee"), condition, severity), PendulumTest())


def _simulated_stretches(condition: str, severity: float, velocities_deg_s):
    from myoreflex import DEG, MotorizedStretch, apply_condition, default_params, simulate

    elbow = apply_condition(default_params("elbow"), condition, severity)
    return [simulate(elbow, MotorizedStretch(velocity=v * DEG)) for v in velocities_deg_s]


def pendulum_single() -> tuple[str, str]:
    from myoreflex.io import read_opensim
    from myoreflex.measures import pendulum
    from myoreflex.report.figures import pendulum_figure

    if PENDULUM_CP1_RIGHT.is_file():
        trial = read_opensim(PENDULUM_CP1_RIGHT, angle_channel="knee_angle_r", angle_sign=-1)
        what, label = "CP1's right knee (KU Leuven, OpenSim inverse kinematics at 100 Hz)", "CP1 right"
    else:
        trial = _simulated_pendulum("cerebral_palsy", 0.7)
        what, label = "a simulated knee with cerebral palsy (severity 0.7)", "cerebral palsy 0.7"
    m = pendulum.measure(trial)
    path = _save(pendulum_figure([trial], [label], f"Pendulum test: {label}", records=[m]), "pendulum.png")
    caption = (
        f"`pendulum_figure` on {what}. The knee angle is drawn with flexion downwards, as the leg falls. "
        f"The dotted vertical line is the release ({m.release_time_s:.2f} s, where the angular velocity "
        f"first exceeds 20 deg/s); the open circle is the start angle ({m.start_angle_deg:.1f} deg), the "
        f"triangle the first minimum of the swing ({m.first_peak_angle_deg:.1f} deg, "
        f"{m.time_to_first_peak_s:.2f} s after the release) and the dashed line the plateau, the resting "
        f"angle ({m.plateau_deg:.1f} deg, median of the last 0.5 s). The two arrows are the R1 construction "
        f"of Bajd & Bowman: the first-swing excursion F1 = {m.first_swing_excursion_deg:.1f} deg over the "
        f"plateau amplitude A0 = {m.plateau_amplitude_deg:.1f} deg gives R1 = {m.r1:.2f} and "
        f"R2n = R1 / 1.6 = {m.r2n:.2f} (about 1 is normal). No EMG channel is in this recording, so no "
        "EMG panel is drawn." if not trial.emg_names() else
        f"`pendulum_figure` on {what}: release, start angle, first minimum, plateau and the R1 "
        f"construction (F1 {m.first_swing_excursion_deg:.1f} deg over A0 {m.plateau_amplitude_deg:.1f} deg, "
        f"R1 {m.r1:.2f}, R2n {m.r2n:.2f}); the EMG below."
    )
    return path, caption


def pendulum_compare() -> tuple[str, str]:
    from myoreflex.measures import pendulum
    from myoreflex.report.figures import pendulum_figure

    cases = [("healthy", 0.0), ("stroke", 0.3), ("cerebral_palsy", 0.7)]
    trials = [_simulated_pendulum(c, s) for c, s in cases]
    labels = [f"{c} {s:g}" for c, s in cases]
    metrics = [pendulum.measure(t) for t in trials]
    figure = pendulum_figure([t.window(0.0, 8.0) for t in trials], labels, "Simulated pendulum tests (first 8 s)",
                             records=metrics)
    path = _save(figure, "pendulum_compare.png")
    r = ", ".join(f"{lab} R1 {m.r1:.2f} (R2n {m.r2n:.2f}, {m.n_oscillations} swings)" for lab, m in zip(labels, metrics))
    caption = (
        "`pendulum_figure` with several trials: simulated knees (adult defaults), healthy and with stroke "
        "and cerebral palsy presets, drawn over their first 8 s. Each line has its start angle (circle), "
        "first minimum (triangle) and plateau (dashed, in the line's colour); the legend gives each R1 and "
        f"R2n ({r}). The spastic legs stop short on the first swing and settle sooner. The EMG panel "
        "shows the simulated quadriceps and hamstrings excitations (unit 1, hence 'normalised "
        "excitation'): the reflex bursts of the spastic legs during the first swing."
    )
    return path, caption


def stretch_and_decomposition() -> list[tuple[str, str]]:
    from myoreflex.measures import decomposition, threshold
    from myoreflex.report.figures import stretch_figure

    velocities = [5.0, 60.0, 150.0, 236.0]
    slow, *faster = _simulated_stretches("stroke", 0.7, velocities)
    fast = faster[-1]
    with warnings.catch_warnings():  # only its time points P0-P2 are drawn here; its slow reflex does not matter
        warnings.simplefilter("ignore", decomposition.SlowReflexWarning)
        result = decomposition.measure(slow, fast, lever_arm_m=decomposition.NEUROFLEXOR_LEVER_ARM_M,
                                       lenient=True)
    onsets = [threshold.dsrt(t) for t in faster]
    labels = [f"{v:g} deg/s" for v in velocities[1:]]
    figure = stretch_figure(faster, labels, "Simulated stroke elbow (severity 0.7)", records=[result])
    described = "; ".join(
        f"{o.plateau_velocity_deg_s:.0f} deg/s " + ("no onset" if o.onset_s is None else
                                                  f"{o.angle_deg:.1f} deg at {o.onset_s:.3f} s")
        for o in onsets)
    caption = (
        "`stretch_figure` on a simulated stroke elbow (severity 0.7) stretched from 80 to 160 deg at 60, "
        "150 and 236 deg/s (motorized ramp and hold). Top left the resisting torque, top right the angle, "
        "bottom left the EMG excitations (unit 1), bottom right torque against angle. The dash-dotted "
        "vertical lines on the EMG panel are each stretch's EMG onset of the stretched flexors, named with "
        "the method that found it (Hodges & Bui 1996, `hodges_bui`); the diamonds mark the same instant on "
        "the angle and torque-angle panels, labelled with the DSRT, the joint angle at the onset "
        f"({described}): the faster the stretch, the smaller the angle at which the reflex starts. The "
        "dotted lines P0, P1 and P2 on the torque panel are the decomposition's time points on the 236 "
        "deg/s stretch (start, at speed, end of the constant velocity); the torque spikes at the start and "
        "stop of the fast stretches are the inertia of the forearm driven by the motor."
    )
    stretch = (_save(figure, "stretch.png"), caption)
    bars = decomposition_pair()
    return [stretch, bars]


def decomposition_pair() -> tuple[str, str]:
    from matplotlib.figure import Figure

    from myoreflex import DEG, MotorizedStretch, apply_condition, default_params, simulate
    from myoreflex.measures import decomposition
    from myoreflex.report.figures import DISCLAIMER, decomposition_figure

    figure = Figure(figsize=(12, 4.6))
    axes = figure.subplots(1, 2, sharey=True)
    results = []
    for ax, (condition, severity) in zip(axes, (("healthy", 0.0), ("stroke", 0.7))):
        wrist = apply_condition(default_params("wrist"), condition, severity)
        slow, fast = (simulate(wrist, MotorizedStretch(velocity=v * DEG)) for v in (5.0, 236.0))
        result = decomposition.measure(slow, fast, lever_arm_m=decomposition.NEUROFLEXOR_LEVER_ARM_M)
        decomposition_figure(result, f"Simulated {condition} wrist", ax=ax)  # into the user's axes
        results.append((condition, result))
    figure.tight_layout()
    figure.text(0.01, 0.005, DISCLAIMER, fontsize=7, color="grey")
    summary = "; ".join(
        f"{condition}: EC {r.elastic_n:.1f}, VC {r.viscous_n:.1f}, NC {r.neural_n:.1f} N, above the cut-off: "
        + (", ".join(name for name, flag in r.flags.items() if flag) or "none")
        for condition, r in results)
    caption = (
        "`decomposition_figure`, drawn twice into one figure of the caller's (`ax=`): a simulated healthy "
        "and a simulated stroke wrist (severity 0.7), each stretched at 5 and 236 deg/s as on the "
        "NeuroFlexor and split into elastic, viscous and neural components (Lindberg et al. 2011). The "
        f"bars are forces at {decomposition.NEUROFLEXOR_LEVER_ARM_M:g} m from the wrist axis (the hand "
        "platform's lever arm assumed by myoreflex); beside each bar the grey square and whiskers are the "
        "healthy mean and SD of Pennati et al. 2016 (107 adults), and the red tick the cut-off, mean + 3 "
        f"SD (EC 6.0, VC 1.2, NC 3.5 N). A bar above its cut-off is drawn red ({summary}). The inertial "
        "component has no cut-off and is given in the note under the bars."
    )
    return _save(figure, "decomposition.png"), caption


def emg_onsets() -> tuple[str, str]:
    from myoreflex.io import read_ipsa
    from myoreflex.measures import emg
    from myoreflex.report.figures import emg_figure

    if IPSA_CP1_ANKLE_RIGHT.is_file():
        trial = next(t for t in read_ipsa(IPSA_CP1_ANKLE_RIGHT) if t.stretch_speed == "high")
        record = emg.measure(trial)
        what = (f"a fast hand-held dorsiflexion stretch of CP1's right ankle (IPSA, segment {trial.segment}, raw "
                "EMG in V at 200 Hz)")
    else:
        trial = _simulated_stretches("stroke", 0.7, [236.0])[0]
        record = emg.measure(trial, method="hodges_bui")
        what = "a simulated stroke elbow stretched at 236 deg/s (excitations, unit 1)"
    found = ", ".join(f"{m} {t:.3f} s" if t is not None else f"{m} none" for m, t in record.onset_s.items())
    caption = (
        f"`emg_figure` on {what}. The top panel is the joint angle; below, one panel per muscle with its "
        "EMG in the channel's own unit. The green band is the rest used as baseline, the orange band the "
        "window searched for an onset (the movement plus 0.1 s); the red vertical line is each muscle's "
        f"onset, named with the method (`{record.method}`: {record.reference}). Onsets here: {found}."
    )
    return _save(emg_figure(trial, record), "emg_onsets.png"), caption


def tsrt_regression() -> tuple[str, str]:
    from myoreflex.io import read_ipsa
    from myoreflex.measures import threshold
    from myoreflex.report.figures import tsrt_figure

    if IPSA_CP1_ANKLE_RIGHT.is_file():
        trials = read_ipsa(IPSA_CP1_ANKLE_RIGHT)
        what = (f"the {len(trials)} hand-held dorsiflexion stretches of CP1's right ankle (IPSA; onsets of "
                f"`emg_{trials[0].emg_names()[0]}`, the first EMG channel, by `hodges_bui`)")
    else:
        trials = _simulated_stretches("stroke", 0.7, [60.0, 100.0, 150.0, 200.0, 236.0])
        what = "five simulated stroke elbow stretches (severity 0.7) at 60-236 deg/s"
    result = threshold.measure(trials, lenient=True)
    ci = result.tsrt_ci_deg
    caption = (
        f"`tsrt_figure` on {what}. Each dot is the dynamic stretch reflex threshold of one stretch, the "
        "joint angle at EMG onset, against the velocity at the onset; crosses at the top of the shaded "
        f"tested range are stretches without a DSRT ({result.n_excluded} here). The red line is the "
        "least-squares fit DSRT = TSRT - mu velocity (Levin & Feldman 1994), the pink band its "
        f"{100 * result.confidence:.0f} % confidence interval, and the star at zero velocity the "
        "extrapolated tonic stretch reflex threshold"
        + (f", TSRT {result.tsrt_deg:.1f} deg ({100 * result.confidence:.0f} % CI {ci[0]:.1f} to {ci[1]:.1f}), "
           f"mu {result.mu_s:.3f} s." if result.estimable and ci is not None else f": {result.note}.")
        + " The dashed part of the line is the extrapolation below the slowest stretch."
    )
    return _save(tsrt_figure(result, "TSRT regression"), "tsrt.png"), caption


def main() -> int:
    import myoreflex

    myoreflex.configure()
    backend = matplotlib.get_backend()
    OUT.mkdir(parents=True, exist_ok=True)
    entries = [
        ("Pendulum test: the R1 construction", *pendulum_single()),
        ("Pendulum tests compared", *pendulum_compare()),
    ]
    (stretch_path, stretch_caption), (bars_path, bars_caption) = stretch_and_decomposition()
    entries += [
        ("Stretches: EMG onset and DSRT", stretch_path, stretch_caption),
        ("EMG onsets", *emg_onsets()),
        ("TSRT regression", *tsrt_regression()),
        ("Decomposition against the healthy cut-offs", bars_path, bars_caption),
    ]
    assert matplotlib.get_backend() == backend, "a figure changed the matplotlib backend"
    sections = [INTRO]
    for heading, path, caption in entries:
        sections.append(f"## {heading}\n\n![{heading}]({path})\n\n{caption}\n")
    sections.append(
        "## Fits\n\n`fit_figure` draws a fit's recorded and fitted traces, one panel per channel and "
        "recording, its RMSE and convergence in the title; the README's worked fit example makes one "
        "(`myoreflex fit pendulum ... --plot`, shown there as `docs/figures/fit_cp1_right.png`). A fit "
        "takes minutes, so this script does not run one.\n")
    PAGE.write_text("\n".join(sections))
    print(f"wrote {PAGE.relative_to(ROOT)} and {len(entries)} figures under {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
