"""``myoreflex cohort ...``: many subjects, virtual populations or manifests of recordings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.cli._common import (
    DISCLAIMER,
    JOINT_NAMES,
    AngleSign,
    AsJson,
    Coordinate,
    Lenient,
    Offset,
    Scale,
    Scheduler,
    Seed,
    Unit,
    check_joint,
    check_output,
    choices,
    conversions,
    fail,
    number,
    recording_path,
    run,
    setting_range,
)
from myoreflex.cli.fit import (
    EmgMuscle,
    FitMethod,
    FreeParams,
    SmoothingMs,
    StartCondition,
    StartSeverity,
    UseEmg,
    check_free,
    check_stretch_fit_options,
)

app = typer.Typer(help="Run many subjects: virtual populations or manifests of recordings.", no_args_is_help=True)


FIT_TESTS = ("stretch", "pendulum")
"""What ``cohort fit --test`` fits: each subject's motorized stretches, or one pendulum recording."""

AllowOutside = Annotated[bool, typer.Option(
    "--allow-outside", help="read recordings outside the manifest's folder too (../, absolute paths)")]
ChunkSize = Annotated[int, typer.Option(help="subjects per batched simulation chunk",
                                        callback=number(1, 100_000, integer=True))]
Out = Annotated[Path, typer.Option(help="results table: .parquet or .csv (written atomically)")]


def _with_progress(total: int, run):
    """Run ``run(progress)`` under a progress bar on stderr; ``progress(done, total)`` counts subjects."""
    with typer.progressbar(length=total, label="subjects", file=sys.stderr) as bar:
        seen = [0]

        def progress(done, _total):
            bar.update(done - seen[0])
            seen[0] = done

        return run(progress)


@app.command("population")
def cohort_population(
    n: Annotated[int, typer.Argument(help="number of virtual subjects", callback=number(1, 1_000_000, integer=True))],
    out: Annotated[Path, typer.Option(help="manifest CSV to write")] = Path("population.csv"),
    seed: Seed = 0,
    stroke_fraction: Annotated[float, typer.Option(help="fraction with stroke; the rest healthy",
                                                   callback=number(0.0, 1.0))] = 0.5,
    min_age_years: Annotated[float, typer.Option(
        "--min-age-years", help="youngest age drawn (years; under 20: CDC 2000 growth-chart bodies)",
        callback=number(2.0, 100.0, unit="years"))] = 20.0,
    max_age_years: Annotated[float, typer.Option(
        "--max-age-years", help="oldest age drawn (years); ages are uniform between the two",
        callback=number(2.0, 100.0, unit="years"))] = 80.0,
):
    """Draw a virtual population into a manifest CSV (conditions, severities, ages, sexes, body
    sizes; columns subject, condition, severity, body_mass_kg, height_m, sex, age_years, seed)."""
    check_output(out, "--out", suffixes=(".csv",))
    if max_age_years < min_age_years:
        fail("--max-age-years", f"an age >= --min-age-years ({min_age_years:g})", max_age_years)
    from myoreflex.cohort.population import sample_population
    from myoreflex.io.results import write_table

    conditions = {"healthy": 1.0 - stroke_fraction, "stroke": stroke_fraction}
    rows = sample_population(n, conditions={k: v for k, v in conditions.items() if v > 0}, seed=seed,
                             ages=(min_age_years, max_age_years))
    typer.echo(f"{len(rows)} subjects -> {run(lambda: write_table(rows, out))}")


def _protocol_names() -> str:
    from myoreflex.protocols import PROTOCOLS

    return ", ".join([*PROTOCOLS, *PROTOCOLS.aliases])


