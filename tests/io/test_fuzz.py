"""Reader fuzzing (issue 19): generated recordings through every reader, and each ends in a Trial that
holds its promises or a clear myoreflex error (a MyoreflexError naming the file), never another
exception.

The recordings are drawn by hypothesis: random lengths, sampling rates, time gaps, reversed or
repeated samples, NaN, inf, empty and text cells, units (known, unknown, volts for an angle),
delimiters, comment and blank lines, byte-order marks, header keys, truncation at any byte and
flipped bytes; then read with random options (angle channel, conversions, signs). CSV and
.mot/.sto files are written as text, IPSA files with scipy.io.savemat (compressed or not),
C3D files with ezc3d, and raw byte blobs go through :func:`myoreflex.io.read_trials` under every
suffix. The example counts below add up to 2,050 files (issue 19 asks for 1,000); the whole module
runs in about 10 s on one core (files are small: at most a few hundred samples). Two runs of 18,500
files each passed before these counts were chosen.

What it found, now fixed and each held by its own test: ezc3d segfaults or loops on some damaged
C3D parameter sections and scipy's MATLAB reader segfaults on some damaged .mat files (both now
parse in a helper process, :mod:`myoreflex.io._isolated`); IPSA text fields, multi-value onsets
and short MATLAB headers raised ValueError or IndexError; an OpenSim angle_channel or its moment
in an EMG-named file raised KeyError.
"""

import math

import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from myoreflex.errors import MyoreflexError, RecordingError
from myoreflex.io import Conversion, read_c3d, read_csv, read_ipsa, read_opensim, read_trials
from myoreflex.trial import Trial

EXAMPLES = {"csv": 800, "opensim": 500, "ipsa": 300, "c3d": 150, "bytes": 300}


def fuzz(name):
    return settings(max_examples=EXAMPLES[name], deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_the_suite_reads_more_than_a_thousand_files():
    assert sum(EXAMPLES.values()) >= 1000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module", autouse=True)
def quick_c3d_timeout():
    """A damaged C3D can make ezc3d loop; the small files here read in milliseconds, so a 3 s
    limit (instead of 30 s) keeps such a case from costing the suite half a minute."""
    from myoreflex.io import c3d

    previous, c3d.READ_TIMEOUT_S = c3d.READ_TIMEOUT_S, 3.0
    yield
    c3d.READ_TIMEOUT_S = previous


def check_outcome(read, path, **options):
    """``read(path, **options)`` gives Trials that keep the Trial contract, or a clear error."""
    try:
        got = read(path, **options)
    except RecordingError as exc:
        event("RecordingError")
        message = str(exc)
        assert path.name in message and "\n" not in message, message
        return None
    except MyoreflexError as exc:  # ParameterError for an option the generator got wrong on purpose
        event(type(exc).__name__)
        assert str(exc)
        return None
    trials = got if isinstance(got, list) else [got]
    event("Trial")
    assert trials
    for trial in trials:
        assert isinstance(trial, Trial)
        assert trial.time.ndim == 1 and trial.time.size >= 2 and np.all(np.diff(trial.time) > 0)
        for name, channel in trial.channels.items():
            assert channel.values.shape[0] == trial.time.size, name
            assert np.all(np.isfinite(channel.values)), name
        if "angle" in trial.channels:
            assert trial.unit("angle") == "rad"  # never volts passed off as an angle
        if "torque" in trial.channels:
            assert trial.unit("torque") == "N m"
        assert math.isfinite(trial.rate_hz) and trial.rate_hz > 0
    return trials


FAULTS = ("cut", "flip", "gap", "reverse", "repeat", "nan_time", "cell", "short", "column", "options")


def fault_of(draw) -> str:
    """One fault per recording, or none half of the time, so that both a Trial and each error are
    reached often (the suite's statistics: ``--hypothesis-show-statistics``)."""
    return draw(st.sampled_from(("none",) * len(FAULTS) + FAULTS))


def damaged(draw, data: bytes, fault: str) -> bytes:
    """The bytes cut at any position (``cut``) or with a few bytes overwritten (``flip``)."""
    if data and fault == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    if data and fault == "flip":
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 3))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        data = bytes(raw)
    return data


