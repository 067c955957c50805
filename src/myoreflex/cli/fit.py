"""``myoreflex fit ...``: the model fitted to a patient's recordings, with uncertainty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.cli._common import (
    CONDITION_NAMES,
    DISCLAIMER,
    JOINT_NAMES,
    METHOD_NAMES,
    AgeYears,
    AngleSign,
    AsJson,
    BodyFrom,
    BodyMassKg,
    Coordinate,
    DetectedAngleSign,
    HeightM,
    Lenient,
    Offset,
    PlotFile,
    Scale,
    Seed,
    Segment,
    Sex,
    Unit,
    check_common,
    check_joint,
    check_output,
    check_plot,
    choices,
    conversions,
    fail,
    make_subject,
    number,
    pendulum_with_sign,
    read_stretches,
    recording_path,
    run,
    subject_json,
)

app = typer.Typer(help="Fit the model to a patient's recordings, with uncertainty.", no_args_is_help=True)

Profile = Annotated[Optional[list[str]], typer.Option(
    "--profile", help="free parameter whose profile likelihood to compute (adds about one optimisation "
    "each); repeat")]
FitMethod = Annotated[str, choices(METHOD_NAMES, "map (Laplace intervals) or nuts (full posterior)")]
AssumedSd = Annotated[Optional[list[str]], typer.Option(
    "--assumed-sd", metavar="NAME=SD", help="a held value known only to a spread: a parameter path, or body_mass "
    "or height, and the sd of its log (0.2: about 20 %); its error widens ci95_with_assumptions; repeat. "
    "A body size filled in from the growth charts gets their spread without it, and a held knee or ankle "
    "loop delay the published spread of its reflex latency (about 10 %)")]


def fit_settings(method: str, seed: int, profile, subject, assumed_sd, params0, free, joint: str):
    """The fit commands' :class:`~myoreflex.fit.FitSettings`: ``assumed_sd`` holds the default spreads
    (:func:`myoreflex.fit.pipeline.default_assumed_sd`: a body measure filled in, a held knee or ankle
    delay) and each ``--assumed-sd NAME=SD`` (which replaces a default that names the same values),
    checked against the fit's ``params0`` and ``free`` before any work (one-line error, exit 2)."""
    from myoreflex.errors import ParameterError
    from myoreflex.fit import FitSettings
    from myoreflex.fit.pipeline import default_assumed_sd, held_assumptions

    given = {}
    for entry in assumed_sd or ():
        name, _, value = entry.partition("=")
        try:
            sd = float(value)
        except ValueError:
            sd = None
        if not name or sd is None or not 0.0 < sd < 5.0:
            fail("--assumed-sd", "NAME=SD with SD the sd of the log in (0, 5), e.g. body_mass=0.2", entry)
        given[name.strip()] = (sd, "given with --assumed-sd")
    settings = run(lambda: FitSettings(method=method, seed=seed, profile=tuple(profile or ()),
                                       assumed_sd=default_assumed_sd(subject, joint, free, given)))
    try:
        held_assumptions(params0, free, settings)
    except ParameterError as exc:
        fail("--assumed-sd", "held values of the model (a parameter path, body_mass or height; joined by +)",
             str(exc))
    return settings


