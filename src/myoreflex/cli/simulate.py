"""``myoreflex simulate ...`` and ``myoreflex demo``: virtual clinical tests on the model.

``simulate pendulum`` and ``simulate stretch`` have their own options and JSON contracts (README);
every other protocol of :data:`myoreflex.protocols.PROTOCOLS` gets a command generated from its
settings (``--<setting>-<unit>``), so a new protocol needs no edit here.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.cli._common import (
    DISCLAIMER,
    PENDULUM_CONTRACT_KEYS,
    AgeYears,
    AsJson,
    BodyFrom,
    BodyMassKg,
    Calibrated,
    Condition,
    EmgModel,
    EmgSeed,
    HeightM,
    Joint,
    Lenient,
    PlotFile,
    Severity,
    Sex,
    TreatmentOption,
    TrialOut,
    check_common,
    check_emg_out,
    check_joint,
    check_plot,
    check_trial_out,
    choices,
    emg_json,
    fail,
    make_subject,
    number,
    preset,
    print_warnings,
    run,
    save_plot,
    save_trial,
    setting_range,
    shown,
    subject_json,
    with_emg,
)
from myoreflex.units import (
    PENDULUM_DURATION_BOUNDS_S,
    PENDULUM_DURATION_S,
    PENDULUM_RELEASE_BOUNDS_DEG,
    PENDULUM_RELEASE_DEG,
)

DEDICATED = {"pendulum": "pendulum", "motorized_stretch": "stretch", "voluntary": "voluntary"}


def _treated(params, treatments):
    from myoreflex.treatments import apply_treatments

    return apply_treatments(params, treatments or ())


def _treatments_json(treatments) -> list[dict]:
    from myoreflex.treatments import treatments_json

    return treatments_json(treatments)


def pendulum_result(condition: str, severity: float, lenient: bool = False, subject=None, treatments=(),
                    calibrated: bool = False, test=None):
    from myoreflex.protocols import PendulumTest
    from myoreflex.protocols.pendulum import preset_step

    test = PendulumTest() if test is None else test
    trial = test.run(_treated(preset("knee", condition, severity, subject, calibrated), treatments),
                     dt=preset_step(calibrated), condition=condition, severity=severity)
    return trial, PendulumTest.measure(trial, lenient=lenient)


def simulate_pendulum(
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    plot: PlotFile = None,
    as_json: AsJson = False,
    lenient: Lenient = False,
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
    body_from: BodyFrom = None,
    out: TrialOut = None,
    treatment: TreatmentOption = None,
    from_fit: Annotated[Optional[Path], typer.Option(
        "--from-fit", help="simulate the subject a `myoreflex fit pendulum --json` output describes (its body, "
        "preset and fitted values) instead of a condition preset")] = None,
    draws: Annotated[int, typer.Option(
        help="with --from-fit: posterior draws to simulate for 95 % intervals of every measure (0: none)",
        callback=number(0, 10_000, integer=True))] = 0,
    emg: EmgModel = "excitation",
    emg_seed: EmgSeed = 0,
    calibrated: Calibrated = False,
    release_angle_deg: Annotated[float, typer.Option(
        "--release-angle-deg", help="knee flexion at release, deg (0 = full extension)",
        callback=number(*PENDULUM_RELEASE_BOUNDS_DEG, unit="deg"))] = PENDULUM_RELEASE_DEG,
    duration_s: Annotated[float, typer.Option(
        "--duration-s", help="swing recorded after the release, s", callback=number(*PENDULUM_DURATION_BOUNDS_S, unit="s"))] = PENDULUM_DURATION_S,
):
    """Simulate a pendulum (Wartenberg) test of the knee and print its measures.

    The subject (``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m`` or ``--body-from``;
    default the reference adult, 75 kg and 1.75 m) sets the leg's size and strength
    (myoreflex.subjects). ``--calibrated`` uses the presets calibrated on real recordings
    (docs/calibration.md); ``--release-angle-deg`` and ``--duration-s`` match a recording's start
    and length. ``--out`` writes the simulated recording (CSV, OpenSim .mot, Parquet).
    """
    check_common(condition, severity)
    check_plot(plot)
    check_trial_out(out)
    check_emg_out(emg, out)
    if from_fit is not None:
        return _pendulum_from_fit(from_fit, treatment, draws, plot, out, as_json, lenient)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))
    from myoreflex.protocols import PendulumTest
    from myoreflex.units import DEG

    test = PendulumTest(release_angle=release_angle_deg * DEG, duration=duration_s)
    trial, metrics = run(lambda: pendulum_result(condition, severity, lenient, subject, treatment, calibrated, test))
    trial = with_emg(trial, emg, emg_seed)
    if out:
        save_trial(trial, out)
    if plot:
        from myoreflex.report.figures import pendulum_figure

        label = f"{condition} {severity:g}" + (", calibrated presets" if calibrated else "")
        save_plot(pendulum_figure([trial], [label]), plot)
    values = metrics.as_dict()
    if as_json:
        out = {"condition": condition, "severity": severity, "calibrated": calibrated,
               "release_angle_deg": release_angle_deg, "duration_s": duration_s, "subject": subject_json(subject),
               "metrics": {k: values[k] for k in PENDULUM_CONTRACT_KEYS}, "warnings": list(metrics.warnings),
               "treatments": _treatments_json(treatment)}
        summary = emg_json(trial)
        if summary is not None:
            out["motor_unit_emg"] = summary
        typer.echo(json.dumps(out))
        return
    treated = "".join(f", {name}" + ("" if dose is None else f":{dose:g}") for name, dose in treatment or ())
    typer.echo(f"Pendulum test, {condition} (severity {severity:g}){treated}"
               + (", calibrated presets" if calibrated else ""))
    for key in PENDULUM_CONTRACT_KEYS:
        typer.echo(f"  {key:28s} {shown(values[key])}")
    print_warnings(metrics.warnings)
    typer.echo(DISCLAIMER)


def _pendulum_from_fit(fit_json: Path, treatments, draws: int, plot, out, as_json: bool, lenient: bool = False):
    """``simulate pendulum --from-fit``: the fitted subject re-simulated (with ``treatments``), each
    measure with a 95 % interval over ``draws`` posterior draws (myoreflex.fit.simulate_fit)."""
    from myoreflex.fit.simulate_fit import simulate_fit
    from myoreflex.protocols import PendulumTest
    from myoreflex.units import DEG

    if not fit_json.is_file():
        fail("--from-fit", "the JSON file of `myoreflex fit pendulum --json`", str(fit_json))
    try:
        fitted = json.loads(fit_json.read_text())
        release_angle = float(fitted["params"].get("initial_angle", 0.0))
        duration = float(fitted["data"]["to_s"]) - float(fitted["params"].get("release_time",
                                                                               fitted["data"]["from_s"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        fail("--from-fit", "the JSON of `myoreflex fit pendulum --json` (params, data)", f"{type(exc).__name__}: {exc}")
    # the test as recorded: released from the fitted angle, swung as long as the recording after its release
    test = PendulumTest.as_recorded(release_angle, duration)
    result = run(lambda: simulate_fit(fit_json, test, treatments or (), draws=draws, lenient=lenient))
    if out:
        save_trial(result.trial, out)
    if plot:  # with a treatment: the fitted leg before and after it, with each swing's landmarks
        from myoreflex.report.figures import pendulum_figure

        trials, labels = [result.trial], [f"fitted: {fit_json.stem}"]
        if treatments:
            untreated = run(lambda: simulate_fit(fit_json, test, (), draws=0)).trial
            named = ", ".join(name + ("" if dose is None else f":{dose:g}") for name, dose in treatments)
            trials, labels = [untreated, result.trial], ["fitted, untreated", f"fitted + {named}"]
        save_plot(pendulum_figure(trials, labels, title=f"Pendulum test of the subject fitted in {fit_json.name}"),
                  plot)
    metrics = {k: result.estimate[k] for k in PENDULUM_CONTRACT_KEYS}
    ci95 = {k: list(result.ci95[k]) for k in PENDULUM_CONTRACT_KEYS if k in result.ci95}
    if as_json:
        typer.echo(json.dumps({"from_fit": str(fit_json), "release_angle_deg": test.release_angle / DEG,
                               "duration_s": test.duration, "metrics": metrics, "ci95": ci95,
                               "draws": result.draws, "failed_draws": result.failed,
                               "treatments": _treatments_json(treatments),
                               "warnings": list(result.estimate.get("warnings", []))}))
        return
    typer.echo(f"Pendulum test of the subject fitted in {fit_json.name}" + (f" ({result.draws} draws)" if draws else ""))
    for key in PENDULUM_CONTRACT_KEYS:
        interval = f"   95 % [{shown(ci95[key][0])}, {shown(ci95[key][1])}]" if key in ci95 else ""
        typer.echo(f"  {key:28s} {shown(metrics[key])}{interval}")
    print_warnings(result.estimate.get("warnings", []))
    typer.echo(DISCLAIMER)


def stretch_results(joint: str, condition: str, severity: float, velocities_deg_s: list[float], subject=None,
                    treatments=()):
    from myoreflex.protocols import MotorizedStretch
    from myoreflex.units import DEG

    params = _treated(preset(joint, condition, severity, subject), treatments)
    trials = [MotorizedStretch(velocity=v * DEG).run(params, condition=condition, severity=severity)
              for v in velocities_deg_s]
    return trials, [MotorizedStretch.measure(t) for t in trials]


def simulate_stretch(
    joint: Joint = "elbow",
    velocity_deg_s: Annotated[Optional[list[float]], typer.Option(
        "--velocity-deg-s", help="stretch velocity (deg/s); repeat for several",
        callback=setting_range("motorized_stretch", "velocity_deg_s"))] = None,
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    plot: PlotFile = None,
    as_json: AsJson = False,
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
    body_from: BodyFrom = None,
    out: TrialOut = None,
    treatment: TreatmentOption = None,
    emg: EmgModel = "excitation",
    emg_seed: EmgSeed = 0,
):
    """Simulate motorized constant-velocity stretches at one or more velocities (for a subject:
    ``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m`` or ``--body-from``; default the
    reference adult). ``--out stretch.csv`` writes each stretch as ``stretch_<velocity>deg_s.csv``."""
    check_common(condition, severity)
    check_joint(joint)
    check_plot(plot)
    check_trial_out(out)
    check_emg_out(emg, out)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))
    velocities = velocity_deg_s or [5.0, 100.0, 236.0]
    trials, summaries = run(lambda: stretch_results(joint, condition, severity, velocities, subject, treatment))
    trials = [with_emg(trial, emg, emg_seed) for trial in trials]
    if out:
        for velocity, trial in zip(velocities, trials):
            save_trial(trial, out.with_name(f"{out.stem}_{velocity:g}deg_s{out.suffix}"))
    if plot:
        from myoreflex.report.figures import stretch_figure

        labels = [f"{v:g} deg/s" for v in velocities]
        save_plot(stretch_figure(trials, labels, f"{joint} stretch, {condition} {severity:g}"), plot)
    rows = [
        {"velocity_deg_s": v, "peak_torque_nm": s.peak_torque_nm, "peak_emg": s.peak_emg,
         "emg_onset_angle_deg": s.emg_onset_angle_deg, **({"motor_unit_emg": e} if e is not None else {})}
        for v, s, e in zip(velocities, summaries, map(emg_json, trials))
    ]
    if as_json:
        typer.echo(json.dumps({"condition": condition, "severity": severity, "joint": joint,
                               "subject": subject_json(subject), "trials": rows,
                               "treatments": _treatments_json(treatment)}))
        return
    typer.echo(f"Motorized {joint} stretch, {condition} (severity {severity:g})")
    typer.echo(f"  {'velocity (deg/s)':>17s} {'peak torque (N m)':>18s} {'peak EMG':>9s} {'EMG onset (deg)':>16s}")
    for row in rows:
        onset = "no reflex" if row["emg_onset_angle_deg"] is None else f"{row['emg_onset_angle_deg']:.1f}"
        typer.echo(f"  {row['velocity_deg_s']:17g} {row['peak_torque_nm']:18.2f} {row['peak_emg']:9.3f} {onset:>16s}")
    typer.echo(DISCLAIMER)


def protocol_command(name: str):
    """A ``simulate NAME`` command for a registered protocol: ``--joint``, the condition, one option per
    setting (``--<setting>-<unit>``, in the unit its name says), ``--json`` and ``--plot``.

    ``--json`` prints ``{"protocol", "condition", "severity", "joint", "subject", "settings",
    "metrics"}``, the metrics being the protocol's measure record (``as_dict()``) and the subject the
    resolved ``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m`` (:mod:`myoreflex.subjects`).
    """
    from myoreflex.protocols import PROTOCOLS, from_settings, settings
    from myoreflex.protocols.base import measure_trial

    protocol = PROTOCOLS[name]
    infos = settings(protocol)

    def command(**options):
        joint, condition, severity = options.pop("joint"), options.pop("condition"), options.pop("severity")
        plot, as_json, lenient = options.pop("plot"), options.pop("as_json"), options.pop("lenient")
        body_options = [options.pop(name) for name in ("age_years", "sex", "body_mass_kg", "height_m")]
        check_common(condition, severity)
        if joint not in protocol.joints:
            fail("--joint", " or ".join(protocol.joints), joint)
        check_plot(plot)
        subject = run(lambda: make_subject(*body_options))
        given = {info.edge_name: options[info.edge_name] for info in infos if options[info.edge_name] is not None}
        for info in infos:
            if info.default is None and info.edge_name not in given:
                fail(f"--{info.edge_name.replace('_', '-')}", f"{info.doc} ({info.edge_unit or 'a number'})", None)

        def body():
            test = from_settings(protocol, given)
            trial = test.run(preset(joint, condition, severity, subject), condition=condition, severity=severity)
            return test, trial, measure_trial(test, trial, lenient=lenient)

        test, trial, measures = run(body)
        if plot:
            from myoreflex.report.figures import stretch_figure

            save_plot(stretch_figure([trial], [f"{condition} {severity:g}"], f"{name}, {joint}"), plot)
        settings_out = {k: v for k, v in test.metadata().items() if k != "protocol"}
        values = measures.as_dict()
        if as_json:
            typer.echo(json.dumps({"protocol": name, "condition": condition, "severity": severity, "joint": joint,
                                   "subject": subject_json(subject), "settings": settings_out, "metrics": values},
                                  default=str))
            return
        typer.echo(f"{name} at the {joint}, {condition} (severity {severity:g})")
        warnings = values.pop("warnings", ())
        for key, value in values.items():
            typer.echo(f"  {key:28s} {shown(value)}")
        print_warnings(warnings)
        typer.echo(DISCLAIMER)

    parameters = [
        inspect.Parameter("joint", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                          default=choices(protocol.joints, "the joint", default=protocol.joints[0])),
        inspect.Parameter("condition", inspect.Parameter.KEYWORD_ONLY, annotation=Condition, default="healthy"),
        inspect.Parameter("severity", inspect.Parameter.KEYWORD_ONLY, annotation=Severity, default=0.0),
    ]
    for info in infos:
        flag = "--" + info.edge_name.replace("_", "-")
        unit = f"{info.edge_unit}; " if info.edge_unit else ""
        default = "required" if info.default is None else f"default {info.default:g}"
        parameters.append(inspect.Parameter(
            info.edge_name, inspect.Parameter.KEYWORD_ONLY, annotation=Optional[float],
            default=typer.Option(None, flag, help=f"{info.doc} ({unit}{default})")))
    parameters += [
        inspect.Parameter("plot", inspect.Parameter.KEYWORD_ONLY, annotation=PlotFile, default=None),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=AsJson, default=False),
        inspect.Parameter("lenient", inspect.Parameter.KEYWORD_ONLY, annotation=Lenient, default=False),
        inspect.Parameter("age_years", inspect.Parameter.KEYWORD_ONLY, annotation=AgeYears, default=None),
        inspect.Parameter("sex", inspect.Parameter.KEYWORD_ONLY, annotation=Sex, default=None),
        inspect.Parameter("body_mass_kg", inspect.Parameter.KEYWORD_ONLY, annotation=BodyMassKg, default=None),
        inspect.Parameter("height_m", inspect.Parameter.KEYWORD_ONLY, annotation=HeightM, default=None),
    ]
    command.__signature__ = inspect.Signature(parameters)
    command.__doc__ = f"Simulate the {name} protocol ({protocol.reference}) and print its measures."
    return command


VOLUNTARY_JOINTS = ("elbow", "knee")


def simulate_voluntary(
    joint: Annotated[str, choices(VOLUNTARY_JOINTS, "the joint that extends on purpose")] = "elbow",
    condition: Condition = "healthy",
    severity: Severity = 0.0,
    treatment: TreatmentOption = None,
    plot: PlotFile = None,
    as_json: AsJson = False,
    age_years: AgeYears = None,
    sex: Sex = None,
    body_mass_kg: BodyMassKg = None,
    height_m: HeightM = None,
    body_from: BodyFrom = None,
):
    """Simulate a fast voluntary extension to a target with the stretched muscle's reflex in the loop
    (myoreflex.protocols.voluntary): peak velocity, movement time, range reached, co-contraction and
    effort, the cost of spasticity in movement (Levin & Feldman)."""
    from myoreflex.protocols.voluntary import VoluntaryMovement
    from myoreflex.units import DEG

    check_common(condition, severity)
    if joint not in VOLUNTARY_JOINTS:
        fail("--joint", " or ".join(VOLUNTARY_JOINTS), joint)
    check_plot(plot)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))

    def body():
        trial = VoluntaryMovement().run(_treated(preset(joint, condition, severity, subject), treatment))
        return trial, VoluntaryMovement.measure(trial)

    trial, measures = run(body)
    if plot:  # the treated movement over the untreated one; without a treatment, over the healthy one
        from myoreflex.treatments import treatment_figure

        label = f"{condition} {severity:g}"
        if treatment:
            before = run(lambda: VoluntaryMovement().run(preset(joint, condition, severity, subject)))
            labels = (label, label + " + " + ", ".join(name for name, _ in treatment))
        else:
            before = run(lambda: VoluntaryMovement().run(preset(joint, "healthy", 0.0, subject)))
            labels = ("healthy", label)
        figure = treatment_figure(before, trial, labels=labels)
        axes = figure.axes[0]
        axes.axhline(VoluntaryMovement().target_angle(joint) / DEG, color="grey", linestyle=":", label="target")
        axes.set_title(f"Voluntary {joint} extension")
        axes.legend(loc="lower right")
        save_plot(figure, plot)
    metrics = measures.metrics()
    if as_json:
        typer.echo(json.dumps({"condition": condition, "severity": severity, "joint": joint,
                               "subject": subject_json(subject), "metrics": metrics,
                               "treatments": _treatments_json(treatment)}))
        return
    typer.echo(f"Voluntary {joint} extension, {condition} (severity {severity:g})")
    for key, value in metrics.items():
        typer.echo(f"  {key:28s} {shown(value)}")
    typer.echo(DISCLAIMER)


MOTONEURON_CONDITIONS = {"healthy": "healthy", "spinal_cord_injury": "sci"}
"""The reduced bistable motor neuron's parameter sets (myoreflex.physiology.bistable) by condition."""