def samples(draw, rng, n, fault):
    """A time vector at a random rate, with the time fault (a gap is legal: the Trial notes it)."""
    rate = draw(st.sampled_from([0.5, 1.0, 9.7, 100.0, 250.0, 1000.0, 2048.0]))
    time = draw(st.sampled_from([0.0, 13.84, -2.0])) + np.arange(n) / rate
    if n > 3:
        at = int(rng.integers(1, n - 1))
        if fault == "gap":
            time[at:] += float(rng.uniform(0.1, 10.0))
        elif fault == "reverse":
            time[[at, at + 1]] = time[[at + 1, at]]
        elif fault == "repeat":
            time[at + 1] = time[at]
        elif fault == "nan_time":
            time[at] = np.nan
    return time


def length(draw, fault):
    return draw(st.integers(0, 3)) if fault == "short" else draw(st.integers(4, 60))


def column_values(draw, rng, n, name):
    """Plausible values: angles that move tens of degrees (radians for a ``_rad`` name), others noise."""
    if "angle" in name.lower() or name.lower() in ("knee", "gonio_v", "pos"):
        values = draw(st.sampled_from([0.0, 30.0, -100.0])) + 20 * np.sin(np.arange(n) / 5.0) * rng.uniform(0.5, 3)
        return values * (math.pi / 180 if name.lower().endswith(("_rad", "pos")) else 1.0)
    return rng.normal(0, 1, n) * draw(st.sampled_from([0.01, 1.0, 40.0, 1e6]))


def cell_text(draw, rng, values, fault):
    cells = [f"{v:.6g}" for v in values]
    if cells and fault == "cell":
        at = int(rng.integers(0, len(cells)))
        cells[at] = draw(st.sampled_from(["", "nan", "NA", "null", "inf", "-inf", "1o", "x", "1,5", "#", "\"2\"",
                                          "1e999", " 3 ", "1_0"]))
    return cells


# --- CSV -----------------------------------------------------------------------------------------

CSV_GOOD = ["knee_angle_deg", "angle_rad", "knee_angle_r_deg", "angular_velocity_deg_s", "knee_velocity_rad_s",
            "torque_Nm", "moment_n_mm", "force_n", "force_sol_N", "emg_sol_mV", "emg_uV", "marker_mm",
            "activation_1", "ia_pps", "ratio_pct"]
CSV_BAD = ["Knee", "gonio_V", "=cmd()", "angle_nm", "torque_n", "x_furlong", "hip_angle_deg", "time_ms",
           "knee_angle_V"]