@app.command("pendulum")
def fit_pendulum_command(
    file: Annotated[Path, typer.Argument(help="pendulum recording (CSV, .mot/.sto, C3D, Motion-BIDS) or a "
                                              "dataset name", callback=recording_path)],
    coordinate: Coordinate = None,
    angle_sign: DetectedAngleSign = None,
    free: Annotated[Optional[list[str]], typer.Option(
        "--free", help="parameter path to fit; repeat (default myoreflex.fit.pendulum.DEFAULT_FREE)")] = None,
    profile: Profile = None,
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
    body_from: BodyFrom = None,
    assumed_sd: AssumedSd = None,
    method: FitMethod = "map",
    seed: Seed = 0,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
    plot: PlotFile = None,
    as_json: AsJson = False,
    samples_out: Annotated[Optional[Path], typer.Option(
        "--samples-out", help="with --method nuts: write the posterior draws by chain as netCDF (.nc), "
        "for arviz.from_netcdf")] = None,
    stretch: Annotated[Optional[list[Path]], typer.Option(
        "--stretch", help="a motorised stretch of the same knee (as `fit stretch` reads it: angle flexion "
        "positive, torque, EMG normalised to a maximal contraction or in V), fitted together with the "
        "swing; repeat", callback=recording_path)] = None,
    stretch_emg: Annotated[bool, typer.Option(
        "--stretch-emg/--no-stretch-emg", help="with --stretch: also fit the stretched muscle's EMG")] = True,
):
    """Fit reflex and passive parameters of the knee model to one pendulum recording.

    The recording must pass the pendulum's quality gates, as for ``assess pendulum``; ``--lenient``
    fits it anyway and names the failed gates in ``warnings``. The preset is the knee of the subject
    given (``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m`` or ``--body-from`` an IPSA
    file's metadata: ``myoreflex.subjects``,
    muscles and passive tissue scaled to the body; none: the 75 kg, 1.75 m adult), its motor-neuron threshold set to 0 pps unless freed (``fixed`` in the JSON; see
    ``myoreflex.fit.pendulum.DEFAULT_FREE``). Without ``--angle-sign`` the sign is
    found from the swing: a leg released from extension falls into flexion. ``--json`` adds to the
    documented keys ``identified`` (and why), ``convergence``, ``quality`` (good below 5 deg RMSE),
    ``angle_sign`` and, with ``--profile``, ``profiles``.

    A swing gives the reflex's torque only relative to the shank's inertia, which is held at the
    body's regression value (``assumptions``). ``--stretch`` adds motorised stretches of the same knee,
    fitted with the swing (``myoreflex.fit.fit_pendulum_and_stretch``): their torque and EMG measure the
    reflex itself, and ``rmse_nm`` joins ``rmse_deg``.
    """
    from myoreflex.fit import fit_pendulum, fit_pendulum_and_stretch
    from myoreflex.fit.pendulum import DEFAULT_FREE, DEFAULT_START
    from myoreflex.params import with_overrides
    from myoreflex.subjects import subject_params

    _check_fit_options(method)
    if samples_out is not None:
        from myoreflex.fit.result import POSTERIOR_SUFFIXES

        if method != "nuts":
            fail("--samples-out", "--method nuts (a map fit has no posterior draws)", f"--method {method}")
        check_output(samples_out, "--samples-out", inputs=[file], suffixes=POSTERIOR_SUFFIXES)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))
    check_free(free, "knee")
    check_free_together(free or DEFAULT_FREE, profile)
    check_plot(plot, inputs=[file, *(stretch or ())])
    converted = conversions(scale, offset, unit)
    trial, sign = pendulum_with_sign(file, coordinate, angle_sign, converted)
    stretches = read_stretch_recordings(stretch, 1.0, None, None) if stretch else None

    fixed = {path: value for path, value in DEFAULT_START.items() if path not in (free or DEFAULT_FREE)}
    params0 = run(lambda: with_overrides(subject_params("knee", subject), fixed))
    settings = fit_settings(method, seed, profile, subject, assumed_sd, params0, free or DEFAULT_FREE, "knee")

    def body():
        options = {"free": free} if free else {}
        if stretches:
            return fit_pendulum_and_stretch(trial, stretches, params0, emg=stretch_emg, settings=settings,
                                            lenient=lenient, **options)
        return fit_pendulum(trial, params0, settings=settings, lenient=lenient, **options)

    result = run(lambda: reported(body))
    if samples_out is not None:
        from myoreflex.fit.result import write_posterior

        run(lambda: write_posterior(result, samples_out))
    _report_fit(result, f"Pendulum fit: {file.name}",
                lambda out: f"Pendulum fit of {file.name}: RMSE {out['rmse_deg']:.2f} deg ({out['quality']}), "
                + (f"with {len(stretches)} stretches: torque RMSE {out['rmse_nm']:.3f} N m, " if stretches else "")
                + f"converged {out['converged']}", plot, as_json,
                extra={**sign, "fixed": fixed, **_subject_keys(subject)})


def _echo_params(out: dict):
    """Each parameter with its 95 % interval, and beside it the interval with the assumed segment size's
    error (``ci95_with_assumptions``) when the fit holds one fixed."""
    assumed = out.get("ci95_with_assumptions") or {}
    for name, value in out["params"].items():
        low, high = out["ci95"].get(name, (float("nan"), float("nan")))
        line = f"  {name:32s} {value:10.4g}   95 % [{low:.4g}, {high:.4g}]"
        if name in assumed:
            line += f"   with assumptions [{assumed[name][0]:.4g}, {assumed[name][1]:.4g}]"
        typer.echo(line)


FreeParams = Annotated[Optional[list[str]], typer.Option(
    "--free", help="parameter path to fit; repeat (default motoneuron.gain and motoneuron.threshold)")]
