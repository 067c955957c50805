"""What every command group shares: the one-line errors, option types, parameters, recordings.

Bad input (unknown condition or joint, severity outside [0, 1], velocity <= 0) prints one line
naming the flag, the allowed values and what was given, and exits with code 2; an error raised by
myoreflex while working prints one line and exits with code 1.
"""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from myoreflex.errors import MyoreflexError

DISCLAIMER = "Research and teaching tool, not a medical device: not for diagnosis or treatment decisions."

PENDULUM_CONTRACT_KEYS = ("r1", "r2n", "first_swing_excursion_deg", "plateau_deg", "n_oscillations",
                          "peak_velocity_deg_s", "time_to_peak_velocity_s", "period_s")
"""The metrics of the pendulum JSON contracts: :data:`myoreflex.measures.pendulum.CONTRACT_KEYS`, spelled
out here so that the command line builds without importing the measures (tests/test_cli.py checks they agree)."""

CONDITION_NAMES = ("healthy", "stroke", "spinal_cord_injury", "multiple_sclerosis", "cerebral_palsy")
JOINT_NAMES = ("knee", "elbow", "ankle", "wrist")
METHOD_NAMES = ("map", "nuts")
"""The choices that help lists and the shell completes, written here so that ``--help`` imports no
model: :data:`myoreflex.conditions.CONDITIONS`, :data:`myoreflex.model.JOINTS` and
:data:`myoreflex.fit.METHODS` decide what is accepted (tests/test_cli_polish.py checks they agree)."""


def choices(names, help: str, *flags: str, **options):
    """A typer option listing ``names`` in help (``[a|b|c]``) and completing them in the shell; the
    value stays free text, so a bad one gets the command's one-line error (exit 2), not click's."""
    return typer.Option(*flags, help=help, metavar="[" + "|".join(names) + "]",
                        autocompletion=lambda: list(names), **options)


def shown(value) -> str:
    """A measure for people (:func:`myoreflex.measures.shown`: 4 significant digits; ``--json`` keeps
    full precision)."""
    from myoreflex.measures import shown as for_people

    return for_people(value)


def clean_help(text: str | None) -> str | None:
    """A docstring as command help: reST literals (````x````) and roles (``:mod:`x```) as plain
    text, each paragraph on one line (the help wraps it to the terminal)."""
    if not text:
        return text
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", inspect.cleandoc(text)).replace("``", "")
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(line.strip() for line in paragraph.splitlines()) for paragraph in paragraphs)


def fail(flag: str, expected: str, got: object) -> None:
    """Print the one-line usage error and exit with code 2."""
    typer.echo(f"Error: {flag}: expected {expected}; got {got!r}", err=True)
    raise typer.Exit(code=2)


def check_common(condition: str, severity: float):
    from myoreflex.conditions import CONDITIONS

    if condition not in CONDITIONS:
        fail("--condition", f"one of {', '.join(CONDITIONS)}", condition)
    if not 0.0 <= severity <= 1.0:
        fail("--severity", "a number in [0, 1]", severity)


def check_joint(joint: str):
    from myoreflex.model import JOINTS

    if joint not in JOINTS:
        fail("--joint", f"one of {', '.join(JOINTS)}", joint)


def preset(joint: str, condition: str, severity: float, subject=None, calibrated: bool = False):
    """The preset of ``joint`` for ``subject`` (a :class:`myoreflex.subjects.Subject`; None: the
    reference adult, 75 kg and 1.75 m) under ``condition`` at ``severity``; ``calibrated``: the
    presets calibrated on real recordings (``--calibrated``, myoreflex.calibration)."""
    from myoreflex.conditions import condition_preset

    return condition_preset(joint, condition, severity, subject, calibrated=calibrated)


