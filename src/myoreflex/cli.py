"""The command line: a thin face over simulate / measures / report. It holds no science.

Bad input (unknown condition or joint, severity outside [0, 1], velocity <= 0) prints one line
naming the flag, the allowed values and what was given, and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.errors import MyoreflexError

app = typer.Typer(
    help="myoreflex: simulate and measure muscle spasm. Research and teaching tool, not a medical device.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
simulate_app = typer.Typer(help="Run a virtual clinical test on the reflex-loop model.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")
assess_app = typer.Typer(help="Measure real (or simulated) recordings.", no_args_is_help=True)
app.add_typer(assess_app, name="assess")
fit_app = typer.Typer(help="Fit the model to a patient's recordings, with uncertainty.", no_args_is_help=True)
app.add_typer(fit_app, name="fit")
cohort_app = typer.Typer(help="Run many subjects: virtual populations or manifests of recordings.",
                         no_args_is_help=True)
app.add_typer(cohort_app, name="cohort")

DISCLAIMER = "Research and teaching tool, not a medical device: not for diagnosis or treatment decisions."


def fail(flag: str, expected: str, got: object) -> None:
    """Print the one-line usage error and exit with code 2."""
    typer.echo(f"Error: {flag}: expected {expected}; got {got!r}", err=True)
    raise typer.Exit(code=2)


def _check_common(condition: str, severity: float):
    from myoreflex.conditions import CONDITIONS

    if condition not in CONDITIONS:
        fail("--condition", f"one of {', '.join(CONDITIONS)}", condition)
    if not 0.0 <= severity <= 1.0:
        fail("--severity", "a number in [0, 1]", severity)


def _check_joint(joint: str):
    from myoreflex.model import JOINTS

    if joint not in JOINTS:
        fail("--joint", f"one of {', '.join(JOINTS)}", joint)


def _params(joint: str, condition: str, severity: float, reflex_mode: str = "spindle"):
    from myoreflex.conditions import apply_condition
    from myoreflex.model import default_params

    return apply_condition(default_params(joint, reflex_mode=reflex_mode), condition, severity)


def _run(action):
    """Turn myoreflex errors into one clean line (exit 1) instead of a traceback."""
    try:
        return action()
    except MyoreflexError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=1) from None


Condition = Annotated[str, typer.Option(help="healthy, stroke, spinal_cord_injury, multiple_sclerosis, cerebral_palsy")]
Severity = Annotated[float, typer.Option(help="severity of the condition in [0, 1]")]
PlotFile = Annotated[Optional[Path], typer.Option("--plot", help="write a figure to this file (PNG, PDF, SVG)")]
AsJson = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def pendulum_result(condition: str, severity: float):
    from myoreflex.measures import pendulum
    from myoreflex.protocols.pendulum import PendulumTest

    trial = PendulumTest().run(_params("knee", condition, severity), condition=condition, severity=severity)
    return trial, pendulum.measure(trial)


@simulate_app.command("pendulum")
def simulate_pendulum(
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Simulate a pendulum (Wartenberg) test of the knee and print its measures."""
    _check_common(condition, severity)
    from myoreflex.measures.pendulum import CONTRACT_KEYS

    trial, metrics = _run(lambda: pendulum_result(condition, severity))
    if plot:
        from myoreflex.report.figures import pendulum_figure, save_figure

        save_figure(pendulum_figure([trial], [f"{condition} {severity:g}"]), plot)
    values = metrics.as_dict()
    if as_json:
        out = {"condition": condition, "severity": severity, "metrics": {k: values[k] for k in CONTRACT_KEYS}}
        typer.echo(json.dumps(out))
        return
    typer.echo(f"Pendulum test, {condition} (severity {severity:g})")
    for key in CONTRACT_KEYS:
        typer.echo(f"  {key:28s} {values[key]}")
    typer.echo(DISCLAIMER)


def stretch_results(joint: str, condition: str, severity: float, velocities_deg_s: list[float]):
    from myoreflex.measures.stretch import summarize
    from myoreflex.protocols.stretch import MotorizedStretch
    from myoreflex.units import DEG

    params = _params(joint, condition, severity)
    trials = [MotorizedStretch(velocity=v * DEG).run(params, condition=condition, severity=severity)
              for v in velocities_deg_s]
    return trials, [summarize(t) for t in trials]


