"""Bounded readers (issue 19): peak memory under 10x the file, size and sample limits checked before
the data are read, the compressed MATLAB bomb refused before it expands, v7.3 files named as HDF5."""

import struct
import tracemalloc
import zlib

import numpy as np
import pytest
import scipy.io

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.io import _checks, csv, ipsa, opensim, read_csv, read_ipsa, read_opensim, read_trial

ROWS = 100_000  # about 3 MB of text: large enough that Python objects per cell would show, a second to read
MEMORY_FACTOR = 10  # issue 19: "reading the largest accepted file stays under 10x its size in memory"


def table(n=ROWS):
    t = np.arange(n) / 1000.0
    return np.column_stack([t, 30 * np.sin(t), 5 * np.cos(t)])


def peak_over_size(read, path) -> float:
    """Peak traced memory (NumPy arrays and Python objects) while reading, over the file's size."""
    tracemalloc.start()
    try:
        trial = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert trial.time.size == ROWS
    return peak / path.stat().st_size


def test_csv_reading_peaks_under_ten_times_the_file(tmp_path):
    # before issue 19 this read took about 19x (tracemalloc) / 20x (RSS) the file; now about 3x
    path = tmp_path / "big.csv"
    with open(path, "w") as stream:
        stream.write("time_s,knee_angle_deg,torque_Nm\n")
        np.savetxt(stream, table(), fmt="%.6f", delimiter=",")
    factor = peak_over_size(read_csv, path)
    assert factor < MEMORY_FACTOR, f"peak memory {factor:.1f}x the file"


def test_opensim_reading_peaks_under_ten_times_the_file(tmp_path):
    # before issue 19: about 17x; now about 2.5x (the angle_channel copy included)
    path = tmp_path / "big.mot"
    with open(path, "w") as stream:
        stream.write(f"ik\nnRows={ROWS}\nnColumns=3\ninDegrees=yes\nendheader\n"
                     "time\tknee_angle_r\tknee_angle_r_moment\n")
        np.savetxt(stream, table(), fmt="%.6f", delimiter="\t")
    factor = peak_over_size(lambda p: read_opensim(p, angle_channel="knee_angle_r"), path)
    assert factor < MEMORY_FACTOR, f"peak memory {factor:.1f}x the file"


def test_large_file_values_are_exact(tmp_path):
    # the chunked parse (65,536 rows a chunk) gives what a plain parse of the whole file gives
    n = 70_000
    values = table(n)
    path = tmp_path / "big.csv"
    with open(path, "w") as stream:
        stream.write("time_s,knee_angle_deg,torque_Nm\n")
        np.savetxt(stream, values, fmt="%.6f", delimiter=",")
    trial = read_csv(path)
    expected = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(trial.time, expected[:, 0])
    np.testing.assert_allclose(trial["angle"], np.radians(expected[:, 1]), rtol=1e-15)
    np.testing.assert_array_equal(trial["torque"], expected[:, 2])


def test_a_bad_cell_after_the_first_chunk_names_its_line(tmp_path):
    lines = ["time_s,angle_deg"] + [f"{i / 1000},{i % 90}" for i in range(70_000)]
    lines[68_001] = "68.0,x9"
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingError, match="'x9' at line 68002"):
        read_csv(path)


def test_default_limits_are_documented_constants():
    assert _checks.MAX_BYTES == 256 * 2**20 and _checks.MAX_SAMPLES == 10_000_000
    for module in (csv, opensim, ipsa):
        assert module.MAX_BYTES == _checks.MAX_BYTES and module.MAX_SAMPLES == _checks.MAX_SAMPLES