def make_subject(age_years=None, sex=None, body_mass_kg=None, height_m=None, body_from=None):
    """The :class:`myoreflex.subjects.Subject` of ``--age-years``, ``--sex``, ``--body-mass-kg`` and
    ``--height-m`` (each already checked by its option), or None when none was given;
    ``--body-from FILE`` takes body mass and height from a recording's metadata (an IPSA file's
    ``pinfo``, :func:`myoreflex.subjects.subject_from_file`), read now and never stored."""
    from myoreflex.subjects import Subject, subject_from_file

    given = {"age_years": age_years, "sex": sex, "body_mass_kg": body_mass_kg, "height_m": height_m}
    if body_from is not None:
        if body_mass_kg is not None or height_m is not None:
            fail("--body-from", "either --body-from or --body-mass-kg/--height-m", "both")
        body = subject_from_file(body_from)
        given.update(body_mass_kg=body.body_mass_kg, height_m=body.height_m)
    if all(value is None for value in given.values()):
        return None
    return Subject(**given)


def recording_path(param: typer.CallbackParam, value):
    """A file or folder argument: an existing path as given, else the name of an example recording
    (:mod:`myoreflex.datasets`, e.g. ``cp1-right-pendulum``), else the path as given (its command
    then says it is missing). Lists are mapped item by item."""
    from myoreflex import datasets

    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [datasets.resolve(item) for item in value]
    return datasets.resolve(value)


def subject_json(subject) -> dict:
    """The resolved subject for ``--json`` output (:func:`myoreflex.subjects.subject_json`)."""
    from myoreflex.subjects import subject_json as resolved

    return resolved(subject)


def run(action):
    """Turn myoreflex errors into one clean line (exit 1) instead of a traceback."""
    try:
        return action()
    except MyoreflexError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=1) from None


def save_plot(figure, path: Path) -> Path:
    from myoreflex.report.figures import save_figure

    return save_figure(figure, path)


def number(low: float = -math.inf, high: float = math.inf, *, unit: str = "", integer: bool = False):
    """A typer option callback: every value (one or a list) finite and in ``[low, high]``, else the
    one-line error naming the option and the range (exit 2), before any work."""
    kind = "an integer" if integer else "a number"
    shown = f" {unit}" if unit else ""

    def callback(param: typer.CallbackParam, value):
        for item in [] if value is None else value if isinstance(value, (list, tuple)) else [value]:
            if not (math.isfinite(item) and low <= item <= high):
                bounds = (f">= {low:g}" if math.isinf(high) else f"in [{low:g}, {high:g}]")
                fail(param.opts[0], f"{kind} {bounds}{shown}", item)
        return value

    return callback


def one_of(*choices):
    """A typer option callback: the value is one of ``choices`` (the one-line error lists them)."""

    def callback(param: typer.CallbackParam, value):
        if value is not None and value not in choices:
            fail(param.opts[0], " or ".join(f"{choice:g}" if isinstance(choice, float) else str(choice)
                                             for choice in choices), value)
        return value

    return callback


def setting_range(protocol: str, name: str):
    """A typer option callback: the value is inside the bounds the protocol declares for its setting
    ``name`` (edge units, e.g. ``velocity_deg_s`` of ``motorized_stretch``): one declaration."""

    def callback(param: typer.CallbackParam, value):
        from myoreflex.protocols import PROTOCOLS, settings

        info = next(info for info in settings(PROTOCOLS.lookup(protocol)) if info.edge_name == name)
        low, high = (bound / info.factor for bound in info.bounds)
        return number(low, high, unit=info.edge_unit)(param, value)

    return callback


SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx)://\S+$|^[\w.-]+:\d+$")


def _scheduler(param: typer.CallbackParam, value):
    if value is not None and value != "local" and not SCHEDULER_ADDRESS.match(value):
        fail(param.opts[0], "'local' (a LocalCluster) or a scheduler address such as tcp://host:8786", value)
    return value


Condition = Annotated[str, choices(CONDITION_NAMES, "the patient's condition")]
Joint = Annotated[str, choices(JOINT_NAMES, "the joint")]
Severity = Annotated[float, typer.Option(help="severity of the condition in [0, 1]", callback=number(0.0, 1.0))]
PlotFile = Annotated[Optional[Path], typer.Option("--plot", help="write a figure to this file (PNG, PDF, SVG)")]
AsJson = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]
AngleSign = Annotated[float, typer.Option(help="1, or -1 when the file's flexion is negative",
                                          callback=one_of(1.0, -1.0))]
