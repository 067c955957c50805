"""Subjects (myoreflex.subjects): growth-chart bodies and size-scaled parameters.

Reference values are the CDC 2000 LMS tables (statage.csv, wtage.csv; Kuczmarski et al. 2002),
read in the published files' rows; the relations (geometric similarity) are checked as laws over
bodies, not as pinned simulated numbers.
"""

import dataclasses

import jax
import numpy as np
import pytest

from myoreflex import ParameterError, Subject, subject_params
from myoreflex.model import default_params
from myoreflex.params import get_param
from myoreflex.physiology.limb import BODY_MASS_BOUNDS_KG, HEIGHT_BOUNDS_M
from myoreflex.subjects import (
    GROWTH_CHARTS,
    REFERENCE_BODY,
    SCALED_PATHS,
    assumed_body,
    assumed_body_log_sd,
    growth_lms,
    median_body,
    rescaled_body,
    size_scales,
)

# Published CDC 2000 rows (month, M) that lie between the whole-year rows the module keeps: the
# interpolation must reproduce them. Stature in cm, weight in kg.
BETWEEN_ROWS = [
    ("female", "stature", 119.5, 137.7691339),  # 10 years
    ("female", "weight", 119.5, 32.71868225),
    ("male", "stature", 119.5, 138.4142703),
    ("male", "weight", 119.5, 31.78312329),
    ("male", "stature", 30.5, 91.33242379),
    ("female", "weight", 200.5, 54.81044184),
    ("male", "weight", 150.5, 43.18828419),
    ("female", "stature", 150.5, 154.755501),
]


def test_the_tables_hold_the_published_rows_at_the_ends_and_at_ten_years():
    # statage.csv / wtage.csv rows at 24 and 240 months and 120.5 months, as published.
    assert GROWTH_CHARTS[("male", "stature")][0] == (24.0, 0.941523967, 86.45220101, 0.040321528)
    assert GROWTH_CHARTS[("male", "stature")][-1][:3] == (240.0, 1.167279219, 176.8492322)
    assert GROWTH_CHARTS[("male", "weight")][0][2] == 12.6707633
    assert GROWTH_CHARTS[("female", "weight")][-1][2] == 58.21897289
    assert GROWTH_CHARTS[("female", "stature")][8] == (120.5, 0.284748919, 138.2111552, 0.048704503)
    for rows in GROWTH_CHARTS.values():
        months = [row[0] for row in rows]
        assert months == sorted(months) and months[0] == 24.0 and months[-1] == 240.0
        assert all(row[3] > 0 for row in rows)  # S is a coefficient of variation


@pytest.mark.parametrize("sex,measure,month,published", BETWEEN_ROWS)
def test_interpolated_medians_match_the_published_rows_between_the_kept_ages(sex, measure, month, published):
    _, median, _ = growth_lms(month / 12, sex, measure)
    expected = published / 100 if measure == "stature" else published
    # Linear interpolation over a year of a smooth growth curve: within 0.5 % (stature) and 1.5 %
    # (weight, which curves more in the growth spurt).
    tolerance = 0.005 if measure == "stature" else 0.015
    assert median == pytest.approx(expected, rel=tolerance)


def test_growth_is_monotone_and_boys_end_taller_and_heavier():
    ages = np.linspace(2, 20, 73)
    for sex in ("female", "male"):
        heights = [growth_lms(a, sex, "stature")[1] for a in ages]
        masses = [growth_lms(a, sex, "weight")[1] for a in ages]
        assert np.all(np.diff(heights) > 0) and np.all(np.diff(masses) > 0)
    assert median_body(20, "male")[1] > median_body(20, "female")[1] + 0.1
    assert median_body(20, "male")[0] > median_body(20, "female")[0] + 10


def test_resolved_fills_only_what_is_missing():
    girl = Subject(age_years=10, sex="female").resolved()
    # CDC 2000 girls at 120 months: midway between the 119.5 and 120.5 rows.
    assert girl.height_m == pytest.approx((137.7691339 + 138.2111552) / 200, rel=1e-3)
    assert girl.body_mass_kg == pytest.approx((32.71868225 + 33.06392318) / 2, rel=2e-3)
    assert (girl.age_years, girl.sex) == (10.0, "female")
    given = Subject(age_years=10, sex="female", body_mass_kg=40.0).resolved()
    assert given.body_mass_kg == 40.0 and given.height_m == girl.height_m
    assert Subject(body_mass_kg=60.0, height_m=1.6).resolved() == Subject(body_mass_kg=60.0, height_m=1.6)