@st.composite
def csv_recordings(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fault = fault_of(draw)
    n = length(draw, fault)
    time_name = draw(st.sampled_from(["time_s", "time_ms", "Time_S"]))
    others = draw(st.lists(st.sampled_from(CSV_GOOD), min_size=0, max_size=3, unique=True))
    if sum("angle" in name for name in others) > 1 or sum(name.startswith(("torque", "moment")) for name in others) > 1:
        others = [name for name in others if not name.startswith(("knee_angle", "moment"))]
    if fault == "column":
        bad = draw(st.sampled_from(CSV_BAD + ["duplicate", "no time", "t"]))
        if bad == "duplicate" and others:
            others.append(others[0])
        elif bad == "no time":
            time_name = None
        elif bad == "t":
            time_name = "t"
        else:
            others.append(bad)
    names = ([time_name] if time_name else []) + others
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    time = samples(draw, rng, n, fault)
    columns = [time * (1000.0 if name.lower().endswith("ms") else 1.0) if name == time_name
               else column_values(draw, rng, n, name) for name in names]
    header = [f'"{name}"' if draw(st.integers(0, 9)) == 0 else name for name in names]
    lines = []
    if draw(st.booleans()):
        lines += ["# recorded by a fuzzer", ""]
    lines.append(delimiter.join(header) + (delimiter if draw(st.integers(0, 9)) == 0 else ""))
    cells = [cell_text(draw, rng, values, fault) for values in columns]
    for i in range(n):
        lines.append(delimiter.join(column[i] for column in cells))
        if draw(st.integers(0, 30)) == 0:
            lines.append("")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    options = {}
    if draw(st.integers(0, 3)) == 0:
        options["angle_sign"] = -1.0
    if fault == "options":
        choice = draw(st.sampled_from(["angle_channel", "conversion", "delimiter"]))
        if choice == "angle_channel":
            options["angle_channel"] = draw(st.sampled_from(names + ["missing_col"]))
        elif choice == "conversion":
            key = draw(st.sampled_from(["angle", "torque", "time", "nothing"] + names))
            unit = draw(st.sampled_from([None, "deg", "rad", "V", "N m", "s", "ms"]))
            options["conversions"] = {key: Conversion(draw(st.sampled_from([1.0, -2.5, 35.68])),
                                                      draw(st.sampled_from([0.0, 5.0])), unit)}
        else:
            options["delimiter"] = draw(st.sampled_from([",", ";", "\t", "|", "1", ""]))
    return damaged(draw, data, fault), options


@fuzz("csv")
@given(csv_recordings())
def test_csv_reader_gives_a_trial_or_a_clear_error(folder, case):
    data, options = case
    path = folder / "fuzz.csv"
    path.write_bytes(data)
    check_outcome(read_csv, path, **options)


# --- OpenSim -------------------------------------------------------------------------------------

MOT_GOOD = ["knee_angle_r", "knee_angle_r_moment", "hip_flexion_l", "pelvis_tx", "soleus_force", "ankle_angle_l"]


@st.composite
def opensim_recordings(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fault = fault_of(draw)
    n = length(draw, fault)
    labels = ["time"] + draw(st.lists(st.sampled_from(MOT_GOOD), min_size=1, max_size=4, unique=True))
    degrees = "inDegrees=yes"
    rows_declared, columns_declared = n, len(labels)
    endheader = draw(st.sampled_from(["endheader", "EndHeader", "  endheader  "]))
    if fault == "column":
        bad = draw(st.sampled_from(["time last", "duplicate", "no degrees", "degrees maybe", "nRows", "nColumns",
                                    "rows many", "no endheader"]))
        if bad == "time last":
            labels = labels[1:] + labels[:1]
        elif bad == "duplicate":
            labels.append(labels[1])
        elif bad == "no degrees":
            degrees = None
        elif bad == "degrees maybe":
            degrees = "inDegrees=maybe"
        elif bad == "nRows":
            rows_declared = n + draw(st.sampled_from([-1, 1]))
        elif bad == "nColumns":
            columns_declared += 1
        elif bad == "rows many":
            rows_declared = "many"
        else:
            endheader = "end of header"
    time = samples(draw, rng, n, fault)
    columns = [time] + [column_values(draw, rng, n, label) for label in labels[1:]]
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["pendulum_IK", "C:\\data\\emg_trial", "name with spaces"])))
    if draw(st.booleans()):
        lines.append("version=1")
    if draw(st.integers(0, 3)):
        lines.append(f"nRows={rows_declared}")
    if draw(st.booleans()):
        lines.append(f"nColumns={columns_declared}")
    if degrees:
        lines.append(degrees)
    lines.append(endheader)
    separator = draw(st.sampled_from(["\t", " ", "   "]))
    lines.append(separator.join(labels))
    cells = [cell_text(draw, rng, values, fault) for values in columns]
    for i in range(n):
        lines.append(separator.join(column[i] for column in cells))
    data = ("\n".join(lines) + "\n").encode()
    options = {}
    if draw(st.booleans()):
        options["angle_channel"] = draw(st.sampled_from([label for label in labels[1:] if "angle" in label]
                                                        or ["knee_angle_r"]))
    if fault == "options":
        choice = draw(st.sampled_from(["in_degrees", "emg", "conversion", "angle_channel"]))
        if choice == "in_degrees":
            options["in_degrees"] = draw(st.booleans())
        elif choice == "emg":
            options["emg_columns"] = draw(st.sampled_from(["all", ["soleus_force"], ["nope"]]))
        elif choice == "conversion":
            key = draw(st.sampled_from(["angle", "torque", "knee_angle_r", "time", "nothing"]))
            options["conversions"] = {key: Conversion(draw(st.sampled_from([1.0, 10.0])),
                                                      unit=draw(st.sampled_from([None, "deg", "V", "N m"])))}
        else:
            options["angle_channel"] = draw(st.sampled_from(labels + ["knee_angle_l", "pelvis_tx"]))
    name = draw(st.sampled_from(["fuzz.mot", "fuzz.sto", "fuzz.mot", "fuzz.sto", "fuzz_emg.sto"]))
    return damaged(draw, data, fault), options, name


