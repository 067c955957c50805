"""read_csv on real exports (issue 15): quoted headers, `;` and tab delimiters, decimal commas.

Each file is written here, as a spreadsheet in the named locale writes it: Excel's "CSV (comma
delimited)" quotes a name holding a comma; its German/French "CSV (semicolon delimited)" writes
``;`` between fields and ``,`` as the decimal mark.
"""

import numpy as np
import pytest

from myoreflex.errors import RecordingError
from myoreflex.io import read_csv, read_trial
from myoreflex.units import DEG

ANGLES_DEG = [10.0, 12.5, 15.25]


def test_a_quoted_header_with_a_comma(tmp_path):
    path = tmp_path / "quoted.csv"
    path.write_text('"time_s","knee, right angle_deg",torque_Nm\n0.00,10,1.0\n0.01,12.5,1.5\n0.02,15.25,"2.5"\n')
    trial = read_csv(path, angle_channel="knee, right angle_deg")
    np.testing.assert_allclose(trial["angle"], np.array(ANGLES_DEG) * DEG)
    np.testing.assert_allclose(trial["torque"], [1.0, 1.5, 2.5])
    assert trial.metadata["original_channels"]["angle"]["name"] == "knee, right angle_deg"


def test_a_doubled_quote_inside_a_quoted_name(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('time_s,"knee ""left"" angle_deg"\n0,10\n0.01,12.5\n0.02,15.25\n')
    trial = read_csv(path, angle_channel='knee "left" angle_deg')
    assert trial.unit("angle") == "rad"


def test_semicolons_and_decimal_commas_are_detected(tmp_path):
    path = tmp_path / "european.csv"
    path.write_text("time_s;knee_angle_deg;torque_Nm\n0,00;10;1,0\n0,01;12,5;1,5\n0,02;15,25;2,5\n")
    trial = read_trial(path)
    np.testing.assert_allclose(trial.time, [0.0, 0.01, 0.02])
    np.testing.assert_allclose(trial["angle"], np.array(ANGLES_DEG) * DEG)
    assert trial.metadata["delimiter"] == ";" and trial.metadata["decimal"] == ","


def test_tabs_and_decimal_commas(tmp_path):
    path = tmp_path / "european.txt"
    path.write_text("time_s\tknee_angle_deg\n0,00\t10\n0,01\t12,5\n0,02\t15,25\n")
    np.testing.assert_allclose(read_csv(path)["angle"], np.array(ANGLES_DEG) * DEG)


def test_semicolons_with_decimal_points_stay_points(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("time_s;knee_angle_deg\n0.00;10\n0.01;12.5\n0.02;15.25\n")
    trial = read_csv(path)
    np.testing.assert_allclose(trial["angle"], np.array(ANGLES_DEG) * DEG)
    assert trial.metadata["decimal"] == "."


def test_quoted_decimal_commas_in_a_comma_file_need_the_quotes(tmp_path):
    path = tmp_path / "quoted_commas.csv"
    path.write_text('time_s,knee_angle_deg\n"0,00","10,0"\n"0,01","12,5"\n"0,02","15,25"\n')
    with pytest.raises(RecordingError, match=r"quoted_commas\.csv.*channel `time_s`.*'0,00'"):
        read_csv(path)


def test_decimal_point_asked_names_the_comma_cell(tmp_path):
    path = tmp_path / "european.csv"
    path.write_text("time_s;knee_angle_deg\n0,00;10\n0,01;12,5\n0,02;15,25\n")
    with pytest.raises(RecordingError, match=r"european\.csv.*channel `time_s`.*'0,00' at line 2.*decimal=','"):
        read_csv(path, decimal=".")


def test_decimal_comma_with_a_comma_delimiter_is_refused(tmp_path):
    path = tmp_path / "clash.csv"
    path.write_text("time_s,knee_angle_deg\n0,10\n0.01,12\n")
    with pytest.raises(RecordingError, match=r"clash\.csv.*delimiter other than ','"):
        read_csv(path, decimal=",")
    with pytest.raises(RecordingError, match=r"clash\.csv.*decimal='\.' or decimal=','"):
        read_csv(path, decimal="comma")


def test_a_thousands_separator_is_refused_not_guessed(tmp_path):
    path = tmp_path / "thousands.csv"
    path.write_text("time_s;force_N\n0,00;1.234,5\n0,01;1.240,0\n")
    with pytest.raises(RecordingError, match=r"thousands\.csv.*channel `force_N`.*thousands separator"):
        read_csv(path)


def test_a_quoted_cell_holding_the_delimiter_is_named(tmp_path):
    path = tmp_path / "cell.csv"
    path.write_text('time_s,knee_angle_deg\n0,10\n0.01,"12,5"\n0.02,15\n')
    with pytest.raises(RecordingError, match=r"cell\.csv.*channel `knee_angle_deg`.*'12,5' at line 3"):
        read_csv(path)