@pytest.mark.parametrize("suffix", [".csv", ".mot", ".mat", ".c3d"])
def test_a_file_above_max_bytes_is_refused_before_it_is_read(tmp_path, suffix, monkeypatch):
    if suffix == ".c3d":
        pytest.importorskip("ezc3d")
    path = tmp_path / f"huge{suffix}"
    with open(path, "wb") as stream:  # sparse: 300 MiB that take no disk and would take seconds to read
        stream.write(b"time_s,angle_deg\n0,1\n")
        stream.truncate(300 * 2**20)

    def never(*args, **kwargs):
        raise AssertionError("the data were read")

    monkeypatch.setattr(_checks, "text_lines", never)
    monkeypatch.setattr(scipy.io, "loadmat", never)
    with pytest.raises(RecordingError) as info:
        read_trial(path)
    message = str(info.value)
    assert f"huge{suffix}" in message and "max_bytes=268435456" in message and "300.0 MiB" in message


def test_max_bytes_can_be_raised_and_lowered(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("time_s,angle_deg\n0,10\n0.01,20\n")
    with pytest.raises(RecordingError, match="at most 10 bytes"):
        read_csv(path, max_bytes=10)
    assert read_csv(path, max_bytes=path.stat().st_size).time.size == 2


def test_max_samples_stops_the_csv_reader_at_the_limit(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("time_s,angle_deg\n" + "".join(f"{i / 100},{i}\n" for i in range(100)))
    with pytest.raises(RecordingError, match=r"at most 50 data rows \(max_samples=50\); got 51 or more"):
        read_csv(path, max_samples=50)
    assert read_csv(path, max_samples=100).time.size == 100


def test_max_samples_refuses_a_declared_opensim_length_before_any_row(tmp_path, monkeypatch):
    path = tmp_path / "long.mot"
    path.write_text("nRows=1000000000\nnColumns=2\ninDegrees=yes\nendheader\ntime\tknee_angle_r\n0\t1\n0.01\t2\n")

    def never(*args, **kwargs):
        raise AssertionError("rows were parsed")

    monkeypatch.setattr(_checks, "parse_chunk", never)
    with pytest.raises(RecordingError, match="nRows in the header.*got 1000000000"):
        read_opensim(path)


def test_max_samples_refuses_a_c3d_from_its_header(tmp_path, monkeypatch):
    ezc3d = pytest.importorskip("ezc3d")
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [100.0]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = ()
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [1000.0]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = ("Angle",)
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = ("deg",)
    c3d["data"]["analogs"] = np.linspace(0, 40, 2000)[None, None]
    c3d["data"]["points"] = np.zeros((4, 0, 200))
    path = tmp_path / "long.c3d"
    c3d.write(str(path))
    from myoreflex.io import read_c3d

    assert read_c3d(path, angle_channel="Angle", max_samples=2000).time.size == 2000
    from myoreflex.io import c3d as c3d_module

    monkeypatch.setattr(c3d_module, "_load", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ezc3d read it")))
    with pytest.raises(RecordingError, match=r"max_samples=1999\); got 2000"):
        read_c3d(path, angle_channel="Angle", max_samples=1999)


def test_max_samples_per_ipsa_segment(tmp_path):
    t = np.arange(300) / 200
    segment = {"t": t, "pos": t, "vel": np.ones(300), "force": np.ones(300), "muscles": np.array(["sol"], object),
               "emg1raw": np.zeros(300), "emg1rms": np.zeros(300), "meas_type": "high",
               "joint_name": "ankle_dorsiflex", "side_name": "right"}
    path = tmp_path / "seg.mat"
    scipy.io.savemat(path, {"allsegments": segment})
    assert len(read_ipsa(path, max_samples=300)) == 1
    with pytest.raises(RecordingError, match=r"samples in allsegments\(0\) \(max_samples=299\)"):
        read_ipsa(path, max_samples=299)


@pytest.mark.parametrize("value", [0, -5, 1.5, True, "10"])
def test_limits_must_be_positive_integers(tmp_path, value):
    path = tmp_path / "a.csv"
    path.write_text("time_s,angle_deg\n0,1\n0.01,2\n")
    with pytest.raises(ParameterError, match="an integer >= 1"):
        read_csv(path, max_bytes=value)
    with pytest.raises(ParameterError, match="max_samples"):
        read_opensim(path, max_samples=value)


# --- MATLAB files --------------------------------------------------------------------------------


def test_a_compressed_mat_bomb_is_refused_before_it_expands(tmp_path, monkeypatch):
    # 16 MB of zeros compressed by savemat to about 16 KB; a 4 MB budget must refuse it without
    # ever holding the 16 MB (the 1.5 MB file expanded to 2 GB before it was refused)
    bomb = tmp_path / "bomb.mat"
    scipy.io.savemat(bomb, {"allsegments": {"t": np.zeros(2_000_000)}}, do_compression=True)
    assert bomb.stat().st_size < 100_000

    def never(*args, **kwargs):
        raise AssertionError("scipy loaded the bomb")

    monkeypatch.setattr(scipy.io, "loadmat", never)
    tracemalloc.start()
    try:
        with pytest.raises(RecordingError) as info:
            read_ipsa(bomb, max_bytes=4_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert "bomb.mat" in message and "once decompressed (max_bytes=4000000)" in message
    assert peak < 4_000_000, f"{peak} bytes held while refusing the bomb"


def test_a_bomb_above_the_default_limit_is_refused(tmp_path, monkeypatch):
    # a variable that inflates to 257 MiB of zeros (about 260 KB compressed), with the default limit
    inflate = zlib.compressobj(1)
    payload = [inflate.compress(struct.pack("<II", 14, 257 * 2**20))]
    block = bytes(2**20)
    payload += [inflate.compress(block) for _ in range(257)]
    payload.append(inflate.flush())
    data = b"".join(payload)
    header = b"MATLAB 5.0 MAT-file, crafted".ljust(116, b" ") + bytes(8) + b"\x00\x01IM"
    bomb = tmp_path / "bomb.mat"
    bomb.write_bytes(header + struct.pack("<II", 15, len(data)) + data)
    monkeypatch.setattr(scipy.io, "loadmat", lambda *a, **k: (_ for _ in ()).throw(AssertionError("loaded")))
    with pytest.raises(RecordingError, match="more than 256.0 MiB"):
        read_ipsa(bomb)


def test_a_small_compressed_file_still_reads(tmp_path):
    t = 10 + np.arange(300) / 200
    segment = {"t": t, "pos": np.linspace(0, 1, 300), "vel": np.ones(300), "force": -np.ones(300),
               "muscles": np.array(["sol"], object), "emg1raw": np.zeros(300), "emg1rms": np.zeros(300),
               "meas_type": "high", "joint_name": "ankle_dorsiflex", "side_name": "right"}
    path = tmp_path / "seg.mat"
    scipy.io.savemat(path, {"allsegments": segment}, do_compression=True)
    (trial,) = read_ipsa(path, max_bytes=200_000)
    np.testing.assert_allclose(trial["force"], 1.0)


def test_a_matlab_v73_file_is_named_as_hdf5_not_corrupt(tmp_path):
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    path = tmp_path / "v73.mat"
    path.write_bytes(header.ljust(116, b" ") + bytes(8) + b"\x00\x02IM" + bytes(384) + b"\x89HDF\r\n\x1a\n"
                     + bytes(1024))
    with pytest.raises(RecordingError) as info:
        read_ipsa(path)
    message = str(info.value)
    assert "v73.mat" in message and "MATLAB v7.3" in message and "HDF5" in message and "-v7" in message
    assert "corrupt" not in message


def test_a_short_matlab_header_is_a_clear_error(tmp_path):
    # found by the fuzz suite: scipy's version check raised IndexError on a 20-127 byte file
    path = tmp_path / "short.mat"
    path.write_bytes(b"MATLAB 5.0 MAT-file, cut here")
    with pytest.raises(RecordingError, match="readable MATLAB"):
        read_ipsa(path)