@fuzz("opensim")
@given(opensim_recordings())
def test_opensim_reader_gives_a_trial_or_a_clear_error(folder, case):
    data, options, name = case
    path = folder / name
    path.write_bytes(data)
    check_outcome(read_opensim, path, **options)


# --- IPSA .mat -----------------------------------------------------------------------------------


@st.composite
def ipsa_recordings(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fault = fault_of(draw)
    segments = []
    for _ in range(draw(st.integers(1, 3))):
        n = length(draw, fault)
        time = samples(draw, rng, n, fault)
        muscles = draw(st.lists(st.sampled_from(["sol", "tia", "meh"]), min_size=0, max_size=2, unique=True))
        segment = {
            "t": time,
            "tc": time - (time[n // 2] if n else 0.0),
            "pos": column_values(draw, rng, n, "pos"),
            "vel": column_values(draw, rng, n, "vel"),
            "force": column_values(draw, rng, n, "force"),
            "muscles": np.array(muscles, dtype=object),
            "meas_type": draw(st.sampled_from(["high", "low", ""])),
            "joint_name": draw(st.sampled_from(["ankle_dorsiflex", "knee_ext", "elbow", ""])),
            "side_name": draw(st.sampled_from(["RIGHT", "left", ""])),
            "pinfo": {"distance_loadcell_to_ankle_right": draw(st.sampled_from([0.12, -9999.0, 3.0])),
                      "distance_loadcell_rear_to_knee_left": 0.28},
        }
        for k in range(1, len(muscles) + 1):
            segment[f"emg{k}raw"] = rng.normal(0, 1e-4, n)
            segment[f"emg{k}rms"] = np.abs(rng.normal(0, 1e-4, n))
            segment[f"onset{k}"] = draw(st.sampled_from([np.nan, 1.0, float(max(n, 1))]))
        if fault == "column":
            field = draw(st.sampled_from(sorted(segment)))
            bad = draw(st.sampled_from(["drop", "short", "text", "nan", "matrix", "onset"]))
            if bad == "drop":
                segment.pop(field)
            elif bad == "short":
                segment[field] = np.zeros(max(n - 1, 0))
            elif bad == "text":
                segment[field] = "not numbers"
            elif bad == "nan":
                segment[field] = np.full(n, np.nan)
            elif bad == "matrix":
                segment[field] = np.zeros((2, max(n, 1)))
            else:
                segment["onset1"] = draw(st.sampled_from([n + 1.0, 2.5, -1.0, np.array([1.0, 2.0])]))
        segments.append(segment)
    if len(segments) == 1 or len({tuple(sorted(s)) for s in segments}) > 1:
        contents = {"allsegments": segments[0]}
    else:
        fields = sorted(segments[0])
        array = np.empty((1, len(segments)), dtype=[(f, object) for f in fields])
        for i, segment in enumerate(segments):
            for f in fields:
                array[0, i][f] = segment[f]
        contents = {"allsegments": array}
    options = {"lever_arm_m": draw(st.sampled_from([None, 0.3]))}
    if fault == "options":
        choice = draw(st.sampled_from(["other variable", "conversion", "sign"]))
        if choice == "other variable":
            contents = {"other": np.zeros(3)}
        elif choice == "conversion":
            options["conversions"] = {draw(st.sampled_from(["angle", "pos", "emg_sol", "nothing"])):
                                      Conversion(unit=draw(st.sampled_from(["deg", "V", None])))}
        else:
            options["angle_sign"] = draw(st.sampled_from([-1.0, 0.0, float("nan")]))
    return contents, draw(st.booleans()), options, fault


@fuzz("ipsa")
@given(ipsa_recordings(), st.data())
def test_ipsa_reader_gives_trials_or_a_clear_error(folder, case, data):
    contents, compress, options, fault = case
    path = folder / "fuzz.mat"
    scipy.io.savemat(path, contents, do_compression=compress, long_field_names=True)
    path.write_bytes(damaged(data.draw, path.read_bytes(), fault))
    check_outcome(read_ipsa, path, **options)


# --- C3D -----------------------------------------------------------------------------------------


@st.composite
def c3d_recordings(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    fault = fault_of(draw)
    labels = ["Angle", "Torque", "EMG 1", "Trigger"][: draw(st.integers(1, 4))]
    units = ["deg", "N.m", "V", ""][: len(labels)]
    rate = draw(st.sampled_from([100.0, 1000.0, 2000.0]))
    frames = draw(st.integers(1, 30))
    n = frames * int(rate / 100)
    signals = np.array([column_values(draw, rng, n, label) for label in labels])
    options = {"angle_channel": "Angle"} if draw(st.booleans()) else {}
    if "Torque" in labels and draw(st.booleans()):
        options["torque_channel"] = "Torque"
    if fault == "column":
        bad = draw(st.sampled_from(["unit", "label", "nan"]))
        if bad == "unit":
            units[0] = draw(st.sampled_from(["V", "mm", "", "mV", "rad"]))
        elif bad == "label":
            labels[-1] = labels[0]
        else:
            signals[0, int(rng.integers(0, n))] = np.nan
    if fault == "options":
        choice = draw(st.sampled_from(["missing", "conversion", "scales", "keep"]))
        if choice == "missing":
            options["angle_channel"] = "Angle.1"
        elif choice == "conversion":
            options["conversions"] = {draw(st.sampled_from(["angle", "Angle", "torque", "nothing"])):
                                      Conversion(35.68, unit=draw(st.sampled_from(["deg", "N m", None])))}
        elif choice == "scales":
            options["scales"] = {"Angle": (draw(st.sampled_from([35.68, -1.0])), draw(st.sampled_from(["deg", "V"])))}
        else:
            options["keep_other_channels"] = False
    return labels, units, rate, signals, options, fault


@fuzz("c3d")
@given(c3d_recordings(), st.data())
def test_c3d_reader_gives_a_trial_or_a_clear_error(folder, case, data):
    from test_read_c3d import write_c3d  # skips without ezc3d, as that module does

    labels, units, rate, signals, options, fault = case
    path = write_c3d(folder / "fuzz.c3d", signals, labels, units, rate)
    path.write_bytes(damaged(data.draw, path.read_bytes(), fault))
    check_outcome(read_c3d, path, **options)


# --- raw bytes under every suffix ----------------------------------------------------------------


@fuzz("bytes")
@given(st.sampled_from([".csv", ".txt", ".tsv", ".mot", ".sto", ".mat", ".c3d"]),
       st.one_of(st.binary(max_size=3000), st.text(max_size=600).map(str.encode),
                 st.sampled_from([b"MATLAB 5.0 MAT-file", b"time_s,angle_deg\n", b"endheader\ntime\n",
                                  b"\x02\x50" + bytes(510)]).flatmap(
                     lambda head: st.binary(max_size=1500).map(lambda tail: head + tail))))
def test_any_bytes_under_any_suffix_give_a_clear_error_or_a_trial(folder, suffix, data):
    if suffix == ".c3d":
        pytest.importorskip("ezc3d")
    path = folder / f"blob{suffix}"
    path.write_bytes(data)
    check_outcome(read_trials, path)
