"""The computations behind the pages and the API, with no web framework in them.

Each function takes plain values (a file on disk, a mapping of options), calls the library's own
readers, measures, protocols and figures, and returns plain data: the JSON of the command line's
``--json`` contracts (:func:`assess_json`, :func:`simulate_json`), measure tables with the healthy
references the code carries (:func:`pendulum_rows`), PNG figures, the signals along the reflex loop
(:func:`loop_signals`) and downloads (:func:`trial_download`).

Simulations are cached (:func:`simulated`, least recently used, keyed by the validated options) so a
page that asks for the numbers and the figure of one setting simulates once; the compiled model is
kept by :mod:`myoreflex.runtime` for the life of the server process.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import math
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from myoreflex.errors import ParameterError, describe
from myoreflex.measures.pendulum import CONTRACT_KEYS as PENDULUM_CONTRACT_KEYS  # noqa: F401 (the app's contract)
from myoreflex.subjects import subject_json
from myoreflex.units import PENDULUM_DURATION_S, PENDULUM_RELEASE_DEG

TESTS = ("pendulum", "manual")
"""What ``POST /api/assess`` measures (``test=``): a pendulum recording (``assess pendulum``) or a
file of hand-held stretches such as an IPSA ``.mat`` (``assess manual``)."""
SIMULATED = ("pendulum", "stretch")
RECORD = ("angle", "angular_velocity", "torque", "emg", "activation", "force", "ia", "ii", "ib")
"""What the app's simulations record: every signal the Teach page follows around the loop (one
compiled model serves every page)."""
STRETCH_VELOCITIES_DEG_S = (5.0, 100.0, 236.0)
FIGURE_DPI = 90
COMPUTE = threading.Lock()
"""One computation at a time: a small server shares its cores between requests, not within one."""


# ------------------------------------------------------------------------------------------------
# Options


def _number(options: Mapping, name: str, low: float, high: float, unit: str = "", default=None):
    value = options.get(name, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ParameterError(describe(name, f"a number in [{low:g}, {high:g}] {unit}".rstrip(), repr(value)))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(describe(name, f"a number in [{low:g}, {high:g}] {unit}".rstrip(), repr(value))) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ParameterError(describe(name, f"a number in [{low:g}, {high:g}] {unit}".rstrip(), repr(value)))
    return number


def _flag(options: Mapping, name: str) -> bool:
    value = options.get(name, False)
    if isinstance(value, str):
        value = value.strip().lower()
        if value in ("", "0", "false", "no", "off"):
            return False
        if value in ("1", "true", "yes", "on"):
            return True
    if isinstance(value, bool):
        return value
    raise ParameterError(describe(name, "true or false", repr(value)))


@dataclasses.dataclass(frozen=True)
class SimulationOptions:
    """The validated options of a simulation (the ``simulate pendulum`` / ``simulate stretch`` flags,
    plus an optional treatment ``NAME[:DOSE]``)."""

    test: str = "pendulum"
    condition: str = "healthy"
    severity: float = 0.0
    lenient: bool = False
    age_years: float | None = None
    sex: str | None = None
    body_mass_kg: float | None = None
    height_m: float | None = None
    treatment: str | None = None
    joint: str = "elbow"
    velocity_deg_s: tuple[float, ...] = STRETCH_VELOCITIES_DEG_S
    calibrated: bool = False  # the presets calibrated on real recordings (the knee; --calibrated)
    release_angle_deg: float = PENDULUM_RELEASE_DEG  # the pendulum's release (--release-angle-deg)
    duration_s: float = PENDULUM_DURATION_S  # the pendulum's swing (--duration-s)

    def subject(self):
        from myoreflex.subjects import Subject

        given = {"age_years": self.age_years, "sex": self.sex, "body_mass_kg": self.body_mass_kg,
                 "height_m": self.height_m}
        return None if all(v is None for v in given.values()) else Subject(**given)


OPTION_NAMES = ("test", "condition", "severity", "lenient", "age_years", "sex", "body_mass_kg", "height_m",
                "treatment", "joint", "velocity_deg_s", "calibrated", "release_angle_deg", "duration_s")


def simulation_options(raw: Mapping[str, Any]) -> SimulationOptions:
    """Check the options of a simulation (``POST /api/simulate``'s JSON or a page's query) and
    return them; a bad one raises :class:`~myoreflex.errors.ParameterError` naming it, the allowed
    values and what was given, as the command line's one-line errors do."""
    from myoreflex.conditions import CONDITIONS
    from myoreflex.model import JOINTS
    from myoreflex.units import (
        AGE_BOUNDS_YEARS,
        BODY_MASS_BOUNDS_KG,
        HEIGHT_BOUNDS_M,
        PENDULUM_DURATION_BOUNDS_S,
        PENDULUM_RELEASE_BOUNDS_DEG,
        SEXES,
    )

    if not isinstance(raw, Mapping):
        raise ParameterError(describe("request body", "a JSON object of options", type(raw).__name__))
    unknown = sorted(set(raw) - set(OPTION_NAMES))
    if unknown:
        raise ParameterError(describe("options", f"names among {', '.join(OPTION_NAMES)}", ", ".join(unknown)))
    test = str(raw.get("test") or "pendulum")
    if test not in SIMULATED:
        raise ParameterError(describe("test", " or ".join(SIMULATED), repr(test)))
    condition = raw.get("condition") or "healthy"
    if condition not in CONDITIONS:
        raise ParameterError(describe("condition", f"one of {', '.join(CONDITIONS)}", repr(condition)))
    sex = raw.get("sex") or None
    if sex is not None and sex not in SEXES:
        raise ParameterError(describe("sex", " or ".join(SEXES), repr(sex)))
    joint = raw.get("joint") or "elbow"
    if joint not in JOINTS:
        raise ParameterError(describe("joint", f"one of {', '.join(JOINTS)}", repr(joint)))
    treatment = raw.get("treatment") or None
    if treatment is not None:
        from myoreflex.treatments import parse_treatment

        if not isinstance(treatment, str):
            raise ParameterError(describe("treatment", "NAME or NAME:DOSE", repr(treatment)))
        name, dose = parse_treatment(treatment)
        treatment = name if dose is None else f"{name}:{dose:g}"
    velocities = raw.get("velocity_deg_s")
    if velocities in (None, "", []):
        velocities = STRETCH_VELOCITIES_DEG_S
    else:
        from myoreflex.protocols import PROTOCOLS, settings

        info = next(i for i in settings(PROTOCOLS.lookup("motorized_stretch")) if i.edge_name == "velocity_deg_s")
        low, high = (bound / info.factor for bound in info.bounds)
        listed = velocities if isinstance(velocities, (list, tuple)) else [velocities]
        if not 1 <= len(listed) <= 6:
            raise ParameterError(describe("velocity_deg_s", "1 to 6 velocities", len(listed)))
        velocities = tuple(_number({"velocity_deg_s": v}, "velocity_deg_s", low, high, "deg/s") for v in listed)
    options = SimulationOptions(
        test=test, condition=condition,
        severity=_number(raw, "severity", 0.0, 1.0, default=0.0),
        lenient=_flag(raw, "lenient"),
        age_years=_number(raw, "age_years", *AGE_BOUNDS_YEARS, "years"),
        sex=sex,
        body_mass_kg=_number(raw, "body_mass_kg", *BODY_MASS_BOUNDS_KG, "kg"),
        height_m=_number(raw, "height_m", *HEIGHT_BOUNDS_M, "m"),
        treatment=treatment, joint=joint, velocity_deg_s=velocities,
        calibrated=_flag(raw, "calibrated"),
        release_angle_deg=_number(raw, "release_angle_deg", *PENDULUM_RELEASE_BOUNDS_DEG, "deg", default=PENDULUM_RELEASE_DEG),
        duration_s=_number(raw, "duration_s", *PENDULUM_DURATION_BOUNDS_S, "s", default=PENDULUM_DURATION_S),
    )
    options.subject()  # checks the combination (e.g. growth charts for the age)
    return options