def test_what_resolved_filled_in_is_named_with_its_source():
    # issue 14, done-when 2: a size not known (TD5's) is an age-typical one, and the output says so
    by_age = assumed_body(Subject(age_years=10, sex="female"))
    assert set(by_age) == {"body_mass_kg", "height_m"}
    assert by_age["height_m"] == "CDC 2000 growth-chart median for 10 years, females (Kuczmarski et al. 2002)"
    assert set(assumed_body(Subject(age_years=10, body_mass_kg=40.0))) == {"height_m"}
    assert "mean of both sexes" in assumed_body(Subject(age_years=10))["body_mass_kg"]
    assert assumed_body(None) == assumed_body(Subject()) == {
        name: "the presets' reference adult (75 kg, 1.75 m)" for name in ("body_mass_kg", "height_m")}
    assert assumed_body(Subject(body_mass_kg=58.8, height_m=1.727)) == {}


def test_unknown_age_and_sex_is_the_reference_adult_and_adults_keep_the_20_year_row():
    assert Subject().resolved() == Subject(body_mass_kg=75.0, height_m=1.75)
    assert REFERENCE_BODY == (75.0, 1.75)
    woman = Subject(sex="female").resolved()
    assert woman.body_mass_kg == pytest.approx(58.21897289)
    assert woman.height_m == pytest.approx(1.63338251)
    assert Subject(age_years=45, sex="female").resolved().body_mass_kg == woman.body_mass_kg
    either = Subject(age_years=10).resolved()  # sex unknown: the mean of the two medians
    boy, girl = Subject(age_years=10, sex="male").resolved(), Subject(age_years=10, sex="female").resolved()
    assert either.height_m == pytest.approx((boy.height_m + girl.height_m) / 2)


@pytest.mark.parametrize(
    "fields,name,expected",
    [
        ({"age_years": 1.0}, "age_years", "[2, 100] years"),
        ({"age_years": 130}, "age_years", "[2, 100] years"),
        ({"age_years": float("nan")}, "age_years", "[2, 100] years"),
        ({"age_years": "ten"}, "age_years", "[2, 100] years"),
        ({"body_mass_kg": 154 * 1000.0}, "body_mass_kg", f"[{BODY_MASS_BOUNDS_KG[0]:g}, {BODY_MASS_BOUNDS_KG[1]:g}] kg"),
        ({"body_mass_kg": True}, "body_mass_kg", "kg"),
        ({"height_m": 175.0}, "height_m", f"[{HEIGHT_BOUNDS_M[0]:g}, {HEIGHT_BOUNDS_M[1]:g}] m"),
        ({"sex": "F"}, "sex", '"female" or "male"'),
    ],
)
def test_bad_fields_name_the_field_and_the_expected_values(fields, name, expected):
    with pytest.raises(ParameterError) as error:
        Subject(**fields)
    message = str(error.value)
    assert message.startswith(name) and expected in message


def test_no_subject_gives_exactly_the_default_preset():
    for joint in ("knee", "elbow", "ankle", "wrist"):
        got = jax.tree_util.tree_leaves(subject_params(joint))
        want = jax.tree_util.tree_leaves(default_params(joint))
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))


def test_segments_come_from_default_params_and_muscles_follow_geometric_similarity():
    child = Subject(body_mass_kg=32.0, height_m=1.38)
    params = subject_params("knee", child)
    plain = default_params("knee", body_mass=32.0, height=1.38)
    adult = default_params("knee")
    for path in ("limb.mass", "limb.com_distance", "limb.inertia"):
        assert get_param(params, path) == get_param(plain, path)
    force, length = (32.0 / 75.0) ** (2 / 3), 1.38 / 1.75
    assert size_scales(child) == pytest.approx({"force": force, "length": length, "torque": force * length})
    for kind, paths in SCALED_PATHS.items():
        scale = size_scales(child)[kind]
        for path in paths:
            assert float(get_param(params, path)) == pytest.approx(float(get_param(adult, path)) * scale), path
    # the CP1 test's assumed child (tests/fit/test_fit_children.py): 2495 and 1177 N.
    assert float(params.agonist.max_isometric_force) == pytest.approx(2494.6, abs=1)
    assert float(params.antagonist.max_isometric_force) == pytest.approx(1176.4, abs=1)
    # everything not size-dependent is untouched
    for path in ("motoneuron.gain", "agonist_geometry.optimal_angle", "limb.neutral_angle",
                 "limb.limit_high_slope", "agonist.passive_shape"):
        assert get_param(params, path) == get_param(adult, path)


def test_torque_capacity_scales_with_mass_for_geometrically_similar_bodies():
    # Folland et al. 2008: torque ~ mass^1.0 (force ~ mass^0.66) in lean young men. For bodies with
    # M ~ H^3, s_F s_L = (M/75)^(2/3) (M/75)^(1/3) = M/75.
    for factor in (0.4, 0.8, 1.3):
        mass, height = 75.0 * factor, 1.75 * factor ** (1 / 3)
        assert size_scales(Subject(body_mass_kg=mass, height_m=height))["torque"] == pytest.approx(factor)