Coordinate = Annotated[Optional[str], typer.Option(
    help="the file's angle: an OpenSim coordinate (knee_angle_r), a CSV column or a C3D analog label")]
TimeColumn = Annotated[Optional[str], typer.Option(help="CSV time column (default time_s or time_ms)")]
Lenient = Annotated[bool, typer.Option(
    "--lenient", help="measure a recording that fails a quality gate anyway, naming the gate in warnings")]
Scale = Annotated[Optional[list[str]], typer.Option(
    "--scale", help="CHANNEL=FACTOR: multiply a channel's file values, e.g. angle=35.68 (deg per V); repeat")]
Offset = Annotated[Optional[list[str]], typer.Option(
    "--offset", help="CHANNEL=VALUE: add to a channel's scaled values, in its --unit; repeat")]
Unit = Annotated[Optional[list[str]], typer.Option(
    "--unit", help="CHANNEL=UNIT: the unit of a channel's (scaled) values, e.g. angle=deg; repeat")]
from myoreflex.units import AGE_BOUNDS_YEARS as _AGE  # noqa: E402
from myoreflex.units import BODY_MASS_BOUNDS_KG as _MASS  # noqa: E402
from myoreflex.units import HEIGHT_BOUNDS_M as _HEIGHT  # noqa: E402
from myoreflex.units import SEXES as _SEXES  # noqa: E402

AgeYears = Annotated[Optional[float], typer.Option(
    "--age-years", help=f"subject's age in years ({_AGE[0]:g}-{_AGE[1]:g}); fills missing mass and height "
    "from the CDC 2000 growth charts", callback=number(*_AGE, unit="years"))]
Sex = Annotated[Optional[str], typer.Option(
    "--sex", help="subject's sex: female or male (growth-chart medians)", callback=one_of(*_SEXES))]
BodyMassKg = Annotated[Optional[float], typer.Option(
    "--body-mass-kg", help=f"subject's body mass in kg ({_MASS[0]:g}-{_MASS[1]:g}); default: from age and sex, "
    "or 75 kg", callback=number(*_MASS, unit="kg"))]
HeightM = Annotated[Optional[float], typer.Option(
    "--height-m", help=f"subject's height in m ({_HEIGHT[0]:g}-{_HEIGHT[1]:g}); default: from age and sex, "
    "or 1.75 m", callback=number(*_HEIGHT, unit="m"))]
Calibrated = Annotated[bool, typer.Option(
    "--calibrated", help="the presets calibrated on real pendulum recordings (the knee: healthy on a typically "
    "developing child, TD5; cerebral palsy on CP1's spastic knee; docs/calibration.md) instead of the cited, "
    "hand-set sizes")]


def _check_treatments(param: typer.CallbackParam, value):
    """``--treatment NAME[:DOSE]`` values checked before any work (one-line error, exit 2)."""
    from myoreflex.errors import ParameterError
    from myoreflex.treatments import parse_treatment

    try:
        return [parse_treatment(item) for item in value or ()]
    except ParameterError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from None


TreatmentOption = Annotated[Optional[list[str]], typer.Option(
    "--treatment", help="NAME[:DOSE], applied after the condition; repeat to combine (botulinum_toxin, "
    "baclofen_oral, baclofen_intrathecal, tizanidine, dantrolene, rhizotomy, stretching, casting, cooling, "
    "warming; doses and sources: docs/treatments.md)", callback=_check_treatments)]


BodyFrom = Annotated[Optional[Path], typer.Option(
    "--body-from", help="take body mass and height from a recording's metadata (an IPSA .mat file's pinfo, "
    "or a dataset name such as cp1-right-ankle-stretches)", callback=recording_path)]
Seed = Annotated[int, typer.Option(help="random seed, an integer >= 0", callback=number(0, 2**32 - 1, integer=True))]
Segment = Annotated[Optional[int], typer.Option(help="segment index in multi-segment files",
                                                callback=number(0, 1_000_000, integer=True))]
Scheduler = Annotated[Optional[str], typer.Option(help="Dask: 'local' for a LocalCluster, or a scheduler address",
                                                  callback=_scheduler)]


PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".tif", ".tiff", ".eps", ".ps", ".webp")
"""Figure formats matplotlib writes (``--plot``)."""


def check_output(path: Optional[Path], flag: str, *, inputs=(), suffixes=None) -> Optional[Path]:
    """An output option checked before any work (folder there and writable, not a directory, a known
    extension, not one of the inputs): the one-line error (exit 2) otherwise. None passes."""
    if path is None:
        return None
    from myoreflex.errors import OutputError
    from myoreflex.io.results import TABLE_SUFFIXES
    from myoreflex.io.results import check_output as check

    try:
        return check(path, inputs=inputs, suffixes=suffixes or TABLE_SUFFIXES, what=flag)
    except OutputError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from None


TrialOut = Annotated[Optional[Path], typer.Option(
    "--out", help="write the simulated recording: .csv (reads back exactly), .mot (OpenSim, degrees) or .parquet")]


def check_trial_out(path: Optional[Path]) -> Optional[Path]:
    """``--out`` of a simulation checked before any work (:func:`check_output` with the trial writers)."""
    if path is None:
        return None
    from myoreflex.io.writers import WRITERS

    return check_output(path, "--out", suffixes=tuple(WRITERS))


EmgModel = Annotated[str, typer.Option(
    "--emg", help="the simulated EMG: 'excitation' (the loop's normalised drive, 0-1) or 'motor-units' (adds "
    "surface EMG in V from Fuglevand motor-unit pools driven by the loop, at 2 kHz; myoreflex.motor_unit_emg)",
    callback=one_of("excitation", "motor-units"))]
EmgSeed = Annotated[int, typer.Option("--emg-seed", help="with --emg motor-units: the random seed (same seed, same EMG)",
                                      callback=number(0, 2**32 - 1, integer=True))]


def with_emg(trial, emg: str, seed: int):
    """The simulated ``trial`` with motor-unit surface EMG when ``emg`` is 'motor-units'
    (:func:`myoreflex.motor_unit_emg.with_motor_units`), else as it is."""
    if emg != "motor-units":
        return trial
    from myoreflex.motor_unit_emg import with_motor_units

    return run(lambda: with_motor_units(trial, seed=seed))


def emg_json(trial) -> dict | None:
    """The motor-unit EMG's summary for ``--json`` (None without it): per muscle, units recruited,
    discharges, the surface EMG's RMS and peak (uV)."""
    import numpy as np

    summary = trial.metadata.get("motor_unit_emg")
    if summary is None:
        return None
    muscles = {}
    for muscle, row in summary["muscles"].items():
        emg = trial[f"emg_surface_{muscle}"]
        muscles[muscle] = {"n_recruited": row["n_recruited"], "n_discharges": row["n_discharges"],
                           "rms_uv": float(np.sqrt(np.mean(emg**2)) * 1e6), "peak_uv": float(np.max(np.abs(emg)) * 1e6)}
    return {"rate_hz": summary["rate_hz"], "seed": summary["seed"], "muscles": muscles}


def check_emg_out(emg: str, out: Optional[Path]) -> None:
    """``--out`` with ``--emg motor-units``: CSV or Parquet (OpenSim storage has no unit for volts)."""
    if emg == "motor-units" and out is not None and out.suffix == ".mot":
        fail("--out", "a .csv or .parquet file with --emg motor-units (a .mot carries no EMG)", str(out))


def save_trial(trial, path: Path) -> Path:
    """Write a simulated recording (:func:`myoreflex.io.write_trial`); a ``.mot`` carries the angle,
    its velocity and the joint torque (OpenSim storage has no unit for normalised excitations)."""
    from myoreflex.io.writers import write_trial

    if "motor_unit_emg" in trial.metadata:  # the surface EMG, and each muscle's discharges beside it
        from myoreflex.motor_unit_emg import write_motor_unit_emg

        return run(lambda: write_motor_unit_emg(trial, path))[0]
    channels = [c for c in ("angle", "angular_velocity", "torque") if c in trial] if path.suffix == ".mot" else None
    return run(lambda: write_trial(trial, path, channels=channels))