def _params(options: SimulationOptions, joint: str):
    from myoreflex.conditions import condition_preset

    params = condition_preset(joint, options.condition, options.severity, options.subject(),
                              calibrated=options.calibrated)
    if options.treatment:
        from myoreflex.treatments import apply_treatments

        params = apply_treatments(params, [options.treatment])
    return params


@functools.lru_cache(maxsize=64)
def simulated(options: SimulationOptions):
    """The simulated trials of ``options`` and their measure records (cached): a pendulum test of
    the knee (``simulate pendulum``) or motorized stretches at each velocity (``simulate stretch``)."""
    from myoreflex.protocols import MotorizedStretch, PendulumTest
    from myoreflex.protocols.pendulum import preset_step
    from myoreflex.units import DEG

    with COMPUTE:
        if options.test == "pendulum":
            test = PendulumTest(release_angle=options.release_angle_deg * DEG, duration=options.duration_s)
            trial = test.run(_params(options, "knee"), record=RECORD, condition=options.condition,
                             severity=options.severity, dt=preset_step(options.calibrated))
            return (trial,), (PendulumTest.measure(trial, lenient=options.lenient),)
        params = _params(options, options.joint)
        trials = tuple(MotorizedStretch(velocity=v * DEG).run(params, record=RECORD, condition=options.condition,
                                                              severity=options.severity)
                       for v in options.velocity_deg_s)
        return trials, tuple(MotorizedStretch.measure(t) for t in trials)


