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
    Condition,
    HeightM,
    Joint,
    Lenient,
    PlotFile,
    Severity,
    Sex,
    TrialOut,
    check_common,
    check_joint,
    check_plot,
    check_trial_out,
    choices,
    fail,
    make_subject,
    preset,
    print_warnings,
    run,
    save_plot,
    save_trial,
    setting_range,
    shown,
    subject_json,
)

DEDICATED = {"pendulum": "pendulum", "motorized_stretch": "stretch"}
"""Protocols with a hand-written command (registry name -> command name)."""


def pendulum_result(condition: str, severity: float, lenient: bool = False, subject=None):
    from myoreflex.protocols import PendulumTest

    trial = PendulumTest().run(preset("knee", condition, severity, subject), condition=condition,
                               severity=severity)
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
):
    """Simulate a pendulum (Wartenberg) test of the knee and print its measures.

    The subject (``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m`` or ``--body-from``;
    default the reference adult, 75 kg and 1.75 m) sets the leg's size and strength
    (myoreflex.subjects). ``--out`` writes the simulated recording (CSV, OpenSim .mot, Parquet).
    """
    check_common(condition, severity)
    check_plot(plot)
    check_trial_out(out)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))
    trial, metrics = run(lambda: pendulum_result(condition, severity, lenient, subject))
    if out:
        save_trial(trial, out)
    if plot:
        from myoreflex.report.figures import pendulum_figure

        save_plot(pendulum_figure([trial], [f"{condition} {severity:g}"]), plot)
    values = metrics.as_dict()
    if as_json:
        out = {"condition": condition, "severity": severity, "subject": subject_json(subject),
               "metrics": {k: values[k] for k in PENDULUM_CONTRACT_KEYS}, "warnings": list(metrics.warnings)}
        typer.echo(json.dumps(out))
        return
    typer.echo(f"Pendulum test, {condition} (severity {severity:g})")
    for key in PENDULUM_CONTRACT_KEYS:
        typer.echo(f"  {key:28s} {shown(values[key])}")
    print_warnings(metrics.warnings)
    typer.echo(DISCLAIMER)


def stretch_results(joint: str, condition: str, severity: float, velocities_deg_s: list[float], subject=None):
    from myoreflex.protocols import MotorizedStretch
    from myoreflex.units import DEG

    params = preset(joint, condition, severity, subject)
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
):
    """Simulate motorized constant-velocity stretches at one or more velocities (for a subject:
    ``--age-years``, ``--sex``, ``--body-mass-kg``, ``--height-m`` or ``--body-from``; default the
    reference adult). ``--out stretch.csv`` writes each stretch as ``stretch_<velocity>deg_s.csv``."""
    check_common(condition, severity)
    check_joint(joint)
    check_plot(plot)
    check_trial_out(out)
    subject = run(lambda: make_subject(age_years, sex, body_mass_kg, height_m, body_from))
    velocities = velocity_deg_s or [5.0, 100.0, 236.0]
    trials, summaries = run(lambda: stretch_results(joint, condition, severity, velocities, subject))
    if out:
        for velocity, trial in zip(velocities, trials):
            save_trial(trial, out.with_name(f"{out.stem}_{velocity:g}deg_s{out.suffix}"))
    if plot:
        from myoreflex.report.figures import stretch_figure

        labels = [f"{v:g} deg/s" for v in velocities]
        save_plot(stretch_figure(trials, labels, f"{joint} stretch, {condition} {severity:g}"), plot)
    rows = [
        {"velocity_deg_s": v, "peak_torque_nm": s.peak_torque_nm, "peak_emg": s.peak_emg,
         "emg_onset_angle_deg": s.emg_onset_angle_deg}
        for v, s in zip(velocities, summaries)
    ]
    if as_json:
        typer.echo(json.dumps({"condition": condition, "severity": severity, "joint": joint,
                               "subject": subject_json(subject), "trials": rows}))
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


def group() -> typer.Typer:
    """The ``simulate`` command group, with a command for every registered protocol."""
    from myoreflex.protocols import PROTOCOLS

    app = typer.Typer(help="Run a virtual clinical test on the reflex-loop model.", no_args_is_help=True)
    app.command("pendulum")(simulate_pendulum)
    app.command("stretch")(simulate_stretch)
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