def simulate_motoneuron(
    condition: Annotated[str, choices(tuple(MOTONEURON_CONDITIONS), "the motor neuron's state")] = "healthy",
    as_json: AsJson = False,
    seed: Annotated[int, typer.Option(help="seed of the motor units' discharge variability",
                                      callback=number(0, 2**31 - 1, integer=True))] = 0,
):
    """A slow triangular ramp of synaptic drive into a pool of bistable motor neurons (persistent
    inward currents): recruitment and derecruitment drive and the paired-motor-unit delta-F
    (Gorassini et al. 2002) of the simulated pool."""
    from myoreflex.protocols.motoneuron_ramp import motoneuron_ramp

    if condition not in MOTONEURON_CONDITIONS:
        fail("--condition", " or ".join(MOTONEURON_CONDITIONS), condition)
    out = {**run(lambda: motoneuron_ramp(MOTONEURON_CONDITIONS[condition], seed=seed)).as_dict(),
           "condition": condition}
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"Motor-neuron ramp, {condition}")
    for key, value in out.items():
        if key != "condition":
            typer.echo(f"  {key:28s} {shown(value)}")
    typer.echo(DISCLAIMER)


def simulate_cramp(
    condition: Annotated[str, typer.Option(help="healthy, fatigue, dehydration_salt_loss, low_calcium, low_magnesium, "
                                                "cold, shortened_position or cramp_prone")] = "healthy",
    severity: Severity = 1.0,
    relief: Annotated[Optional[str], typer.Option(
        help="applied 5 s into the cramp: static_stretch, antagonist_contraction, tendon_stimulation, warming or "
             "electrolyte_repletion")] = None,
    as_json: AsJson = False,
    seed: Annotated[int, typer.Option(help="seed of the motor units' discharge variability",
                                      callback=number(0, 2**31 - 1, integer=True))] = 0,
):
    """An electrically induced cramp (stimulation trains rising in 2 Hz steps from 4 Hz, as in the
    cramp-threshold-frequency studies) in a pool of bistable motor neurons: the cramp threshold
    frequency, the cramp's duration and its motor units' mean firing rate (myoreflex.cramps)."""
    from myoreflex.cramps import CONDITIONS as CRAMP_CONDITIONS
    from myoreflex.cramps import RELIEFS
    from myoreflex.protocols.cramp import simulate_cramp as cramp

    if condition not in CRAMP_CONDITIONS:
        fail("--condition", ", ".join(CRAMP_CONDITIONS), condition)
    if relief is not None and relief not in RELIEFS:
        fail("--relief", ", ".join(RELIEFS), relief)
    out = run(lambda: cramp(condition, severity, relief=relief, seed=seed)).as_dict()
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"Electrically induced cramp, {condition} (severity {severity:g})" + (f", {relief}" if relief else ""))
    for key, value in out.items():
        if key not in ("condition", "severity"):
            typer.echo(f"  {key:30s} {shown(value)}")
    typer.echo(DISCLAIMER)