def simulate_json(options: SimulationOptions) -> dict:
    """The JSON of ``myoreflex simulate pendulum --json`` (or ``simulate stretch --json``) for
    ``options``, with its ``"treatments"`` as the command line gives them."""
    _, records = simulated(options)
    subject = options.subject()
    out: dict[str, Any] = {"condition": options.condition, "severity": options.severity}
    if options.test == "pendulum":
        out.update({"calibrated": options.calibrated, "release_angle_deg": options.release_angle_deg,
                    "duration_s": options.duration_s, "subject": subject_json(subject), **records[0].contract()})
    else:
        out.update({"joint": options.joint, "subject": subject_json(subject), "trials": [
            {"velocity_deg_s": v, "peak_torque_nm": s.peak_torque_nm, "peak_emg": s.peak_emg,
             "emg_onset_angle_deg": s.emg_onset_angle_deg} for v, s in zip(options.velocity_deg_s, records)]})
    from myoreflex.treatments import treatments_json

    out["treatments"] = treatments_json([options.treatment] if options.treatment else [])
    return _plain(out)


def simulation_label(options: SimulationOptions) -> str:
    label = f"{options.condition} {options.severity:g}"
    return f"{label} + {options.treatment}" if options.treatment else label


def simulation_png(options: SimulationOptions) -> bytes:
    """The figure of a simulation as PNG: the pendulum with its landmarks, or the stretches."""
    from myoreflex.report.figures import pendulum_figure, stretch_figure

    trials, records = simulated(options)
    label = simulation_label(options)
    if options.test == "pendulum":
        figure = pendulum_figure(list(trials), [label], title=f"Pendulum test: {label}", records=list(records))
    else:
        figure = stretch_figure(list(trials), [f"{v:g} deg/s" for v in options.velocity_deg_s],
                                f"{options.joint} stretch, {label}")
    return png(figure)