@simulate_app.command("stretch")
def simulate_stretch(
    joint: Annotated[str, typer.Option(help="knee, elbow, ankle or wrist")] = "elbow",
    velocity_deg_s: Annotated[Optional[list[float]], typer.Option("--velocity-deg-s", help="stretch velocity (deg/s); repeat for several")] = None,
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Simulate motorized constant-velocity stretches at one or more velocities."""
    _check_common(condition, severity)
    _check_joint(joint)
    velocities = velocity_deg_s or [5.0, 100.0, 236.0]
    for v in velocities:
        if not v > 0:
            fail("--velocity-deg-s", "a velocity > 0 deg/s", v)
    trials, summaries = _run(lambda: stretch_results(joint, condition, severity, velocities))
    if plot:
        from myoreflex.report.figures import save_figure, stretch_figure

        labels = [f"{v:g} deg/s" for v in velocities]
        save_figure(stretch_figure(trials, labels, f"{joint} stretch, {condition} {severity:g}"), plot)
    rows = [
        {"velocity_deg_s": v, "peak_torque_nm": s.peak_torque_nm, "peak_emg": s.peak_emg,
         "emg_onset_angle_deg": s.emg_onset_angle_deg}
        for v, s in zip(velocities, summaries)
    ]
    if as_json:
        typer.echo(json.dumps({"condition": condition, "severity": severity, "joint": joint, "trials": rows}))
        return
    typer.echo(f"Motorized {joint} stretch, {condition} (severity {severity:g})")
    typer.echo(f"  {'velocity (deg/s)':>17s} {'peak torque (N m)':>18s} {'peak EMG':>9s} {'EMG onset (deg)':>16s}")
    for row in rows:
        onset = "no reflex" if row["emg_onset_angle_deg"] is None else f"{row['emg_onset_angle_deg']:.1f}"
        typer.echo(f"  {row['velocity_deg_s']:17g} {row['peak_torque_nm']:18.2f} {row['peak_emg']:9.3f} {onset:>16s}")
    typer.echo(DISCLAIMER)


@app.command()
def demo(out: Annotated[Path, typer.Option(help="folder for the figures")] = Path("demo_output")):
    """Healthy vs spastic pendulum test and motorized elbow stretches, with a table and figures."""
    from myoreflex.report.figures import pendulum_figure, save_figure, stretch_figure

    def body():
        typer.echo("myoreflex demo. " + DISCLAIMER)
        # a mild and a marked spastic leg (stroke and cerebral palsy differ little at equal severity)
        cases = [("healthy", 0.0), ("stroke", 0.3), ("cerebral_palsy", 0.7)]
        pend = [(c, s, *pendulum_result(c, s)) for c, s in cases]
        typer.echo("\nPendulum test (knee, adult defaults)")
        typer.echo(f"  {'condition':22s} {'R1':>5s} {'R2n':>5s} {'swings':>6s} {'peak vel (deg/s)':>16s} {'period (s)':>10s}")
        for c, s, _, m in pend:
            period = f"{m.period_s:.2f}" if m.period_s else "-"
            typer.echo(f"  {c + f' {s:g}':22s} {m.r1:5.2f} {m.r2n:5.2f} {m.n_oscillations:6d} "
                       f"{m.peak_velocity_deg_s:16.0f} {period:>10s}")
        path = save_figure(pendulum_figure([t for _, _, t, _ in pend], [f"{c} {s:g}" for c, s, _, _ in pend]),
                           out / "pendulum.png")
        typer.echo(f"  figure: {path}")
        velocities = [5.0, 100.0, 236.0]
        typer.echo("\nMotorized elbow stretch 80 -> 160 deg")
        typer.echo(f"  {'condition':22s} {'deg/s':>6s} {'peak torque (N m)':>18s} {'peak EMG':>9s} {'onset (deg)':>12s}")
        for condition, severity in [("healthy", 0.0), ("stroke", 0.7)]:
            trials, summaries = stretch_results("elbow", condition, severity, velocities)
            for v, s in zip(velocities, summaries):
                onset = "none" if s.emg_onset_angle_deg is None else f"{s.emg_onset_angle_deg:.1f}"
                typer.echo(f"  {condition + f' {severity:g}':22s} {v:6g} {s.peak_torque_nm:18.2f} "
                           f"{s.peak_emg:9.3f} {onset:>12s}")
            path = save_figure(stretch_figure(trials, [f"{v:g} deg/s" for v in velocities],
                                              f"elbow stretch, {condition} {severity:g}"),
                               out / f"stretch_{condition}.png")
            typer.echo(f"  figure: {path}")

    _run(body)


@app.command()
def params(
    joint: Annotated[str, typer.Option(help="knee, elbow, ankle or wrist")] = "knee",
    condition: Condition = "healthy",
    severity: Severity = 0.0,
):
    """List every model parameter with its value, unit, bounds and source."""
    _check_common(condition, severity)
    _check_joint(joint)
    from myoreflex.params import parameter_table

    for row in parameter_table(_params(joint, condition, severity)):
        typer.echo(f"{row.path:45s} {float(row.value):12.6g} {row.unit:12s} [{row.bounds[0]:g}, {row.bounds[1]:g}]  {row.source}")


AngleSign = Annotated[float, typer.Option(help="multiply the angle by this (-1 when flexion is negative)")]
Coordinate = Annotated[Optional[str], typer.Option(help="OpenSim coordinate to use as the angle, e.g. knee_angle_r")]
TimeColumn = Annotated[Optional[str], typer.Option(help="CSV time column (default time_s or time_ms)")]


def read_pendulum_file(path: Path, coordinate: Optional[str], angle_sign: float, time_column: Optional[str]):
    """Read one pendulum recording with the reader its suffix picks (CSV, .mot/.sto, C3D)."""
    from myoreflex.io import read_trial

    if not path.is_file():
        fail("FILE", "an existing recording file", str(path))
    suffix = path.suffix.lower()
    options = {"angle_sign": angle_sign}
    if suffix in {".mot", ".sto"}:
        options["coordinate"] = coordinate
    elif suffix in {".csv", ".tsv", ".txt"} and time_column:
        options["time_column"] = time_column
    elif suffix == ".c3d":
        options["angle_channel"] = coordinate
    trial = read_trial(path, **options)
    if isinstance(trial, list):
        fail("FILE", "a single pendulum recording", f"{path.name} holds {len(trial)} segments")
    return trial


def assess_pendulum_file(path: Path, coordinate=None, angle_sign=1.0, time_column=None):
    from myoreflex.measures.pendulum import measure

    trial = read_pendulum_file(path, coordinate, angle_sign, time_column)
    return trial, measure(trial)


@assess_app.command("pendulum")
def assess_pendulum(
    file: Annotated[Path, typer.Argument(help="recording: CSV (time_s, <joint>_angle_deg), .mot/.sto or C3D")],
    coordinate: Coordinate = None,
    angle_sign: AngleSign = 1.0,
    time_column: TimeColumn = None,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Pendulum-test measures (R1, R2n, swings, peak velocity, period) of one recording."""
    from myoreflex.measures.pendulum import CONTRACT_KEYS

    trial, metrics = _run(lambda: assess_pendulum_file(file, coordinate, angle_sign, time_column))
    if plot:
        from myoreflex.report.figures import pendulum_figure, save_figure

        save_figure(pendulum_figure([trial], [file.name], title=f"Pendulum test: {file.name}"), plot)
    values = metrics.as_dict()
    if as_json:
        typer.echo(json.dumps({"file": str(file), "metrics": {k: values[k] for k in CONTRACT_KEYS}}))
        return
    typer.echo(f"Pendulum test, {file.name}")
    for key in CONTRACT_KEYS:
        typer.echo(f"  {key:28s} {values[key]}")
    typer.echo(DISCLAIMER)


@assess_app.command("folder")
def assess_folder(
    folder: Annotated[Path, typer.Argument(help="folder of pendulum recordings")],
    out: Annotated[Path, typer.Option(help="table to write: .csv or .parquet")] = Path("pendulum_metrics.csv"),
    pattern: Annotated[str, typer.Option(help="file pattern inside the folder")] = "*.csv",
    coordinate: Coordinate = None,
    angle_sign: AngleSign = 1.0,
):
    """Assess every pendulum recording of a folder into one table (one row per file)."""
    from myoreflex.io.results import write_table

    if not folder.is_dir():
        fail("FOLDER", "an existing folder", str(folder))
    files = sorted(folder.glob(pattern))
    if not files:
        fail("--pattern", f"files matching it in {folder}", pattern)
    rows = []
    with typer.progressbar(files, label="assessing", file=sys.stderr) as progress:
        for path in progress:
            try:
                _, metrics = assess_pendulum_file(path, coordinate, angle_sign)
                rows.append({"file": path.name, "error": "", **metrics.as_dict()})
            except MyoreflexError as exc:  # one bad file is reported in its row, not fatal
                rows.append({"file": path.name, "error": str(exc)})
    written = _run(lambda: write_table(rows, out))
    failed = sum(1 for row in rows if row["error"])
    typer.echo(f"{len(rows)} recordings, {failed} with errors -> {written}")


def read_stretches(paths, angle_sign: float, segment: Optional[int] = None, speed: Optional[str] = None):
    """Every stretch Trial in ``paths`` (a multi-segment file gives all its segments, or one)."""
    from myoreflex.io import read_trial

    trials = []
    for path in paths:
        if not path.is_file():
            fail("FILE", "an existing recording file", str(path))
        got = read_trial(path, angle_sign=angle_sign)
        segments = got if isinstance(got, list) else [got]
        if segment is not None:
            if not 0 <= segment < len(segments):
                fail("--segment", f"an index in [0, {len(segments) - 1}] for {path.name}", segment)
            segments = [segments[segment]]
        if speed is not None:
            segments = [t for t in segments if t.metadata.get("stretch_speed") == speed]
        trials.extend(segments)
    return trials


@assess_app.command("stretch")
def assess_stretch(
    slow: Annotated[Path, typer.Option(help="the slow stretch (reflex-free), e.g. 5 deg/s")],
    fast: Annotated[Path, typer.Option(help="the fast stretch of the same joint, e.g. 236 deg/s")],
    lever_arm_m: Annotated[Optional[float], typer.Option(help="lever arm (m) to give forces at the hand and flags")] = None,
    inertia_kg_m2: Annotated[Optional[float], typer.Option(help="limb + device inertia about the joint")] = None,
    segment: Annotated[Optional[int], typer.Option(help="segment index in multi-segment files")] = None,
    angle_sign: AngleSign = 1.0,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """NeuroFlexor-style decomposition: inertial, elastic, viscous and neural components."""
    from myoreflex.measures.decomposition import decompose

    def body():
        (slow_trial,), (fast_trial,) = (read_stretches([p], angle_sign, segment) for p in (slow, fast))
        return slow_trial, fast_trial, decompose(slow_trial, fast_trial, lever_arm_m=lever_arm_m,
                                                 inertia_kg_m2=inertia_kg_m2)

    slow_trial, fast_trial, result = _run(body)
    if plot:
        from myoreflex.report.figures import save_figure, stretch_figure

        save_figure(stretch_figure([slow_trial, fast_trial], [slow.name, fast.name], "Slow vs fast stretch"), plot)
    out = result.as_dict()
    if as_json:
        typer.echo(json.dumps(out, default=str))
        return
    typer.echo(f"Stretch decomposition ({out['units']}), slow {slow.name} vs fast {fast.name}")
    for name, value in out["components"].items():
        flag = out["flags"].get(name) if out.get("flags") else None
        mark = " ABOVE healthy cut-off" if flag else ""
        typer.echo(f"  {name:10s} {value:8.3f}{mark}")
    typer.echo(DISCLAIMER)


@assess_app.command("manual")
def assess_manual(
    files: Annotated[list[Path], typer.Argument(help="hand-held stretch recordings (e.g. IPSA .mat files)")],
    slow_speed: Annotated[str, typer.Option(help="metadata stretch_speed of the slow stretches")] = "low",
    fast_speed: Annotated[str, typer.Option(help="metadata stretch_speed of the fast stretches")] = "high",
    lever_arm_m: Annotated[Optional[float], typer.Option(help="joint to load cell (m), for forces")] = None,
    angle_sign: AngleSign = 1.0,
    as_json: AsJson = False,
):
    """Neural component of each fast hand-held stretch against the slow stretches of the same file."""
    from myoreflex.measures.manual import decompose_manual

    def body():
        rows = []
        for path in files:
            trials = read_stretches([path], angle_sign)
            slow = [t for t in trials if t.metadata.get("stretch_speed") == slow_speed]
            fast = [t for t in trials if t.metadata.get("stretch_speed") == fast_speed]
            speeds = sorted({str(t.metadata.get("stretch_speed")) for t in trials})
            for flag, value, found in (("--slow-speed", slow_speed, slow), ("--fast-speed", fast_speed, fast)):
                if not found:
                    fail(flag, f"a stretch_speed of {path.name} ({', '.join(speeds)})", value)
            for trial in fast:
                result = decompose_manual(slow, trial, lever_arm_m=lever_arm_m).as_dict()
                rows.append({"file": str(path), "segment": trial.metadata.get("segment"), **result})
        return rows

    rows = _run(body)
    if as_json:
        typer.echo(json.dumps({"stretches": rows}, default=str))
        return
    typer.echo("Fast hand-held stretches: neural component above the slow stretches (Lindberg 2011 logic)")
    for row in rows:
        unit = "N m" if row["neural_nm"] is not None else "N"
        neural = row["neural_nm"] if row["neural_nm"] is not None else row["neural_n"]
        viscous = row["viscous_nm"] if row["viscous_nm"] is not None else row["viscous_n"]
        typer.echo(f"  {Path(row['file']).name} segment {row['segment']}: neural {neural:7.2f} {unit}, "
                   f"viscous {viscous:6.2f} {unit}, peak velocity {row['peak_velocity_deg_s']:.0f} deg/s")
    typer.echo(DISCLAIMER)


@assess_app.command("threshold")
def assess_threshold(
    files: Annotated[list[Path], typer.Argument(help="stretch recordings at several velocities")],
    muscle: Annotated[Optional[str], typer.Option(help="stretched muscle (emg_<muscle>); default the first")] = None,
    speed: Annotated[Optional[str], typer.Option(help="keep only segments with this stretch_speed label")] = None,
    angle_sign: AngleSign = 1.0,
    as_json: AsJson = False,
):
    """Dynamic stretch reflex thresholds and the TSRT (Levin & Feldman) with 95 % intervals."""
    from myoreflex.measures.threshold import tsrt

    def body():
        trials = read_stretches(files, angle_sign, speed=speed)
        if len(trials) < 2:
            fail("FILE...", "at least two stretches at different velocities", f"{len(trials)} stretch(es)")
        return tsrt(trials, muscle=muscle)

    result = _run(body)
    out = result.as_dict()
    if as_json:
        typer.echo(json.dumps(out, default=str))
        return
    typer.echo(f"TSRT from {out['n_stretches']} stretches with an EMG onset ({out['n_excluded']} more without)")
    if out["estimable"]:
        typer.echo(f"  TSRT {out['tsrt_deg']:.1f} deg, 95 % CI {out['tsrt_ci_deg']}; mu {out['mu_s']:.3f} s")
    typer.echo(f"  {out['note']}")
    typer.echo(DISCLAIMER)


Scheduler = Annotated[Optional[str], typer.Option(help="Dask: 'local' for a LocalCluster, or a scheduler address")]
ChunkSize = Annotated[int, typer.Option(help="subjects per batched simulation chunk")]
Out = Annotated[Path, typer.Option(help="results table: .parquet or .csv (written atomically)")]


def _with_progress(total: int, run):
    """Run ``run(progress)`` under a progress bar on stderr; ``progress(done, total)`` counts subjects."""
    with typer.progressbar(length=total, label="subjects", file=sys.stderr) as bar:
        seen = [0]

        def progress(done, _total):
            bar.update(done - seen[0])
            seen[0] = done

        return run(progress)


@cohort_app.command("population")
def cohort_population(
    n: Annotated[int, typer.Argument(help="number of virtual subjects")],
    out: Annotated[Path, typer.Option(help="manifest CSV to write")] = Path("population.csv"),
    seed: Annotated[int, typer.Option(help="random seed (same seed, same population)")] = 0,
    stroke_fraction: Annotated[float, typer.Option(help="fraction with stroke; the rest healthy")] = 0.5,
):
    """Draw a virtual population into a manifest CSV (conditions, severities, body sizes)."""
    from myoreflex.cohort_population import sample_population
    from myoreflex.io.results import write_table

    if n < 1:
        fail("N", "at least 1 subject", n)
    if not 0.0 <= stroke_fraction <= 1.0:
        fail("--stroke-fraction", "a number in [0, 1]", stroke_fraction)
    conditions = {"healthy": 1.0 - stroke_fraction, "stroke": stroke_fraction}
    rows = sample_population(n, conditions={k: v for k, v in conditions.items() if v > 0}, seed=seed)
    typer.echo(f"{len(rows)} subjects -> {write_table(rows, out)}")


@cohort_app.command("simulate")
def cohort_simulate_command(
    manifest: Annotated[Path, typer.Argument(help="manifest CSV: subject, condition, severity, body_mass_kg, height_m")],
    out: Out = Path("cohort_results.parquet"),
    protocol: Annotated[str, typer.Option(help="pendulum or stretch")] = "pendulum",
    joint: Annotated[str, typer.Option(help="joint (the pendulum test needs the knee)")] = "knee",
    velocity_deg_s: Annotated[float, typer.Option("--velocity-deg-s", help="stretch velocity")] = 100.0,
    chunk_size: ChunkSize = 250,
    scheduler: Scheduler = None,
):
    """Simulate and measure every virtual subject; an interrupted run resumes where it stopped."""
    from myoreflex.cohort import cohort_simulate, read_manifest
    from myoreflex.protocols.stretch import MotorizedStretch
    from myoreflex.units import DEG

    _check_joint(joint)
    if protocol not in ("pendulum", "stretch"):
        fail("--protocol", "pendulum or stretch", protocol)
    if protocol == "stretch" and not velocity_deg_s > 0:
        fail("--velocity-deg-s", "a velocity > 0 deg/s", velocity_deg_s)
    rows = _run(lambda: read_manifest(manifest, joint=joint))
    chosen = "pendulum" if protocol == "pendulum" else MotorizedStretch(velocity=velocity_deg_s * DEG)
    result = _run(lambda: _with_progress(len(rows), lambda progress: cohort_simulate(
        rows, out=out, protocol=chosen, joint=joint, chunk_size=chunk_size, scheduler=scheduler,
        progress=progress)))
    typer.echo(f"{result.n_subjects} subjects {result.status_counts} in {result.wall_s:.1f} s "
               f"({result.subjects_per_s:.1f}/s, {result.reused_chunks} chunks reused) -> {result.table}")


@cohort_app.command("assess")
def cohort_assess_command(
    manifest: Annotated[Path, typer.Argument(help="manifest CSV: subject, file (relative to the manifest)")],
    out: Out = Path("cohort_results.parquet"),
    protocol: Annotated[str, typer.Option(help="pendulum or stretch")] = "pendulum",
    angle_sign: AngleSign = 1.0,
    chunk_size: ChunkSize = 50,
    scheduler: Scheduler = None,
):
    """Measure every subject's recording into one table (errors recorded per row)."""
    from myoreflex.cohort import cohort_assess, read_manifest

    if protocol not in ("pendulum", "stretch"):
        fail("--protocol", "pendulum or stretch", protocol)
    rows = _run(lambda: read_manifest(manifest))
    result = _run(lambda: _with_progress(len(rows), lambda progress: cohort_assess(
        rows, out=out, protocol=protocol, reader_options={"angle_sign": angle_sign}, chunk_size=chunk_size,
        scheduler=scheduler, progress=progress)))
    typer.echo(f"{result.n_subjects} subjects {result.status_counts} -> {result.table}")


@cohort_app.command("fit")
def cohort_fit_command(
    manifest: Annotated[Path, typer.Argument(
        help="manifest CSV: subject, file (a subject's stretches separated by ';', relative to the manifest)"
             "[, body_mass_kg, height_m, seed]")],
    out: Out = Path("cohort_fits.parquet"),
    test: Annotated[str, typer.Option(help="what each subject's files hold: stretch or pendulum")] = "stretch",
    joint: Annotated[str, typer.Option(help="knee, elbow, ankle or wrist (stretch fits)")] = "elbow",
    coordinate: Coordinate = None,
    free: FreeParams = None,
    emg: UseEmg = False,
    emg_muscle: EmgMuscle = None,
    condition: StartCondition = "healthy",
    severity: StartSeverity = 0.0,
    method: FitMethod = "map",
    seed: Annotated[int, typer.Option(help="seed of the starts where the row has none")] = 0,
    smoothing_ms: SmoothingMs = 0.0,
    angle_sign: AngleSign = 1.0,
    chunk_size: Annotated[int, typer.Option(help="subjects per chunk (one resume unit)")] = 10,
    scheduler: Scheduler = None,
):
    """Fit the model to every subject's recordings; an interrupted run resumes where it stopped.

    ``--test stretch``: each subject's motorized stretches (torque, optionally EMG). ``--test pendulum``:
    one pendulum recording per subject (knee; ``--coordinate`` picks the angle of .mot/.sto/C3D files).
    One row per subject: each free parameter with its 95 % interval, the fit's RMSE (rmse_nm or
    rmse_deg), converged, status, provenance.
    """
    from myoreflex.cohort import cohort_fit, read_manifest
    from myoreflex.fit import PendulumFitter, StretchFitter
    from myoreflex.fit.stretch import DEFAULT_FREE

    if test not in ("stretch", "pendulum"):
        fail("--test", "stretch or pendulum", test)
    _check_stretch_fit_options(condition, severity, method, 75.0, 1.75, smoothing_ms, free)
    _check_joint(joint)
    rows = _run(lambda: read_manifest(manifest))
    options = {"angle_sign": angle_sign}
    if test == "pendulum":
        fitter = PendulumFitter(free=tuple(free or DEFAULT_FREE), condition=condition, severity=severity,
                                method=method, seed=seed)
        if coordinate:
            options["coordinate"] = coordinate
    else:
        fitter = StretchFitter(joint=joint, free=tuple(free or DEFAULT_FREE), emg=emg, emg_muscle=emg_muscle,
                               condition=condition, severity=severity, method=method, seed=seed,
                               smoothing_s=smoothing_ms / 1000.0)
    result = _run(lambda: _with_progress(len(rows), lambda progress: cohort_fit(
        rows, out=out, fitter=fitter, reader_options=options, chunk_size=chunk_size,
        scheduler=scheduler, progress=progress)))
    typer.echo(f"{result.n_subjects} subjects {result.status_counts} in {result.wall_s:.1f} s "
               f"({result.reused_chunks} chunks reused) -> {result.table}")


@fit_app.command("pendulum")
def fit_pendulum_command(
    file: Annotated[Path, typer.Argument(help="pendulum recording (CSV, .mot/.sto, C3D)")],
    coordinate: Coordinate = None,
    angle_sign: AngleSign = 1.0,
    free: Annotated[Optional[list[str]], typer.Option("--free", help="parameter path to fit; repeat")] = None,
    body_mass_kg: Annotated[float, typer.Option(help="body mass (kg) for the leg's anthropometry")] = 75.0,
    height_m: Annotated[float, typer.Option(help="body height (m) for the leg's anthropometry")] = 1.75,
    method: Annotated[str, typer.Option(help="map (Laplace intervals) or nuts (full posterior)")] = "map",
    seed: Annotated[int, typer.Option(help="random seed of the starts and the sampler")] = 0,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Fit reflex and passive parameters of the knee model to one pendulum recording."""
    from myoreflex.fit import fit_pendulum
    from myoreflex.model import default_params

    _check_fit_options(method, body_mass_kg, height_m)

    def body():
        trial = read_pendulum_file(file, coordinate, angle_sign, None)
        params0 = default_params("knee", body_mass=body_mass_kg, height=height_m)
        options = {"free": free} if free else {}
        return fit_pendulum(trial, params0, method=method, seed=seed, **options)

    result = _run(body)
    _report_fit(result, f"Pendulum fit: {file.name}",
                lambda out: f"Pendulum fit of {file.name}: RMSE {out['rmse_deg']:.2f} deg, "
                f"converged {out['converged']}", plot, as_json)


def _echo_params(out: dict):
    for name, value in out["params"].items():
        low, high = out["ci95"].get(name, (float("nan"), float("nan")))
        typer.echo(f"  {name:32s} {value:10.4g}   95 % [{low:.4g}, {high:.4g}]")


FreeParams = Annotated[Optional[list[str]], typer.Option(
    "--free", help="parameter path to fit; repeat (default motoneuron.gain and motoneuron.threshold)")]
UseEmg = Annotated[bool, typer.Option("--emg/--no-emg", help="also fit the stretched muscle's EMG")]
EmgMuscle = Annotated[Optional[str], typer.Option(
    help="EMG channel emg_<muscle> to fit; default the agonist's or the first")]
StartCondition = Annotated[str, typer.Option("--condition", help="preset the fit starts from (prior centre)")]
StartSeverity = Annotated[float, typer.Option("--severity", help="severity of that preset in [0, 1]")]
FitMethod = Annotated[str, typer.Option(help="map (Laplace intervals) or nuts (full posterior)")]
SmoothingMs = Annotated[float, typer.Option(help="Savitzky-Golay window (ms) for a noisy angle; 0 = none")]


def _check_fit_options(method, body_mass_kg, height_m):
    """The options every fit command has: the method and the body the preset is scaled to."""
    if method not in ("map", "nuts"):
        fail("--method", "map or nuts", method)
    if not 10.0 <= body_mass_kg <= 250.0:
        fail("--body-mass-kg", "a body mass in [10, 250] kg", body_mass_kg)
    if not 0.8 <= height_m <= 2.3:
        fail("--height-m", "a height in [0.8, 2.3] m", height_m)


def _report_fit(result, title: str, summary: Callable[[dict], str], plot, as_json: bool):
    """A fit command's output: the figure (``--plot``), then the JSON contract or a summary line
    (``summary`` of the result's dict), each parameter with its interval, and the disclaimer."""
    if plot:
        from myoreflex.report.figures import fit_figure, save_figure

        _run(lambda: save_figure(fit_figure(result, title), plot))
    if as_json:
        typer.echo(result.to_json())
        return
    out = result.to_dict()
    typer.echo(summary(out))
    _echo_params(out)
    typer.echo(DISCLAIMER)


def _check_stretch_fit_options(condition, severity, method, body_mass_kg, height_m, smoothing_ms, free):
    _check_common(condition, severity)
    _check_fit_options(method, body_mass_kg, height_m)
    if not smoothing_ms >= 0:
        fail("--smoothing-ms", "a window >= 0 ms", smoothing_ms)
    if free is not None and len(set(free)) != len(free):
        fail("--free", "distinct parameter paths", free)


def read_stretch_recordings(files, angle_sign: float, segment: Optional[int], speed: Optional[str]):
    """The stretch Trials of ``files`` for a fit; bad input (a missing or unreadable file, no torque
    or angle channel) prints one line and exits with code 2."""
    from myoreflex.errors import RecordingError

    trials = []
    for path in files:
        try:
            got = read_stretches([path], angle_sign, segment, speed)
        except RecordingError as exc:
            fail("FILE", "a readable stretch recording", str(exc))
        for trial in got:
            for channel, what in (("angle", "an angle column (e.g. elbow_angle_deg)"),
                                  ("torque", "a torque channel (e.g. a torque_Nm column)")):
                if channel not in trial:
                    fail("FILE", f"a stretch recording with {what}",
                         f"{path.name} with channels {', '.join(sorted(trial.channels)) or 'none'}")
        trials.extend(got)
    if not trials:
        fail("FILE...", "at least one stretch", "none (check --speed / --segment)")
    return trials


@fit_app.command("stretch")
def fit_stretch_command(
    files: Annotated[list[Path], typer.Argument(
        help="stretch recordings, e.g. one per velocity: CSV (time_s, <joint>_angle_deg, torque_Nm"
             "[, emg_...]), .mot/.sto, C3D or IPSA .mat")],
    joint: Annotated[Optional[str], typer.Option(
        help="knee, elbow, ankle or wrist; default the files' joint, else elbow")] = None,
    free: FreeParams = None,
    emg: UseEmg = False,
    emg_muscle: EmgMuscle = None,
    condition: StartCondition = "healthy",
    severity: StartSeverity = 0.0,
    body_mass_kg: Annotated[float, typer.Option(help="body mass (kg) for the limb's anthropometry")] = 75.0,
    height_m: Annotated[float, typer.Option(help="body height (m) for the limb's anthropometry")] = 1.75,
    method: FitMethod = "map",
    seed: Annotated[int, typer.Option(help="random seed of the starts and the sampler")] = 0,
    smoothing_ms: SmoothingMs = 0.0,
    angle_sign: AngleSign = 1.0,
    segment: Annotated[Optional[int], typer.Option(help="segment index in multi-segment files")] = None,
    speed: Annotated[Optional[str], typer.Option(help="keep only segments with this stretch_speed label")] = None,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Fit reflex and passive parameters to motorized stretches at several velocities (torque, EMG).

    The model follows the recorded angle: --json gives rmse_deg null and rmse_nm, the torque RMSE (N m).
    """
    from myoreflex.fit import fit_stretch

    _check_stretch_fit_options(condition, severity, method, body_mass_kg, height_m, smoothing_ms, free)
    if joint is not None:
        _check_joint(joint)
    trials = read_stretch_recordings(files, angle_sign, segment, speed)
    named = {t.metadata.get("joint") for t in trials} - {None}
    if joint is None:
        joint = named.pop() if len(named) == 1 else "elbow"
        _check_joint(joint)
    elif named - {joint}:
        fail("--joint", f"the joint of the recordings ({', '.join(sorted(named))})", joint)

    def body():
        from myoreflex.conditions import apply_condition
        from myoreflex.errors import RecordingError
        from myoreflex.model import default_params

        preset = default_params(joint, body_mass=body_mass_kg, height=height_m)
        params0 = apply_condition(preset, condition, severity)
        options = {"free": free} if free else {}
        try:
            return fit_stretch(trials, params0, emg=emg, emg_muscle=emg_muscle, method=method, seed=seed,
                               smoothing_s=smoothing_ms / 1000.0, **options)
        except RecordingError as exc:  # what the recordings lack is bad input (exit 2), not a failed fit
            fail("FILE", "a stretch recording the fit can use", str(exc))

    result = _run(body)
    _report_fit(result, f"{joint} stretch fit",
                lambda out: f"Stretch fit of {len(trials)} {joint} recordings: "
                f"torque RMSE {out['rmse_nm']:.3f} N m, converged {out['converged']}", plot, as_json)


def main():  # pragma: no cover - console entry point
    sys.exit(app())