def simulate_spasm(
    kind: Annotated[str, typer.Option(help="calf_cramp, tension_pain, neck_back_spasm, hemifacial_spasm, "
                                           "fasciculation or none")],
    out: Annotated[Path, typer.Option("--out", help="the EMG recording to write: .csv, .parquet")],
    seed: Annotated[int, typer.Option(help="seed of the motor units and the noise",
                                      callback=number(0, 2**31 - 1, integer=True))] = 0,
    duration_s: Annotated[float, typer.Option(help="recording length (s)", callback=number(2.0, 120.0, unit="s"))] = 8.0,
    noise_uv: Annotated[float, typer.Option(help="electrode noise (uV rms)", callback=number(0.0, 100.0, unit="uV"))] = 3.0,
):
    """Write a simulated surface-EMG recording of one of the five kinds of spasm of the source document
    (myoreflex.spasms: each with its mechanism and sources), for `myoreflex assess emg`."""
    from myoreflex.spasms import KINDS
    from myoreflex.spasms import simulate_spasm as spasm

    if kind not in KINDS:
        fail("--kind", ", ".join(KINDS), kind)
    check_trial_out(out)
    trial = run(lambda: spasm(kind, seed=seed, duration_s=duration_s, noise_uv=noise_uv))
    typer.echo(f"{kind} EMG written to {save_trial(trial, out)}")