def png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _plain(data):
    """JSON-ready data (NumPy scalars, tuples and the like as their JSON form; non-finite as null)."""
    def fix(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(json.loads(json.dumps(data, default=_default)))


def _default(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


# ------------------------------------------------------------------------------------------------
# Recordings


@dataclasses.dataclass(frozen=True)
class Assessment:
    """A measured recording: its shown name, the test, the trials, the records and the JSON."""

    name: str
    test: str
    trials: tuple
    records: tuple
    data: dict
    options: dict


def assess(path: Path, *, name: str, test: str = "pendulum", coordinate: str | None = None,
           angle_sign: float | None = None, time_column: str | None = None, lenient: bool = False) -> Assessment:
    """Measure one recording as ``myoreflex assess pendulum`` (or ``assess manual``) does; the JSON
    is that command's ``--json`` with ``file`` the shown name (never a server path). Without
    ``angle_sign`` a pendulum's sign is found from its swing, as the command does."""
    from myoreflex.errors import RecordingError
    from myoreflex.io import read_trials

    if test not in TESTS:
        raise ParameterError(describe("test", " or ".join(TESTS), repr(test)))
    given = {"angle_channel": coordinate or None, "angle_sign": angle_sign, "time_column": time_column or None}
    # Checked where the file is read, by myoreflex.io.read_trials (also inside read_pendulum): an option
    # the file's reader does not take raises ParameterError naming those it takes, before any data are
    # read. A pendulum's angle_sign is applied by read_pendulum even where the reader has no sign
    # option (Parquet), as `assess pendulum` does.
    options = {name: value for name, value in given.items() if value is not None}
    if test == "pendulum":
        from myoreflex.io import read_pendulum
        from myoreflex.measures.pendulum import measure

        with COMPUTE:
            try:
                trial, sign = read_pendulum(path, **options)
            except RecordingError as error:
                if "segments" not in str(error):  # only a multi-segment file gets the hint
                    raise
                raise RecordingError(f"{error} (a file of stretch segments is measured with test=manual)") from None
        options = {**options, "angle_sign": sign["angle_sign"]}
        metrics = measure(trial, lenient=lenient)
        data = {"file": name, **metrics.contract(), **sign}
        return Assessment(name, test, (trial,), (metrics,), _plain(data), options)
    with COMPUTE:
        trials = read_trials(path, **options)
    from myoreflex.measures import manual

    slow = [t for t in trials if t.stretch_speed == "low"]
    fast = [t for t in trials if t.stretch_speed == "high"]
    if not slow or not fast:
        speeds = sorted({str(t.stretch_speed) for t in trials})
        raise RecordingError(describe(f"`{name}`", "slow ('low') and fast ('high') stretch segments",
                                      f"stretch_speed {', '.join(speeds)}"))
    rows, records = [], []
    for trial in fast:
        record = manual.measure(slow, trial, lenient=lenient)
        records.append(record)
        rows.append({"file": name, "segment": trial.segment, **record.as_dict()})
    return Assessment(name, test, tuple(trials), tuple(records), _plain({"stretches": rows}), options)


def assessment_png(found: Assessment) -> bytes:
    """The annotated figure of an assessment: the pendulum's landmarks, or the stretches."""
    from myoreflex.report.figures import pendulum_figure, stretch_figure

    if found.test == "pendulum":
        figure = pendulum_figure(list(found.trials), [found.name], title=f"Pendulum test: {found.name}",
                                 records=list(found.records))
    else:
        labels = [f"{t.stretch_speed} {t.segment}" for t in found.trials]
        figure = stretch_figure(list(found.trials), labels, f"Hand-held stretches: {found.name}")
    with COMPUTE:
        return png(figure)


@dataclasses.dataclass(frozen=True)
class Row:
    """One measure for a page: key, label, value, unit, healthy reference, its source."""

    key: str
    label: str
    value: Any
    unit: str = ""
    healthy: str = ""
    source: str = ""


def pendulum_rows(metrics) -> list[Row]:
    """The pendulum measures with the healthy references the code carries (Bajd & Bowman 1982's
    normal R1; the Popovic-Maneski literature values and the Pendulastic controls)."""
    from myoreflex.measures.clinical import POPOVIC_CONTROLS, POPOVIC_HEALTHY
    from myoreflex.measures.pendulum import BAJD_BOWMAN_NORMAL_R1

    bajd = "Bajd & Bowman 1982, J Biomed Eng 4:90 (ANCHORS 4.1)"

    def popovic(name: str, unit: str = "") -> tuple[str, str]:
        (lit, lit_source), (ctl, ctl_source) = POPOVIC_HEALTHY[name], POPOVIC_CONTROLS[name]
        return (f"{lit:g} {unit} (literature); {ctl:g} {unit} (13 controls)".replace("  ", " "),
                f"{lit_source}; controls: {ctl_source}")

    frequency = None if not metrics.period_s else 1.0 / metrics.period_s
    return [
        Row("r1", "R1, relaxation index (F1 / A0)", metrics.r1, "", f"about {BAJD_BOWMAN_NORMAL_R1:g} (healthy)",
            bajd),
        Row("r2n", "R2n = R1 / 1.6", metrics.r2n, "", *popovic("r2n")),
        Row("first_swing_excursion_deg", "first-swing excursion F1", metrics.first_swing_excursion_deg, "deg", "",
            metrics.method),
        Row("plateau_amplitude_deg", "plateau amplitude A0", metrics.plateau_amplitude_deg, "deg", "", metrics.method),
        Row("plateau_deg", "resting angle (plateau)", metrics.plateau_deg, "deg", "", metrics.method),
        Row("n_oscillations", "swings (flexion peaks >= 1 deg)", metrics.n_oscillations, "", *popovic("n_oscillations")),
        Row("peak_velocity_deg_s", "peak angular velocity", metrics.peak_velocity_deg_s, "deg/s", "", metrics.method),
        Row("time_to_peak_velocity_s", "time to peak velocity", metrics.time_to_peak_velocity_s, "s", "",
            metrics.method),
        Row("period_s", "first period", metrics.period_s, "s", "", metrics.method),
        Row("frequency_hz", "frequency (1 / first period)", frequency, "Hz", *popovic("frequency_hz", "Hz")),
    ]


def stretch_rows(found: Assessment) -> list[Row]:
    rows = []
    for stretch in found.data["stretches"]:
        unit = "N m" if stretch.get("neural_nm") is not None else "N"
        neural = stretch.get("neural_nm") if stretch.get("neural_nm") is not None else stretch.get("neural_n")
        rows.append(Row(f"neural_{stretch['segment']}", f"segment {stretch['segment']}: neural component", neural,
                        unit, "about 0 (the slow stretches' own)", "Lindberg et al. 2011 logic (assess manual)"))
    return rows


# ------------------------------------------------------------------------------------------------
# Downloads


DOWNLOADS = {"csv": "text/csv", "mot": "text/plain", "json": "application/json", "html": "text/html"}


def trial_download(trial, kind: str, name: str, *, root=None) -> bytes:
    """A Trial as the bytes of a ``.csv`` or OpenSim ``.mot`` (:func:`myoreflex.io.write_trial`),
    written in a private folder that is removed at once."""
    import shutil
    import tempfile

    from myoreflex.io import write_trial

    folder = Path(tempfile.mkdtemp(prefix="myoreflex-download-", dir=root))
    try:
        channels = None
        if kind == "mot":
            channels = [c for c in trial.channels if c in ("angle", "angular_velocity", "torque")]
        path = write_trial(trial, folder / f"{Path(name).stem}.{kind}", channels=channels)
        return path.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report_html(path: Path, found: Assessment) -> bytes:
    """The HTML report of :func:`myoreflex.report.html.build_report` for a recording on disk."""
    import shutil
    import tempfile

    from myoreflex.report.html import build_report

    folder = Path(tempfile.mkdtemp(prefix="myoreflex-report-", dir=path.parent))
    try:
        with COMPUTE:
            out = build_report([path], out=folder / "report.html", title=f"myoreflex report: {found.name}",
                               angle_channel=found.options.get("angle_channel"),
                               angle_sign=found.options.get("angle_sign"))
        return out.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------------------------
# Teach: the signals along the loop


LOOP_SIGNALS = (
    ("ia", "spindle Ia", "pps", "primary spindle afferent: length and velocity of the stretched muscle"),
    ("ii", "spindle II", "pps", "secondary spindle afferent: length"),
    ("ib", "tendon organ Ib", "pps", "Golgi tendon organ afferent: tendon force"),
    ("emg", "motor-neuron drive (EMG)", "1", ("alpha motor-neuron excitation; the simulated EMG is this "
                                              "excitation, normalised")),
    ("activation", "muscle activation", "1", "calcium-driven activation that follows the drive"),
    ("force", "muscle force", "N", "tendon force of the muscle"),
    ("angle", "joint angle", "deg", "knee flexion (pendulum) or the stretched joint's angle"),
)
"""The Teach page's signals, in loop order: (channel, label, unit, what it is)."""


def loop_signals(options: SimulationOptions, *, muscle: str | None = None, points: int = 400) -> dict:
    """The loop's signals of a simulation, each resampled to ``points`` samples for stepping
    through: ``{"time_s": [...], "muscle": m, "muscles": [...], "signals": [{"key", "label",
    "unit", "what", "values", "low", "high"}]}``; angles in deg. The pendulum's default muscle is the
    quadriceps (stretched as the knee flexes), a stretch's the first one (the stretched muscle)."""
    import numpy as np

    from myoreflex.units import DEG

    trials, _ = simulated(options)
    trial = trials[-1]
    muscles = trial.emg_names()
    if muscle is None:
        muscle = muscles[0] if muscles else None
    if muscle not in muscles:
        raise ParameterError(describe("muscle", f"one of {', '.join(muscles)}", repr(muscle)))
    time = np.asarray(trial.time, dtype=float)
    grid = np.linspace(time[0], time[-1], points)
    signals = []
    for key, label, unit, what in LOOP_SIGNALS:
        channel = key if key == "angle" else f"{key}_{muscle}"
        if channel not in trial:
            continue
        values = np.interp(grid, time, np.asarray(trial[channel], dtype=float))
        if key == "angle":
            values = values / DEG
        low, high = float(values.min()), float(values.max())
        # the scale drawn: rates from 0 to at least 100 pps, drive and activation from 0 to at least
        # 0.3, force from 0, angle over its range; a quiet healthy loop then looks quiet
        floor = {"pps": 100.0, "1": 0.3}.get(unit, high)
        signals.append({"key": key, "label": label, "unit": unit, "what": what,
                        "values": [round(float(v), 5) for v in values], "low": low, "high": high,
                        "scale_low": low if key == "angle" else 0.0,
                        "scale_high": max(high, floor) if key != "angle" else high})
    return {"time_s": [round(float(t), 4) for t in grid], "muscle": muscle, "muscles": muscles,
            "label": simulation_label(options), "signals": signals}


def warm_up() -> float:
    """Run each simulation the pages use once (compiling the model when no kept copy exists) and
    draw one figure; returns the seconds it took."""
    import time

    start = time.perf_counter()
    for test in SIMULATED:
        simulation_png(simulation_options({"test": test}))
    return time.perf_counter() - start