UseEmg = Annotated[bool, typer.Option("--emg/--no-emg", help="also fit the stretched muscle's EMG")]
EmgMuscle = Annotated[Optional[str], typer.Option(
    help="EMG channel emg_<muscle> to fit; default the agonist's or the first")]
StartCondition = Annotated[str, choices(CONDITION_NAMES, "preset the fit starts from (prior centre)", "--condition")]
StartSeverity = Annotated[float, typer.Option("--severity", help="severity of that preset in [0, 1]")]
SmoothingMs = Annotated[float, typer.Option(help="Savitzky-Golay window (ms) for a noisy angle; 0 = none",
                                             callback=number(0.0, 1000.0, unit="ms"))]


def _check_fit_options(method):
    """The fit method (the subject's options check themselves)."""
    from myoreflex.fit import METHODS

    if method not in METHODS:
        fail("--method", " or ".join(METHODS), method)


def _subject_keys(subject) -> dict:
    """The fit JSON's ``subject`` (resolved) and ``subject_assumed`` (what was filled in, and from where:
    :func:`myoreflex.subjects.assumed_body`)."""
    from myoreflex.subjects import assumed_body

    return {"subject": subject_json(subject), "subject_assumed": assumed_body(subject)}


def _report_fit(result, title: str, summary: Callable[[dict], str], plot, as_json: bool, extra=None):
    """A fit command's output: the figure (``--plot``), then the JSON contract (with ``extra`` keys) or a
    summary line (``summary`` of the result's dict), each parameter with its interval, and the disclaimer."""
    if plot:
        from myoreflex.report.figures import fit_figure, save_figure

        run(lambda: save_figure(fit_figure(result, title), plot))
    out = {**result.to_dict(), **(extra or {})}
    if as_json:
        import json

        typer.echo(json.dumps(out))
        return
    typer.echo(summary(out))
    _echo_params(out)
    if "angle_sign" in out:
        typer.echo(f"  angle sign {out['angle_sign']:g} ({out['angle_sign_source']})")
    for path, value in (out.get("fixed") or {}).items():
        typer.echo(f"  fixed {path} = {value:g}")
    for name, source in (out.get("subject_assumed") or {}).items():
        typer.echo(f"  ASSUMED {name} = {out['subject'][name]:.4g}: {source}")
    for path, effect in (out.get("assumptions") or {}).items():
        value = "" if effect["value"] is None else f" = {effect['value']:.4g}"
        typer.echo(f"  ASSUMED {path}{value}, known to {100 * effect['prior_sd_log']:.0f} %: {effect['source']}")
    if out.get("quality") == "poor":
        typer.echo(f"  POOR FIT: {out['quality_rule']}; check the body size, the preset and the recording")
    for name, ok in (out.get("identified") or {}).items():
        if not ok:
            typer.echo(f"  NOT IDENTIFIED: {name}")
    if not out["converged"]:
        for reason in out.get("convergence", {}).get("reasons", ()):
            typer.echo(f"  NOT CONVERGED: {reason}")
    for name, curve in (out.get("profiles") or {}).items():
        typer.echo(f"  profile {name}: rise {curve['rise_low']:.2f} below, {curve['rise_high']:.2f} above"
                   f"{' (flat)' if curve['flat'] else ''}")
    for warning in out.get("warnings", ()):
        typer.echo(f"  WARNING: {warning}")
    typer.echo(DISCLAIMER)


def reported(fit: Callable):
    """Run a fit without emitting its identification warnings: the report prints each one (a WARNING
    line; ``warnings`` in the JSON), so stderr would repeat it with a source line."""
    from myoreflex.fit.result import identification_warnings_silenced

    with identification_warnings_silenced():
        return fit()