def group() -> typer.Typer:
    """The ``simulate`` command group, with a command for every registered protocol."""
    from myoreflex.protocols import PROTOCOLS

    app = typer.Typer(help="Run a virtual clinical test on the reflex-loop model.", no_args_is_help=True)
    app.command("pendulum")(simulate_pendulum)
    app.command("stretch")(simulate_stretch)
    app.command("voluntary")(simulate_voluntary)
    app.command("motoneuron")(simulate_motoneuron)
    app.command("cramp")(simulate_cramp)
    app.command("spasm")(simulate_spasm)
    for name in PROTOCOLS:
        if name not in DEDICATED:
            app.command(name.replace("_", "-"))(protocol_command(name))
    return app


def demo(out: Annotated[Path, typer.Option(help="folder for the figures")] = Path("demo_output")):
    """Healthy vs spastic pendulum test and motorized elbow stretches, with a table and figures."""
    from myoreflex.report.figures import pendulum_figure, stretch_figure

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
        path = save_plot(pendulum_figure([t for _, _, t, _ in pend], [f"{c} {s:g}" for c, s, _, _ in pend]),
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
            path = save_plot(stretch_figure(trials, [f"{v:g} deg/s" for v in velocities],
                                            f"elbow stretch, {condition} {severity:g}"),
                             out / f"stretch_{condition}.png")
            typer.echo(f"  figure: {path}")

    run(body)