def test_children_are_weaker_and_smaller_than_adults_at_every_joint_and_variant():
    small, large = Subject(age_years=4, sex="female"), Subject(age_years=17, sex="male")
    for joint in ("knee", "elbow", "ankle", "wrist"):
        for variants in ({}, {"tendon": "rigid"}, {"feedback": "force"}):
            a, b = subject_params(joint, small, **variants), subject_params(joint, large, **variants)
            assert float(a.agonist.max_isometric_force) < float(b.agonist.max_isometric_force)
            assert float(a.limb.inertia) < float(b.limb.inertia)


@pytest.mark.parametrize("mass", BODY_MASS_BOUNDS_KG)
@pytest.mark.parametrize("height", HEIGHT_BOUNDS_M)
@pytest.mark.parametrize("joint", ["knee", "elbow", "ankle", "wrist"])
def test_every_body_within_bounds_gives_valid_parameters(mass, height, joint):
    params = subject_params(joint, Subject(body_mass_kg=mass, height_m=height))  # validated on build
    assert float(params.agonist.max_isometric_force) > 0


def test_subject_is_frozen_and_compares_by_value():
    subject = Subject(age_years=10, sex="male")
    with pytest.raises(dataclasses.FrozenInstanceError):
        subject.age_years = 11
    assert Subject(age_years=10) == Subject(age_years=10.0)


def test_subject_from_an_ipsa_file_reads_its_body_at_run_time():
    from myoreflex import datasets
    from myoreflex.subjects import subject_from_file

    body = subject_from_file(datasets.path("cp1-right-ankle-stretches"))
    knee = subject_from_file(datasets.path("cp1-right-knee-stretches"))
    assert (body.body_mass_kg, body.height_m) == (knee.body_mass_kg, knee.height_m)  # one child, two files
    assert body.age_years is None and body.sex is None  # nothing else is read


def test_subject_from_a_file_without_a_body_is_one_clear_error(tmp_path):
    import scipy.io

    from myoreflex.errors import RecordingError
    from myoreflex.subjects import subject_from_file

    csv = tmp_path / "trace.csv"
    csv.write_text("time_s,knee_angle_deg\n0,1\n")
    with pytest.raises(RecordingError, match=r"trace\.csv.*IPSA \.mat"):
        subject_from_file(csv)
    bare = tmp_path / "bare.mat"
    scipy.io.savemat(bare, {"data": [[0.0, 1.0]]})
    with pytest.raises(RecordingError, match=r"bare\.mat.*pinfo"):
        subject_from_file(bare)
    missing = tmp_path / "missing.mat"
    scipy.io.savemat(missing, {"allsegments": {"pinfo": {"weight": -9999.0, "body_length": -9999.0}}})
    with pytest.raises(RecordingError, match=r"missing\.mat.*body_mass_kg"):
        subject_from_file(missing)


@pytest.mark.parametrize("joint", ["knee", "elbow", "ankle", "wrist"])
@pytest.mark.parametrize("variants", [{}, {"tendon": "rigid"}, {"feedback": "force"}])
def test_rescaling_a_body_measure_gives_the_parameters_of_that_body(joint, variants):
    # What a fit owes to an assumed body size is found by rescaling the fit's (conditioned, overridden)
    # tree (fit.pipeline.held_assumptions): it must equal subject_params of the other body, every leaf.
    from myoreflex.params import parameter_table

    base = subject_params(joint, Subject(body_mass_kg=60.0, height_m=1.6), **variants)
    for measure, other in (("body_mass", Subject(body_mass_kg=48.0, height_m=1.6)),
                           ("height", Subject(body_mass_kg=60.0, height_m=1.28))):
        want, got = subject_params(joint, other, **variants), rescaled_body(base, measure, 0.8)
        for row in parameter_table(want):
            assert float(get_param(got, row.path)) == pytest.approx(float(get_param(want, row.path)), rel=1e-12,
                                                                    abs=1e-15), (measure, row.path)
    with pytest.raises(ParameterError, match="body measure"):
        rescaled_body(base, "weight", 0.8)


def test_an_assumed_body_size_carries_the_growth_charts_spread():
    # CDC 2000 wtage.csv / statage.csv, 10-year girls (120.5 months): S 0.1959 (weight), 0.0487 (stature);
    # interpolated between the kept 108.5 and 120.5-month rows at exactly 120 months.
    spread = assumed_body_log_sd(Subject(age_years=10, sex="female"))
    assert spread["body_mass"][0] == pytest.approx(0.1959, abs=0.001)
    assert spread["height"][0] == pytest.approx(0.0487, abs=0.0005)
    assert "CDC 2000" in spread["body_mass"][1]
    assert set(assumed_body_log_sd(Subject(age_years=10, height_m=1.4))) == {"body_mass"}
    assert assumed_body_log_sd(Subject(body_mass_kg=32.0, height_m=1.38)) == {}
    adult = assumed_body_log_sd(None)  # the reference adult: the 20-year row, both sexes
    assert adult["body_mass"][0] == pytest.approx((0.161476792 + 0.166644749) / 2)