def check_plot(path: Optional[Path], *, inputs=()) -> Optional[Path]:
    """``--plot`` checked before any work (:func:`check_output` with the figure formats)."""
    return check_output(path, "--plot", inputs=inputs, suffixes=PLOT_SUFFIXES)


def conversions(scale, offset, unit) -> Optional[dict]:
    """The readers' ``conversions`` from ``--scale``, ``--offset``, ``--unit`` (one-line error, exit 2)."""
    if not (scale or offset or unit):
        return None
    from myoreflex.errors import ParameterError
    from myoreflex.io import parse_conversions

    try:
        return parse_conversions(scale=scale or (), offset=offset or (), unit=unit or ())
    except ParameterError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from None


Decimal = Annotated[Optional[str], typer.Option(
    "--decimal", help="a CSV's decimal mark: '.' or ',' (default: ',' only in ';'- or tab-separated files)",
    callback=one_of(".", ","))]


DetectedAngleSign = Annotated[Optional[float], typer.Option(
    "--angle-sign", help="1, or -1 when the file's flexion is negative; default: found from the swing "
    "(a leg released from extension falls into flexion)", callback=one_of(1.0, -1.0))]


def pendulum_with_sign(file: Path, coordinate, angle_sign: Optional[float], converted, time_column=None,
                       decimal=None):
    """The pendulum recording in myoreflex's convention (flexion positive) and the sign that gave it
    (:func:`myoreflex.io.read_pendulum`: found from the swing when ``angle_sign`` is None); a sign
    that contradicts the swing, or an option the file's reader does not take, is a one-line error (exit 2)."""
    from myoreflex.errors import ParameterError
    from myoreflex.io import read_pendulum

    if not file.is_file():
        fail("FILE", "an existing recording file or a dataset name (myoreflex datasets list)", str(file))
    given = {"angle_channel": coordinate, "time_column": time_column, "conversions": converted, "decimal": decimal}
    try:
        return read_pendulum(file, angle_sign=angle_sign,
                             **{name: value for name, value in given.items() if value is not None})
    except MyoreflexError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2 if isinstance(exc, ParameterError) else 1) from None


def assess_pendulum_file(path: Path, coordinate=None, angle_sign=None, time_column=None, *, lenient=False,
                         converted=None, decimal=None):
    """A pendulum recording, its measures (quality gates checked; ``lenient`` names failures) and its
    sign (:func:`myoreflex.io.read_pendulum`: found from the swing when ``angle_sign`` is None)."""
    from myoreflex.io import read_pendulum
    from myoreflex.measures.pendulum import measure

    if not path.is_file():
        fail("FILE", "an existing recording file", str(path))
    given = {"angle_channel": coordinate, "time_column": time_column, "conversions": converted, "decimal": decimal}
    trial, sign = read_pendulum(path, angle_sign=angle_sign,
                                **{name: value for name, value in given.items() if value is not None})
    return trial, measure(trial, lenient=lenient), sign



def read_stretches(paths, angle_sign: float, segment: Optional[int] = None, speed: Optional[str] = None,
                   converted: Optional[dict] = None):
    """Every stretch Trial in ``paths`` (a multi-segment file gives all its segments, or one);
    ``converted``: the readers' ``conversions`` (:func:`conversions`)."""
    from myoreflex.io import read_trials

    trials = []
    for path in paths:
        if not path.is_file():
            fail("FILE", "an existing recording file", str(path))
        segments = read_trials(path, angle_sign=angle_sign, **({"conversions": converted} if converted else {}))
        if segment is not None:
            if not 0 <= segment < len(segments):
                fail("--segment", f"an index in [0, {len(segments) - 1}] for {path.name}", segment)
            segments = [segments[segment]]
        if speed is not None:
            segments = [t for t in segments if t.stretch_speed == speed]
        trials.extend(segments)
    return trials


def print_warnings(warnings) -> None:
    """Failed quality gates of a lenient measure, one line each after the numbers."""
    for warning in warnings:
        typer.echo(f"  WARNING: {warning}")