def chosen_protocol(protocol: str, velocity_deg_s: Optional[float], settings: Optional[list[str]]):
    """The protocol instance of ``cohort simulate``: a registry name (``stretch`` is the motorized
    stretch) with its settings from ``--set NAME=VALUE`` (edge units, as ``simulate NAME`` names them);
    ``--velocity-deg-s`` is the stretch velocity (default 100 deg/s)."""
    from myoreflex.protocols import PROTOCOLS, from_settings
    from myoreflex.protocols import settings as protocol_settings

    name = PROTOCOLS.aliases.get(protocol, protocol)
    if name not in PROTOCOLS:
        fail("--protocol", f"one of {_protocol_names()}", protocol)
    cls = PROTOCOLS[name]
    values: dict[str, float] = {}
    for item in settings or []:
        key, sep, value = item.partition("=")
        try:
            values[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            known = ", ".join(info.edge_name for info in protocol_settings(cls))
            fail("--set", f"NAME=NUMBER with NAME among {known}", item)
    if "velocity_deg_s" in {info.edge_name for info in protocol_settings(cls)}:
        velocity = values.setdefault("velocity_deg_s", 100.0 if velocity_deg_s is None else velocity_deg_s)
        if not velocity > 0:
            fail("--velocity-deg-s", "a velocity > 0 deg/s", velocity)
    elif velocity_deg_s is not None:
        fail("--velocity-deg-s", "a protocol with a velocity (stretch)", protocol)
    return run(lambda: from_settings(cls, values))


@app.command("simulate")
def cohort_simulate_command(
    manifest: Annotated[Path, typer.Argument(help="manifest CSV: subject, condition, severity, body_mass_kg, height_m[, age_years, sex]")],
    out: Out = Path("cohort_results.parquet"),
    protocol: Annotated[str, typer.Option(help="a protocol (see `myoreflex simulate --help`): pendulum, stretch, "
                                               "manual_stretch, perturbation, ...")] = "pendulum",
    joint: Annotated[str, choices(JOINT_NAMES, "joint (the pendulum test needs the knee)")] = "knee",
    velocity_deg_s: Annotated[Optional[float], typer.Option(
        "--velocity-deg-s", help="stretch velocity (deg/s; default 100)",
        callback=setting_range("motorized_stretch", "velocity_deg_s"))] = None,
    setting: Annotated[Optional[list[str]], typer.Option(
        "--set", help="a protocol setting NAME=VALUE in the unit its name says, e.g. amplitude_deg=3; repeat")] = None,
    chunk_size: ChunkSize = 250,
    scheduler: Scheduler = None,
    lenient: Lenient = False,
):
    """Simulate and measure every virtual subject; an interrupted run resumes where it stopped.

    A subject whose trial fails a quality gate of the protocol's measure (a leg still swinging at the
    end of a pendulum test) gets an ERROR row naming the gate; ``--lenient`` measures it and names
    the gate in its ``warnings`` column."""
    from myoreflex.cohort import cohort_simulate, read_manifest

    check_joint(joint)
    chosen = chosen_protocol(protocol, velocity_deg_s, setting)
    check_output(out, "--out", inputs=[manifest])
    rows = run(lambda: read_manifest(manifest, joint=joint))
    result = run(lambda: _with_progress(len(rows), lambda progress: cohort_simulate(
        rows, out=out, protocol=chosen, joint=joint, chunk_size=chunk_size, scheduler=scheduler,
        progress=progress, lenient=lenient)))
    typer.echo(f"{result.n_subjects} subjects {result.status_counts} in {result.wall_s:.1f} s "
               f"({result.subjects_per_s:.1f}/s, {result.reused_chunks} chunks reused{_rejected(result)}) "
               f"-> {result.table}")


@app.command("assess")
def cohort_assess_command(
    manifest: Annotated[Path, typer.Argument(help="manifest CSV: subject, file (relative to the manifest)")],
    out: Out = Path("cohort_results.parquet"),
    protocol: Annotated[str, typer.Option(help="whose measure: pendulum, stretch, perturbation, ...")] = "pendulum",
    angle_sign: AngleSign = 1.0,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    allow_outside: AllowOutside = False,
    chunk_size: ChunkSize = 50,
    scheduler: Scheduler = None,
    lenient: Lenient = False,
):
    """Measure every subject's recording into one table (errors recorded per row; a recording that
    fails a quality gate is an ERROR naming it, or with ``--lenient`` measured, the gate in ``warnings``)."""
    from myoreflex.cohort import cohort_assess, read_manifest
    from myoreflex.protocols import PROTOCOLS

    if PROTOCOLS.aliases.get(protocol, protocol) not in PROTOCOLS:
        fail("--protocol", f"one of {_protocol_names()}", protocol)
    check_output(out, "--out", inputs=[manifest])
    options = _reader_options(angle_sign, conversions(scale, offset, unit))
    rows = run(lambda: read_manifest(manifest))
    result = run(lambda: _with_progress(len(rows), lambda progress: cohort_assess(
        rows, out=out, protocol=protocol, reader_options=options, chunk_size=chunk_size,
        scheduler=scheduler, progress=progress, allow_outside=allow_outside, lenient=lenient)))
    typer.echo(f"{result.n_subjects} subjects {result.status_counts} -> {result.table}{_rejected(result)}")


def _reader_options(angle_sign: float, converted) -> dict:
    """The readers' options of a cohort's recordings (hashed into its resume keys)."""
    return {"angle_sign": angle_sign, **({"conversions": converted} if converted else {})}


def _rejected(result) -> str:
    """The summary's note of reused parts that failed their check and were computed again."""
    return f" ({result.rejected_chunks} damaged parts recomputed)" if result.rejected_chunks else ""


@app.command("fit")
def cohort_fit_command(
    manifest: Annotated[Path, typer.Argument(
        help="manifest CSV: subject, file (a subject's stretches separated by ';', relative to the manifest)"
             "[, body_mass_kg, height_m, age_years, sex, seed]; or a dataset name", callback=recording_path)],
    out: Out = Path("cohort_fits.parquet"),
    test: Annotated[str, choices(FIT_TESTS, "what each subject's files hold")] = "stretch",
    joint: Annotated[str, choices(JOINT_NAMES, "the joint (stretch fits)")] = "elbow",
    coordinate: Coordinate = None,
    free: FreeParams = None,
    emg: UseEmg = False,
    emg_muscle: EmgMuscle = None,
    condition: StartCondition = "healthy",
    severity: StartSeverity = 0.0,
    method: FitMethod = "map",
    seed: Seed = 0,
    smoothing_ms: SmoothingMs = 0.0,
    angle_sign: AngleSign = 1.0,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    allow_outside: AllowOutside = False,
    chunk_size: Annotated[int, typer.Option(help="subjects per chunk (one resume unit)",
                                            callback=number(1, 100_000, integer=True))] = 10,
    scheduler: Scheduler = None,
    lenient: Lenient = False,
):
    """Fit the model to every subject's recordings; an interrupted run resumes where it stopped.

    ``--test stretch``: each subject's motorized stretches (torque, optionally EMG). ``--test pendulum``:
    one pendulum recording per subject (knee; ``--coordinate`` picks the angle channel of CSV, .mot/.sto and C3D files),
    fitted as ``myoreflex fit pendulum`` fits it: its default free set, the threshold fixed at 0 pps unless freed.
    One row per subject: each free parameter with its 95 % interval, the fit's RMSE (rmse_nm or
    rmse_deg), converged, not_identified, warnings, status, provenance. A recording that fails a
    quality gate is an ERROR row naming it; ``--lenient`` fits it and names the gate in ``warnings``.
    """
    from myoreflex.cohort import PendulumFitter, StretchFitter, cohort_fit, read_manifest
    from myoreflex.fit.pendulum import DEFAULT_FREE as PENDULUM_FREE
    from myoreflex.fit.stretch import DEFAULT_FREE

    if test not in FIT_TESTS:
        fail("--test", " or ".join(FIT_TESTS), test)
    check_stretch_fit_options(condition, severity, method)
    check_joint(joint)
    check_free(free, "knee" if test == "pendulum" else joint)
    check_output(out, "--out", inputs=[manifest])
    options = _reader_options(angle_sign, conversions(scale, offset, unit))
    rows = run(lambda: read_manifest(manifest))
    if test == "pendulum":
        # as `myoreflex fit pendulum`: the pendulum's free set, the threshold fixed at 0 pps unless freed
        fitter = PendulumFitter(free=tuple(free or PENDULUM_FREE), condition=condition, severity=severity,
                                method=method, seed=seed, lenient=lenient)
        if coordinate:
            options["angle_channel"] = coordinate
    else:
        fitter = StretchFitter(joint=joint, free=tuple(free or DEFAULT_FREE), emg=emg, emg_muscle=emg_muscle,
                               condition=condition, severity=severity, method=method, seed=seed,
                               smoothing_s=smoothing_ms / 1000.0, lenient=lenient)
    result = run(lambda: _with_progress(len(rows), lambda progress: cohort_fit(
        rows, out=out, fitter=fitter, reader_options=options, chunk_size=chunk_size,
        scheduler=scheduler, progress=progress, allow_outside=allow_outside)))
    typer.echo(f"{result.n_subjects} subjects {result.status_counts} in {result.wall_s:.1f} s "
               f"({result.reused_chunks} chunks reused{_rejected(result)}) -> {result.table}")




@app.command("trial")
def cohort_trial_command(
    manifest: Annotated[Optional[Path], typer.Argument(
        help="manifest CSV of virtual subjects (subject, condition, severity, body_mass_kg, height_m); or leave "
             "it out and draw --n subjects", callback=recording_path)] = None,
    treatment: Annotated[Optional[str], typer.Option(
        help="NAME[:DOSE] in the treatment's unit, e.g. baclofen_intrathecal:300 (docs/treatments.md)")] = None,
    n: Annotated[Optional[int], typer.Option(
        "--n", help="draw this many virtual subjects (of --condition, with --seed) instead of a manifest",
        callback=number(1, 1_000_000, integer=True))] = None,
    condition: Annotated[Optional[str], typer.Option(
        help="enrol only subjects with this condition (stroke, cerebral_palsy, ...); with --n, draw them")] = None,
    outcome: Annotated[str, typer.Option(help="the measure compared: r2n, r1, n_oscillations, ...")] = "r2n",
    out: Out = Path("trial.csv"),
    protocol: Annotated[str, typer.Option(help="the test: pendulum, motorized_stretch, ...")] = "pendulum",
    joint: Annotated[str, choices(JOINT_NAMES, "joint (the pendulum test needs the knee)")] = "knee",
    setting: Annotated[Optional[list[str]], typer.Option(
        "--set", help="a protocol setting NAME=VALUE in the unit its name says, e.g. duration_s=10; repeat")] = None,
    seed: Seed = 0,
    chunk_size: Annotated[int, typer.Option(help="subjects (both arms) per batched simulation chunk",
                                            callback=number(1, 100_000, integer=True))] = 125,
    scheduler: Scheduler = None,
    lenient: Lenient = False,
    as_json: AsJson = False,
):
    """A virtual trial of a treatment against control: every subject simulated in both arms (paired),
    the effect on the outcome with its 95 % t and bootstrap intervals and Cohen's d_z; subjects whose
    arm failed (diverged, quality gate) are named and excluded. Resumes where it stopped."""
    from myoreflex.cohort import cohort_trial, read_manifest
    from myoreflex.errors import ParameterError
    from myoreflex.treatments import parse_treatment

    if treatment is None:
        fail("--treatment", "NAME[:DOSE] (docs/treatments.md)", "nothing")
    try:
        parse_treatment(treatment)
    except ParameterError as exc:
        fail("--treatment", "a treatment NAME[:DOSE]", str(exc))
    if (manifest is None) == (n is None):
        fail("--n", "either a manifest or --n (not both)", f"manifest {manifest}, --n {n}")
    check_joint(joint)
    chosen = chosen_protocol(protocol, None, setting)
    check_output(out, "--out", inputs=[manifest] if manifest else [])
    population = n if manifest is None else run(lambda: read_manifest(manifest, joint=joint))
    total = n if manifest is None else len([r for r in population if condition is None or r["condition"] == condition])
    result = run(lambda: _with_progress(total, lambda progress: cohort_trial(
        population, treatment, out=out, protocol=chosen, outcome=outcome, condition=condition, joint=joint,
        seed=seed, chunk_size=chunk_size, scheduler=scheduler, progress=progress, lenient=lenient)))
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    effect, summary = result.effect, result.as_dict()
    excluded = ", ".join(item["subject"] for item in result.failed[:5]) or "none"
    typer.echo(f"{result.treatment['name']} {result.treatment['dose']:g} against control, {outcome}: n {result.n} "
               f"({len(result.failed)} excluded: {excluded}{', ...' if len(result.failed) > 5 else ''})")
    typer.echo(f"  control {summary['control_mean']:.4g}, treated {summary['treated_mean']:.4g}, difference "
               f"{effect.mean_difference:.4g} (95 % CI {effect.ci95[0]:.4g} to {effect.ci95[1]:.4g}; bootstrap "
               f"{effect.bootstrap_ci95[0]:.4g} to {effect.bootstrap_ci95[1]:.4g}), d_z {effect.cohen_dz:.3g}")
    typer.echo(f"  -> {result.table} ({result.wall_s:.1f} s)")
    typer.echo(DISCLAIMER)