def check_free(free, joint: str):
    """``--free``: distinct physical parameter paths of the joint's model, checked before any work."""
    import difflib

    from myoreflex.model import default_params
    from myoreflex.params import parameter_table

    if free is None:
        return
    if len(set(free)) != len(free):
        fail("--free", "distinct parameter paths", free)
    known = [row.path for row in parameter_table(default_params(joint))]
    for path in free:
        if path not in known:
            close = difflib.get_close_matches(path, known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else f" (see `myoreflex params --joint {joint}`)"
            fail("--free", f"a parameter path of the {joint} model{hint}", path)


def check_free_together(free, profile):
    """``--free`` without two parameters that enter the model only as their sum, and ``--profile`` among
    the free parameters (:data:`myoreflex.fit.pipeline.SUMMED`); one-line error, exit 2."""
    from myoreflex.fit.pipeline import SUMMED

    for group in SUMMED:
        together = [path for path in free if path in group]
        if len(together) > 1:
            fail("--free", f"at most one of {', '.join(group)} (the model reads only threshold + inhibition - "
                 "facilitation)", together)
    for name in profile or ():
        if name not in free:
            fail("--profile", f"a free parameter ({', '.join(free)})", name)


def check_stretch_fit_options(condition, severity, method):
    check_common(condition, severity)
    _check_fit_options(method)


def read_stretch_recordings(files, angle_sign: float, segment: Optional[int], speed: Optional[str],
                            converted: Optional[dict] = None):
    """The stretch Trials of ``files`` for a fit; bad input (a missing or unreadable file, no torque
    or angle channel) prints one line and exits with code 2."""
    from myoreflex.errors import RecordingError

    trials = []
    for path in files:
        try:
            got = read_stretches([path], angle_sign, segment, speed, converted)
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


@app.command("stretch")
def fit_stretch_command(
    files: Annotated[list[Path], typer.Argument(
        help="stretch recordings, e.g. one per velocity: CSV (time_s, <joint>_angle_deg, torque_Nm"
             "[, emg_...]), .mot/.sto, C3D or IPSA .mat, or dataset names", callback=recording_path)],
    joint: Annotated[Optional[str], choices(JOINT_NAMES, "the joint; default the files' joint, else elbow")] = None,
    free: FreeParams = None,
    profile: Profile = None,
    emg: UseEmg = False,
    emg_muscle: EmgMuscle = None,
    condition: StartCondition = "healthy",
    severity: StartSeverity = 0.0,
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
    body_from: BodyFrom = None,
    assumed_sd: AssumedSd = None,
    method: FitMethod = "map",
    seed: Seed = 0,
    smoothing_ms: SmoothingMs = 0.0,
    angle_sign: AngleSign = 1.0,
    segment: Segment = None,
    speed: Annotated[Optional[str], typer.Option(help="keep only segments with this stretch_speed label")] = None,
    scale: Scale = None,
    offset: Offset = None,
    unit: Unit = None,
    lenient: Lenient = False,
    plot: PlotFile = None,
    as_json: AsJson = False,
):
    """Fit reflex and passive parameters to motorized stretches at several velocities (torque, EMG).

    The model follows the recorded angle: --json gives rmse_deg null and rmse_nm, the torque RMSE (N m).
    The stretches must be of one joint (and subject and side where the files say); ``--lenient``
    fits them anyway and names the failed gate in ``warnings``.
    """
    from myoreflex.fit import fit_stretch

    check_stretch_fit_options(condition, severity, method)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))
    if joint is not None:
        check_joint(joint)
        check_free(free, joint)
    check_plot(plot, inputs=files)
    trials = read_stretch_recordings(files, angle_sign, segment, speed, conversions(scale, offset, unit))
    named = {t.metadata.get("joint") for t in trials} - {None}
    if joint is None:
        joint = named.pop() if len(named) == 1 else "elbow"
        check_joint(joint)
    elif named - {joint}:
        fail("--joint", f"the joint of the recordings ({', '.join(sorted(named))})", joint)
    check_free(free, joint)
    from myoreflex.fit.stretch import DEFAULT_FREE as STRETCH_FREE

    check_free_together(free or STRETCH_FREE, profile)
    from myoreflex.conditions import condition_preset

    params0 = run(lambda: condition_preset(joint, condition, severity, subject))
    settings = fit_settings(method, seed, profile, subject, assumed_sd, params0, free or STRETCH_FREE, joint)

    def body():
        from myoreflex.errors import RecordingError

        options = {"free": free} if free else {}
        try:
            return fit_stretch(trials, params0, emg=emg, emg_muscle=emg_muscle, smoothing_s=smoothing_ms / 1000.0,
                               settings=settings,
                               lenient=lenient, **options)
        except RecordingError as exc:  # what the recordings lack is bad input (exit 2), not a failed fit
            fail("FILE", "a stretch recording the fit can use", str(exc))

    result = run(lambda: reported(body))
    _report_fit(result, f"{joint} stretch fit",
                lambda out: f"Stretch fit of {len(trials)} {joint} recordings: "
                f"torque RMSE {out['rmse_nm']:.3f} N m, converged {out['converged']}", plot, as_json,
                extra=_subject_keys(subject))


