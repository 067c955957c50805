"""``myoreflex assess ...``: measures of real (or simulated) recordings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.cli._common import (
    DISCLAIMER,
    PENDULUM_CONTRACT_KEYS,
    AngleSign,
    AsJson,
    Coordinate,
    Decimal,
    DetectedAngleSign,
    Lenient,
    Offset,
    PlotFile,
    Scale,
    Segment,
    TimeColumn,
    Unit,
    assess_pendulum_file,
    check_output,
    check_plot,
    conversions,
    fail,
    number,
    one_of,
    pendulum_with_sign,
    print_warnings,
    read_stretches,
    recording_path,
    run,
    shown,
)
from myoreflex.errors import MyoreflexError

app = typer.Typer(help="Measure real (or simulated) recordings.", no_args_is_help=True)


@app.command("pendulum")
def assess_pendulum(
    file: Annotated[Path, typer.Argument(help="recording: CSV (time_s, <joint>_angle_deg), .mot/.sto, C3D, "
                                              "Motion-BIDS, or a dataset name (myoreflex datasets list)",
                                         callback=recording_path)],
    coordinate: Coordinate = None,
    angle_sign: DetectedAngleSign = None,
    time_column: TimeColumn = None,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
    plot: PlotFile = None,
    as_json: AsJson = False,
    decimal: Decimal = None,
):
    """Pendulum-test measures (R1, R2n, swings, peak velocity, period) of one recording.

    The recording must pass the pendulum's quality gates (a settled plateau, enough samples per
    swing, a reversing first swing, a damped decay, a quiet rest: ``myoreflex.measures.pendulum``);
    ``--lenient`` measures it anyway and names the failed gates in ``warnings``. Without
    ``--angle-sign`` the sign is found from the swing (a leg released from extension falls into
    flexion), so an OpenSim file (flexion negative) reads as it is; ``--json`` says which.
    """
    from myoreflex.measures.pendulum import measure

    check_plot(plot, inputs=[file])
    converted = conversions(scale, offset, unit)
    if not file.is_file():
        fail("FILE", "an existing recording file or a dataset name (myoreflex datasets list)", str(file))
    trial, sign = pendulum_with_sign(file, coordinate, angle_sign, converted, time_column, decimal)
    metrics = run(lambda: measure(trial, lenient=lenient))
    if plot:
        from myoreflex.report.figures import pendulum_figure, save_figure

        run(lambda: save_figure(pendulum_figure([trial], [file.name], title=f"Pendulum test: {file.name}",
                                                records=[metrics]), plot))
    values = metrics.as_dict()
    if as_json:
        typer.echo(json.dumps({"file": str(file), "metrics": {k: values[k] for k in PENDULUM_CONTRACT_KEYS},
                               "warnings": list(metrics.warnings), **sign}))
        return
    typer.echo(f"Pendulum test, {file.name}")
    for key in PENDULUM_CONTRACT_KEYS:
        typer.echo(f"  {key:28s} {shown(values[key])}")
    typer.echo(f"  angle sign {sign['angle_sign']:g} ({sign['angle_sign_source']})")
    print_warnings(metrics.warnings)
    typer.echo(DISCLAIMER)


@app.command("folder")
def assess_folder(
    folder: Annotated[Path, typer.Argument(help="folder of pendulum recordings (or a dataset folder's name)",
                                           callback=recording_path)],
    out: Annotated[Path, typer.Option(help="table to write: .csv or .parquet")] = Path("pendulum_metrics.csv"),
    pattern: Annotated[str, typer.Option(help="file pattern inside the folder")] = "*.csv",
    coordinate: Coordinate = None,
    angle_sign: DetectedAngleSign = None,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
):
    """Assess every pendulum recording of a folder into one table (one row per file; a file that
    cannot be read or fails a quality gate gets its error in its row, ``--lenient`` its warnings;
    each file's angle sign is found from its swing unless ``--angle-sign`` is given)."""
    from myoreflex.io.results import write_table

    if not folder.is_dir():
        fail("FOLDER", "an existing folder", str(folder))
    files = sorted(folder.glob(pattern))
    if not files:
        fail("--pattern", f"files matching it in {folder}", pattern)
    check_output(out, "--out", inputs=files)
    converted = conversions(scale, offset, unit)
    rows = []
    with typer.progressbar(files, label="assessing", file=sys.stderr) as progress:
        for path in progress:
            if not path.is_file():  # a folder or a broken link that matches the pattern
                rows.append({"file": path.name, "error": f"`{path.name}`: expected a recording file; got "
                             f"{'a folder' if path.is_dir() else 'no readable file'}"})
                continue
            try:
                _, metrics, sign = assess_pendulum_file(path, coordinate, angle_sign, lenient=lenient,
                                                        converted=converted)
                rows.append({"file": path.name, "error": "", **metrics.as_dict(),
                             "warnings": "; ".join(metrics.warnings), **sign})
            except (MyoreflexError, OSError) as exc:  # one bad file is reported in its row, not fatal
                rows.append({"file": path.name, "error": str(exc)})
    written = run(lambda: write_table(rows, out))
    failed = sum(1 for row in rows if row["error"])
    typer.echo(f"{len(rows)} recordings, {failed} with errors -> {written}")



@app.command("stretch")
def assess_stretch(
    slow: Annotated[Path, typer.Option(help="the slow stretch (reflex-free), e.g. 5 deg/s (file or dataset name)",
                                       callback=recording_path)],
    fast: Annotated[Path, typer.Option(help="the fast stretch of the same joint, e.g. 236 deg/s",
                                       callback=recording_path)],
    lever_arm_m: Annotated[Optional[float], typer.Option(
        help="lever arm (m) to give forces at the hand and flags", callback=number(0.01, 2.0, unit="m"))] = None,
    inertia_kg_m2: Annotated[Optional[float], typer.Option(
        help="limb + device inertia about the joint (kg m^2)", callback=number(1e-4, 10.0, unit="kg m^2"))] = None,
    segment: Segment = None,
    angle_sign: AngleSign = 1.0,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """NeuroFlexor-style decomposition: inertial, elastic, viscous and neural components.

    The two stretches must be of the same joint (and subject and side where the files say) and
    cover the same angles (quality gates of ``myoreflex.measures.decomposition``).
    """
    from myoreflex.measures import decomposition

    check_plot(plot, inputs=[slow, fast])
    converted = conversions(scale, offset, unit)

    def body():
        (slow_trial,), (fast_trial,) = (read_stretches([p], angle_sign, segment, converted=converted)
                                        for p in (slow, fast))
        return slow_trial, fast_trial, decomposition.measure(slow_trial, fast_trial, lever_arm_m=lever_arm_m,
                                                             inertia_kg_m2=inertia_kg_m2, lenient=lenient)

    slow_trial, fast_trial, result = run(body)
    if plot:
        from myoreflex.report.figures import save_figure, stretch_figure

        run(lambda: save_figure(stretch_figure([slow_trial, fast_trial], [slow.name, fast.name],
                                               "Slow vs fast stretch", records=[result]), plot))
    out = result.as_dict()
    if as_json:
        typer.echo(json.dumps(out, default=str))
        return
    typer.echo(f"Stretch decomposition ({out['units']}), slow {slow.name} vs fast {fast.name}")
    for name, value in out["components"].items():
        flag = out["flags"].get(name) if out.get("flags") else None
        mark = " ABOVE healthy cut-off" if flag else ""
        typer.echo(f"  {name:10s} {value:8.3f}{mark}")
    if result.n_stretches > 1 and result.neural_ci95_nm is not None:
        low, high = result.neural_ci95_nm
        typer.echo(f"  neural over {result.n_stretches} fast stretches: sd {result.neural_sd_nm:.3f}, "
                   f"95 % interval {low:.3f} to {high:.3f}")
    typer.echo(f"  {result.inertial_method}")
    if result.slow_reflex:
        typer.echo(f"  WARNING: {result.slow_reflex_note}")
    print_warnings(result.warnings)
    typer.echo(DISCLAIMER)


@app.command("manual")
def assess_manual(
    files: Annotated[list[Path], typer.Argument(help="hand-held stretch recordings (e.g. IPSA .mat files, or "
                                                    "dataset names)", callback=recording_path)],
    slow_speed: Annotated[str, typer.Option(help="metadata stretch_speed of the slow stretches")] = "low",
    fast_speed: Annotated[str, typer.Option(help="metadata stretch_speed of the fast stretches")] = "high",
    lever_arm_m: Annotated[Optional[float], typer.Option(
        help="joint to load cell (m), for forces", callback=number(0.01, 2.0, unit="m"))] = None,
    angle_sign: AngleSign = 1.0,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
    as_json: AsJson = False,
):
    """Neural component of each fast hand-held stretch against the slow stretches of the same file."""
    from myoreflex.measures import manual

    converted = conversions(scale, offset, unit)

    def body():
        rows = []
        for path in files:
            trials = read_stretches([path], angle_sign, converted=converted)
            slow = [t for t in trials if t.stretch_speed == slow_speed]
            fast = [t for t in trials if t.stretch_speed == fast_speed]
            speeds = sorted({str(t.stretch_speed) for t in trials})
            for flag, value, found in (("--slow-speed", slow_speed, slow), ("--fast-speed", fast_speed, fast)):
                if not found:
                    fail(flag, f"a stretch_speed of {path.name} ({', '.join(speeds)})", value)
            for trial in fast:
                result = manual.measure(slow, trial, lever_arm_m=lever_arm_m, lenient=lenient).as_dict()
                rows.append({"file": str(path), "segment": trial.segment, **result})
        return rows

    rows = run(body)
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
        print_warnings(row["warnings"])
    typer.echo(DISCLAIMER)


@app.command("threshold")
def assess_threshold(
    files: Annotated[list[Path], typer.Argument(help="stretch recordings at several velocities (or dataset names)",
                                                callback=recording_path)],
    muscle: Annotated[Optional[str], typer.Option(help="stretched muscle (emg_<muscle>); default the first")] = None,
    speed: Annotated[Optional[str], typer.Option(help="keep only segments with this stretch_speed label")] = None,
    angle_sign: AngleSign = 1.0,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
    as_json: AsJson = False,
):
    """Dynamic stretch reflex thresholds and the TSRT (Levin & Feldman) with 95 % intervals.

    The stretches must pass the TSRT's quality gates (at least 3 stretches over a velocity span of
    at least half the fastest: ``myoreflex.measures.threshold``); ``--lenient`` names failures.
    """
    from myoreflex.measures import threshold

    converted = conversions(scale, offset, unit)

    def body():
        trials = read_stretches(files, angle_sign, speed=speed, converted=converted)
        if len(trials) < 2:
            fail("FILE...", "at least two stretches at different velocities", f"{len(trials)} stretch(es)")
        return threshold.measure(trials, muscle=muscle, lenient=lenient)

    result = run(body)
    out = result.as_dict()
    if as_json:
        typer.echo(json.dumps(out, default=str))
        return
    typer.echo(f"TSRT from {out['n_stretches']} stretches with an EMG onset ({out['n_excluded']} more without)")
    if out["estimable"]:
        typer.echo(f"  TSRT {out['tsrt_deg']:.1f} deg, 95 % CI {out['tsrt_ci_deg']}; mu {out['mu_s']:.3f} s")
    typer.echo(f"  {out['note']}")
    print_warnings(result.warnings)
    typer.echo(DISCLAIMER)




@app.command("motor-units")
def assess_motor_units(
    file: Annotated[Path, typer.Argument(help="discharge times: a CSV with columns unit,time_s, or a DEMUSE-layout "
                                              ".mat of decomposed high-density EMG", callback=recording_path)],
    smoothing: Annotated[str, typer.Option(help="discharge-rate smoothing: hanning (2 s window) or polynomial",
                                           callback=one_of("hanning", "polynomial"))] = "hanning",
    min_recruitment_difference_s: Annotated[float, typer.Option(
        help="a test unit is recruited at least this long after its control unit (s)",
        callback=number(0.0, 60.0, unit="s"))] = 1.0,
    min_rate_r2: Annotated[float, typer.Option(help="least r^2 of the pair's smoothed rates",
                                               callback=number(0.0, 1.0))] = 0.7,
    min_control_modulation_pps: Annotated[float, typer.Option(
        help="least rate modulation of the control unit while the test unit fires (pps)",
        callback=number(0.0, 100.0, unit="pps"))] = 0.5,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Recruitment, derecruitment and paired-motor-unit delta-F (Gorassini et al. 2002), the human
    estimate of persistent inward currents, from motor-unit discharge times."""
    from myoreflex.io.motor_units import read_discharge_times
    from myoreflex.measures.motor_units import measure, plot_motor_units

    check_plot(plot, inputs=[file])
    if not file.is_file():
        fail("FILE", "an existing file of discharge times", str(file))
    result = run(lambda: measure(read_discharge_times(file), smoothing=smoothing,
                                 min_recruitment_difference_s=min_recruitment_difference_s,
                                 min_rate_r2=min_rate_r2, min_control_modulation_pps=min_control_modulation_pps))
    if plot:
        from myoreflex.report.figures import save_figure

        run(lambda: save_figure(plot_motor_units(result), plot))
    out = {**result.as_dict(), "file": str(file)}
    if as_json:
        typer.echo(json.dumps(out))
        return
    delta = out["delta_f_pps"]
    typer.echo(f"Motor units, {file.name}: {out['n_units']} units")
    typer.echo(f"  delta-F {shown(delta['mean'])} +- {shown(delta['sd'])} pps over {delta['n_pairs']} pairs")
    for unit in out["units"]:
        typer.echo(f"  unit {unit['unit']}: recruited {shown(unit['recruitment_s'])} s, "
                   f"derecruited {shown(unit['derecruitment_s'])} s")
    typer.echo(DISCLAIMER)


@app.command("emg")
def assess_emg(
    file: Annotated[Path, typer.Argument(help="surface EMG recording (channels emg_<muscle> in V; a movement or "
                                              "stimulus channel when there is one)", callback=recording_path)],
    as_json: AsJson = False,
):
    """Interpretable features of an EMG recording (bursts, firing regularity, spread across muscles,
    trigger dependence, latencies) and the kind of spasm they fit best, with the rule that decided
    and its source (myoreflex.measures.spasm_emg). Not a diagnosis."""
    from myoreflex.io import read_trial
    from myoreflex.measures import spasm_emg

    if not file.is_file():
        fail("FILE", "an existing EMG recording", str(file))
    result = run(lambda: spasm_emg.measure(read_trial(file)))
    out = {**result.as_dict(), "file": str(file)}
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(result.notice)
    typer.echo(f"{file.name}: {out['kind']} ({out['rule']})")
    typer.echo(f"  source: {out['source']}")
