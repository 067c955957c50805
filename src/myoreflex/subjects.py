"""Subjects: a person's age, sex, body mass and height, and the model parameters of that body.

A :class:`Subject` holds what is known of a person (any subset of age, sex, body mass and height).
:meth:`Subject.resolved` fills what is missing from growth charts, and :func:`subject_params` gives
the joint's parameters for that body: :func:`myoreflex.model.default_params` at the body's mass and
height (segment mass, centre of mass and inertia, and what else that function scales with size),
then the muscles and passive tissue scaled from the preset's reference adult to the subject.

Missing body mass and height (:meth:`Subject.resolved`)
--------------------------------------------------------
- **Children and adolescents (2 to 20 years)**: the median (the M of the LMS tables) of the CDC 2000
  growth charts for the United States, stature-for-age and weight-for-age, 2 to 20 years, by sex
  (Kuczmarski et al. 2002, Vital Health Stat 11(246), files ``statage.csv`` and ``wtage.csv`` of
  https://www.cdc.gov/growthcharts/percentile_data_files.htm). :data:`GROWTH_CHARTS` holds the rows
  at 24 months and then at whole years (12 y + 0.5 months, CDC's mid-month ages) up to 240 months,
  with their L and S for drawing spread (:mod:`myoreflex.cohort.population`); ages in between are
  interpolated linearly in L, M and S, as the CDC recommends between tabulated ages.
- **Adults (20 years and over) of a given sex**: the chart's last row (240 months), that is the
  sex-specific median of a 20-year-old (male 70.6 kg, 1.768 m; female 58.2 kg, 1.633 m). An
  assumption: the charts stop at 20 years, when growth in height has ended; adult weight, which
  keeps changing with age, is not modelled.
- **Sex unknown** (age known): the mean of the two sexes' medians (an assumption).
- **Nothing known of age and sex**: the preset's reference adult, 75 kg and 1.75 m
  (:data:`REFERENCE_BODY`, the defaults of :func:`~myoreflex.model.default_params`), so
  ``subject_params(joint)`` equals ``default_params(joint)``.

Size scaling (:func:`size_scales`)
----------------------------------
The preset's muscles (Delp et al. 1990, Holzbaur et al. 2005) and passive joint moments are taken
to belong to the reference adult (:data:`REFERENCE_BODY`, an assumption: the published models
represent adult men of about that size). For another body, with geometric similarity:

- **lengths** (moment arms, optimal fibre lengths, tendon slack lengths) scale with height,
  ``s_L = H / 1.75 m``, as segment lengths do in Winter 2009 (Table 4.1: a fixed fraction of
  height) and as musculoskeletal models are scaled to a subject (Delp et al. 2007, OpenSim);
- **maximal isometric force** scales with body mass to the power 2/3, ``s_F = (M / 75 kg)^(2/3)``
  (force ~ cross-sectional area ~ mass^(2/3) under geometric similarity; measured exponents: 0.66
  for isometric knee-extension force and 1.0 for torque in 86 lean young men, Folland, Mc Cauley &
  Williams 2008, Eur J Appl Physiol 102:739, doi:10.1007/s00421-007-0654-x; recommended by Jaric
  2002, Sports Med 32:615). Joint torque then scales as ``s_F s_L`` (~ mass^1 for a geometrically
  similar body, the 1.0 of Folland et al.);
- **passive joint moments** (``limb.stiffness``, ``limb.damping``, ``limb.baseline_torque`` and the
  range-limit torques ``limb.limit_*_torque``) scale as the muscles' torque, ``s_F s_L`` (an
  assumption: passive tissue cross-section scales with muscle cross-section, its moment arm with
  height; angles and the exponential slopes are unchanged). The muscles' own passive force is a
  fraction of their maximal force, so it follows ``s_F`` without an override.

Not modelled (stated, not hidden): children produce less force per unit of muscle size than young
adults (Kanehisa et al. 1995, "Strength and cross-sectional area of knee extensor muscles in
children", Eur J Appl Physiol, doi:10.1007/BF00843736: isokinetic strength per cross-sectional area
times thigh length lower in 6-9-year-olds than in young adults; no factor is taken from it); women's strength per body mass below men's beyond
body size; paediatric segment fractions (Jensen 1989): children get Winter's adult segment
fractions (:func:`myoreflex.physiology.limb.segment_from_anthropometry`), a labelled fallback.

Examples
--------
>>> girl = Subject(age_years=10, sex="female").resolved()
>>> round(girl.body_mass_kg, 1), round(girl.height_m, 3)
(32.9, 1.38)
>>> knee = subject_params("knee", Subject(body_mass_kg=32.0, height_m=1.38))
>>> round(float(knee.agonist.max_isometric_force))
2494
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import ParameterError, checked_number, describe
from myoreflex.units import AGE_BOUNDS_YEARS, BODY_MASS_BOUNDS_KG, HEIGHT_BOUNDS_M, SEXES  # noqa: F401 (re-exported)

REFERENCE_BODY = (75.0, 1.75)
"""The body (kg, m) the presets' muscles and passive moments belong to (an assumption, module doc):
the defaults of :func:`myoreflex.model.default_params` and Winter 2009's reference adult."""
FORCE_MASS_EXPONENT = 2.0 / 3.0
"""Maximal isometric force ~ body mass^(2/3): geometric similarity; 0.66 measured by Folland,
Mc Cauley & Williams 2008 (Eur J Appl Physiol 102:739) in lean young men; Jaric 2002."""

CDC2000 = ("CDC 2000 growth charts, 2 to 20 years (Kuczmarski et al. 2002, Vital Health Stat 11(246)), "
           "statage.csv and wtage.csv, https://www.cdc.gov/growthcharts/percentile_data_files.htm")

#: CDC 2000 LMS rows: ``(sex, measure) -> rows of (age in months, L, M, S)``; M in kg (weight) or
#: cm (stature) as published. Rows at 24 months, 12 y + 0.5 months for y = 3..19, and 240 months.
GROWTH_CHARTS: dict[tuple[str, str], tuple[tuple[float, float, float, float], ...]] = {
    ("male", "weight"): (
        (24.0, -0.20615245, 12.6707633, 0.108125811),
        (36.5, -0.621319726, 14.40262749, 0.111874514),
        (48.5, -0.915241589, 16.31676727, 0.11995532),
        (60.5, -1.000453886, 18.48592413, 0.129879257),
        (72.5, -1.087471249, 20.77769565, 0.139142773),
        (84.5, -1.236497304, 23.16741888, 0.147337375),
        (96.5, -1.351813296, 25.75256528, 0.155973912),
        (108.5, -1.339405453, 28.68130005, 0.166659247),
        (120.5, -1.206688407, 32.08799062, 0.17892874),
        (132.5, -1.019277299, 36.07262569, 0.190029545),
        (144.5, -0.836961905, 40.67443658, 0.196591612),
        (156.5, -0.698166437, 45.81336172, 0.196662115),
        (168.5, -0.631876912, 51.23096332, 0.190808471),
        (180.5, -0.665609025, 56.49095862, 0.181665781),
        (192.5, -0.801993069, 61.09536847, 0.172459052),
        (204.5, -0.973244762, 64.69961427, 0.16564009),
        (216.5, -1.066224038, 67.28992603, 0.161922819),
        (228.5, -1.023291946, 69.19467288, 0.160138158),
        (240.0, -0.91648762, 70.59761453, 0.161476792),
    ),
    ("female", "weight"): (
        (24.0, -0.73533951, 12.05503983, 0.107399495),
        (36.5, -1.024471278, 13.94108332, 0.119491669),
        (48.5, -1.177029925, 15.87823668, 0.131802186),
        (60.5, -1.287691525, 18.02313904, 0.141190842),
        (72.5, -1.326763834, 20.33635961, 0.149589838),
        (84.5, -1.265548787, 22.86804258, 0.159693163),
        (96.5, -1.127684095, 25.7570168, 0.172147043),
        (108.5, -0.970685789, 29.14291171, 0.185201039),
        (120.5, -0.846872805, 33.06392318, 0.195947008),
        (132.5, -0.787374433, 37.39088668, 0.201971282),
        (144.5, -0.807599577, 41.82797963, 0.202298783),
        (156.5, -0.915513542, 45.98368656, 0.197363191),
        (168.5, -1.111606122, 49.49075409, 0.188559804),
        (180.5, -1.376478254, 52.13568193, 0.177946804),
        (192.5, -1.651248208, 53.94543725, 0.168124538),
        (204.5, -1.838091576, 55.18216811, 0.161752634),
        (216.5, -1.850946286, 56.22969564, 0.16036959),
        (228.5, -1.693267093, 57.35175792, 0.163138124),
        (240.0, -1.51336185, 58.21897289, 0.166644749),
    ),
    ("male", "stature"): (
        (24.0, 0.941523967, 86.45220101, 0.040321528),
        (36.5, -0.390918369, 95.27359106, 0.04053412),
        (48.5, 0.827636736, 102.5104735, 0.041344257),
        (60.5, 1.266367398, 109.1751441, 0.042593311),
        (72.5, 1.137442868, 115.6608862, 0.043673359),
        (84.5, 0.753244292, 122.0305342, 0.044403374),
        (96.5, 0.455267507, 128.1237104, 0.045127088),
        (108.5, 0.415687443, 133.7344759, 0.046217028),
        (120.5, 0.505564115, 138.8234114, 0.047610108),
        (132.5, 0.487939275, 143.7303663, 0.048937694),
        (144.5, 0.420919142, 149.3088178, 0.049947823),
        (156.5, 0.816239713, 156.4098858, 0.050333444),
        (168.5, 1.670433444, 164.1418486, 0.04894519),
        (180.5, 2.205180153, 170.139255, 0.045889585),
        (192.5, 2.113023423, 173.6100518, 0.043085685),
        (204.5, 1.724738292, 175.340954, 0.041408129),
        (216.5, 1.399999187, 176.1850208, 0.04064364),
        (228.5, 1.229163362, 176.6178621, 0.040391101),
        (240.0, 1.167279219, 176.8492322, 0.040369574),
    ),
    ("female", "stature"): (
        (24.0, 1.07244896, 84.97555512, 0.040791394),
        (36.5, 0.54198094, 94.21335709, 0.042017509),
        (48.5, 0.225705996, 101.033927, 0.043259907),
        (60.5, -0.057729947, 107.9566031, 0.044276588),
        (72.5, -0.219069129, 115.0054978, 0.044963636),
        (84.5, -0.210210748, 121.7616844, 0.045460702),
        (96.5, -0.079283065, 127.8262759, 0.045968169),
        (108.5, 0.08414848, 133.1303527, 0.04688401),
        (120.5, 0.284748919, 138.2111552, 0.048704503),
        (132.5, 0.744289752, 144.2609497, 0.050524236),
        (144.5, 1.303044695, 151.4865636, 0.048599314),
        (156.5, 1.242968236, 157.3436995, 0.043859135),
        (168.5, 0.95657215, 160.4776996, 0.041022401),
        (180.5, 0.895569834, 161.8979913, 0.040083845),
        (192.5, 0.941145943, 162.5689958, 0.039820663),
        (204.5, 0.999505539, 162.9238449, 0.039732048),
        (216.5, 1.047571238, 163.1307866, 0.039687311),
        (228.5, 1.083315329, 163.2590052, 0.039657339),
        (240.0, 1.108046193, 163.338251, 0.039636316),
    ),
}
ADULT_AGE_YEARS = 20.0
"""Age (years) from which the charts' last row (240 months) stands for an adult (module doc)."""


def growth_lms(age_years: float, sex: str, measure: str) -> tuple[float, float, float]:
    """The CDC 2000 ``(L, M, S)`` of ``measure`` ("weight" in kg or "stature" in m) at an age.

    L, M and S are interpolated linearly between the tabulated ages (:data:`GROWTH_CHARTS`); ages
    of 20 years and over get the 240-month row. M is returned in kg or m (the charts give cm).
    A value at z-score ``z`` is ``M (1 + L S z)^(1/L)`` (Cole's LMS method, as the CDC documents).

    Examples
    --------
    >>> [round(value, 4) for value in growth_lms(10.0, "male", "stature")]
    [0.5018, 1.3861, 0.0476]
    """
    if sex not in SEXES:
        raise ParameterError(describe("sex", " or ".join(SEXES), repr(sex)))
    rows = np.asarray(GROWTH_CHARTS[(sex, measure)])
    months = 12.0 * min(float(age_years), ADULT_AGE_YEARS)
    lms = [float(np.interp(months, rows[:, 0], rows[:, i])) for i in (1, 2, 3)]
    if measure == "stature":
        lms[1] /= 100.0
    return lms[0], lms[1], lms[2]


def _chart_row(age_years: float | None, sex: str | None) -> tuple[float, tuple[str, ...]]:
    """The growth-chart age and sexes that stand for a person: the 20-year row for an unknown age,
    both sexes for an unknown sex (module doc)."""
    return (ADULT_AGE_YEARS if age_years is None else age_years), (SEXES if sex is None else (sex,))


def median_body(age_years: float | None, sex: str | None) -> tuple[float, float]:
    """Median body mass (kg) and height (m) for an age and sex (either may be None; module doc).

    Examples
    --------
    >>> median_body(None, None)
    (75.0, 1.75)
    >>> [round(x, 2) for x in median_body(None, "male")]
    [70.6, 1.77]
    """
    if age_years is None and sex is None:
        return REFERENCE_BODY
    age, sexes = _chart_row(age_years, sex)
    mass = float(np.mean([growth_lms(age, s, "weight")[1] for s in sexes]))
    height = float(np.mean([growth_lms(age, s, "stature")[1] for s in sexes]))
    return mass, height


def _checked_number(name: str, value, bounds: tuple[float, float], unit: str) -> float | None:
    if value is None:
        return None
    low, high = bounds
    return checked_number(value, name, f"a number in [{low:g}, {high:g}] {unit}", low=low, high=high)


@dataclasses.dataclass(frozen=True)
class Subject:
    """What is known of a person: any subset of age (years), sex, body mass (kg) and height (m).

    Values are checked when the subject is made (a :class:`~myoreflex.errors.ParameterError`
    naming the field): age in [2, 100] years (:data:`AGE_BOUNDS_YEARS`), sex ``"female"`` or
    ``"male"``, body mass and height within
    :data:`~myoreflex.physiology.limb.BODY_MASS_BOUNDS_KG` and
    :data:`~myoreflex.physiology.limb.HEIGHT_BOUNDS_M`. :meth:`resolved` fills the missing body
    mass and height (module doc).

    Examples
    --------
    >>> Subject(age_years=10, sex="female").resolved().height_m > Subject(age_years=6).resolved().height_m
    True
    >>> Subject(height_m=175)
    Traceback (most recent call last):
    ...
    myoreflex.errors.ParameterError: height_m: expected a number in [0.8, 2.3] m; got 175
    """

    age_years: float | None = None
    sex: str | None = None
    body_mass_kg: float | None = None
    height_m: float | None = None

    def __post_init__(self):
        checked = {
            "age_years": _checked_number("age_years", self.age_years, AGE_BOUNDS_YEARS, "years"),
            "body_mass_kg": _checked_number("body_mass_kg", self.body_mass_kg, BODY_MASS_BOUNDS_KG, "kg"),
            "height_m": _checked_number("height_m", self.height_m, HEIGHT_BOUNDS_M, "m"),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        if self.sex is not None and self.sex not in SEXES:
            raise ParameterError(describe("sex", " or ".join(f'"{s}"' for s in SEXES), repr(self.sex)))

    def resolved(self) -> Subject:
        """The same subject with body mass and height filled from the growth charts where missing.

        Age and sex stay as given (None when unknown); the filled values are the medians of
        :func:`median_body`.

        Examples
        --------
        >>> Subject().resolved()
        Subject(age_years=None, sex=None, body_mass_kg=75.0, height_m=1.75)
        >>> boy = Subject(age_years=6, sex="male", height_m=1.2).resolved()
        >>> boy.height_m, round(boy.body_mass_kg, 1)
        (1.2, 20.7)
        """
        if self.body_mass_kg is not None and self.height_m is not None:
            return self
        mass, height = median_body(self.age_years, self.sex)
        return dataclasses.replace(
            self,
            body_mass_kg=mass if self.body_mass_kg is None else self.body_mass_kg,
            height_m=height if self.height_m is None else self.height_m,
        )


def subject_from_file(path) -> Subject:
    """The subject whose body a recording's metadata gives: a KU Leuven IPSA ``.mat`` file's
    ``pinfo`` (``weight`` kg, ``body_length`` m), read at run time and never copied anywhere (the
    same struct holds a birth date, which is not read).

    Examples
    --------
    >>> from myoreflex import datasets
    >>> body = subject_from_file(datasets.path("cp1-right-ankle-stretches"))
    >>> 20 < body.body_mass_kg < 100 and 1.0 < body.height_m < 2.0
    True
    """
    from pathlib import Path

    import scipy.io

    from myoreflex.errors import RecordingError

    path = Path(path)
    expected = "an IPSA .mat file whose pinfo holds weight (kg) and body_length (m)"
    if path.suffix.lower() != ".mat":
        raise RecordingError(describe(f"`{path.name}`", expected, f"a {path.suffix or 'suffix-less'} file"))
    try:
        raw = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False, variable_names=["allsegments"])
        segments = raw["allsegments"]
        pinfo = (segments[0] if hasattr(segments, "__len__") else segments).pinfo
        mass, height = float(pinfo.weight), float(pinfo.body_length)
    except (OSError, KeyError, AttributeError, ValueError, IndexError, TypeError, NotImplementedError) as error:
        raise RecordingError(describe(f"`{path.name}`", expected, f"{type(error).__name__}: {error}")) from None
    try:
        return Subject(body_mass_kg=mass, height_m=height)
    except ParameterError as error:  # -9999 and other placeholders for a missing value
        raise RecordingError(describe(f"`{path.name}` pinfo", expected, str(error))) from None


def subject_json(subject: Subject | None) -> dict:
    """The resolved subject of the JSON contracts: ``age_years, sex, body_mass_kg, height_m`` (None:
    the reference adult)."""
    return dataclasses.asdict((subject or Subject()).resolved())


def assumed_body(subject: Subject | None) -> dict[str, str]:
    """Which of body mass and height :meth:`Subject.resolved` filled in, each with where from (module
    doc): ``{"body_mass_kg": source, "height_m": source}`` for those not given; empty when both were.
    The fit commands' JSON carries it as ``subject_assumed`` (issue 14: an age-typical size is said so).

    Examples
    --------
    >>> assumed_body(Subject(age_years=10))["height_m"]
    'CDC 2000 growth-chart median for 10 years, the mean of both sexes (Kuczmarski et al. 2002)'
    >>> assumed_body(Subject(body_mass_kg=32, height_m=1.38))
    {}
    """
    subject = subject or Subject()
    if subject.age_years is None and subject.sex is None:
        source = f"the presets' reference adult ({REFERENCE_BODY[0]:g} kg, {REFERENCE_BODY[1]:g} m)"
    else:
        age = f"{subject.age_years:g} years" if subject.age_years is not None else f"{ADULT_AGE_YEARS:g} years (adult)"
        sex = f"{subject.sex}s" if subject.sex is not None else "the mean of both sexes"
        source = f"CDC 2000 growth-chart median for {age}, {sex} (Kuczmarski et al. 2002)"
    return {name: source for name in ("body_mass_kg", "height_m") if getattr(subject, name) is None}


def size_scales(subject: Subject | None = None) -> dict[str, float]:
    """The subject's scale factors relative to :data:`REFERENCE_BODY` (module doc).

    Returns ``{"force": (M / 75 kg)^(2/3), "length": H / 1.75 m, "torque": force x length}``.

    Examples
    --------
    >>> {k: round(v, 3) for k, v in size_scales(Subject(body_mass_kg=32.0, height_m=1.38)).items()}
    {'force': 0.567, 'length': 0.789, 'torque': 0.447}
    """
    body = (subject or Subject()).resolved()
    mass, height = REFERENCE_BODY
    force = (body.body_mass_kg / mass) ** FORCE_MASS_EXPONENT
    length = body.height_m / height
    return {"force": force, "length": length, "torque": force * length}


#: Parameter paths scaled by :func:`subject_params`, by the scale that applies (module doc).
SCALED_PATHS = {
    "force": ("agonist.max_isometric_force", "antagonist.max_isometric_force"),
    "length": ("agonist.optimal_fibre_length", "antagonist.optimal_fibre_length",
               "agonist.tendon_slack_length", "antagonist.tendon_slack_length",
               "agonist_geometry.moment_arm", "antagonist_geometry.moment_arm"),
    "torque": ("limb.stiffness", "limb.damping", "limb.baseline_torque",
               "limb.limit_low_torque", "limb.limit_high_torque"),
}


#: How each scaled parameter follows the body (:func:`subject_params`): ``measure -> path -> e``, the
#: value ~ measure^e. Body mass: forces and passive moments ^(2/3) (:data:`FORCE_MASS_EXPONENT`),
#: segment mass and inertia ^1 (Winter 2009: ``m = f_m M``, ``I = m (f_p f_L H)^2``); height: lengths,
#: moment arms, passive moments, the centre of mass and the reflex delays ^1
#: (:func:`myoreflex.model.reflex_latency`), the inertia ^2.
SIZE_EXPONENTS = {
    "body_mass": {**{path: FORCE_MASS_EXPONENT for path in SCALED_PATHS["force"] + SCALED_PATHS["torque"]},
                  "limb.mass": 1.0, "limb.inertia": 1.0},
    "height": {**{path: 1.0 for path in SCALED_PATHS["length"] + SCALED_PATHS["torque"]},
               "limb.com_distance": 1.0, "limb.inertia": 2.0, "delays.afferent": 1.0, "delays.efferent": 1.0},
}


def rescaled_body(params, measure: str, factor: float):
    """``params`` (of any body, condition or variant) for a body whose ``measure`` (``"body_mass"`` or
    ``"height"``) is ``factor`` times its own: each path of :data:`SIZE_EXPONENTS` times
    ``factor^e``, its kind of number kept (:func:`~myoreflex.params.scaled`). What a fit owes to a
    body size known only to a growth chart's spread is found with it
    (:func:`myoreflex.fit.pipeline.assumed_effects`).

    Examples
    --------
    >>> small = rescaled_body(subject_params("knee"), "height", 1.38 / 1.75)
    >>> round(float(small.delays.afferent), 4) == round(float(subject_params(
    ...     "knee", Subject(height_m=1.38, body_mass_kg=75.0)).delays.afferent), 4)
    True
    """
    from myoreflex.params import has_param, scaled

    if measure not in SIZE_EXPONENTS:
        raise ParameterError(describe("body measure", " or ".join(SIZE_EXPONENTS), repr(measure)))
    for path, exponent in SIZE_EXPONENTS[measure].items():
        if has_param(params, path):
            params = scaled(params, path, float(factor) ** exponent)
    return params


def assumed_body_log_sd(subject: Subject | None) -> dict[str, tuple[float, str]]:
    """For each of body mass and height that :meth:`Subject.resolved` fills in (:func:`assumed_body`),
    the sd of its log in the population its median came from, with the source: the CDC 2000 chart's
    S at that age and sex (the LMS S is the coefficient of variation, Cole 1990, about the sd of the
    log; both sexes' mean when the sex is unknown; the 20-year row for an adult or nobody known).
    A fit propagates it as an assumption's error (:class:`~myoreflex.fit.FitSettings` ``assumed_sd``).

    Examples
    --------
    >>> {k: round(v[0], 3) for k, v in assumed_body_log_sd(Subject(age_years=10, sex="female")).items()}
    {'body_mass': 0.195, 'height': 0.049}
    >>> assumed_body_log_sd(Subject(body_mass_kg=32, height_m=1.38))
    {}
    """
    subject = subject or Subject()
    age, sexes = _chart_row(subject.age_years, subject.sex)
    out = {}
    for field, measure, chart in (("body_mass_kg", "body_mass", "weight"), ("height_m", "height", "stature")):
        if getattr(subject, field) is None:
            sd = float(np.mean([growth_lms(age, sex, chart)[2] for sex in sexes]))
            out[measure] = (sd, f"CDC 2000 growth-chart S (coefficient of variation) of {chart} at {age:g} years, "
                                f"{' and '.join(sexes)} (Kuczmarski et al. 2002; Cole 1990 LMS method)")
    return out


def subject_params(joint: str = "knee", subject: Subject | None = None, **variants):
    """The parameters of ``joint`` for a subject's body (module doc).

    ``default_params(joint, body_mass=, height=, **variants)`` for the resolved subject (segment
    mass, centre of mass and inertia from Winter 2009, and what else default_params scales with the
    body), then muscle forces, muscle lengths and moment arms, and passive joint moments scaled
    from the reference adult (:func:`size_scales`, :data:`SCALED_PATHS`).

    Parameters
    ----------
    joint : "knee", "elbow", "ankle" or "wrist".
    subject : the person (:class:`Subject`); None is the reference adult, 75 kg and 1.75 m, whose
        parameters equal ``default_params(joint)``.
    **variants : ``spindle=``, ``tendon=``, ``feedback=``, ``calibrated=`` of
        :func:`~myoreflex.model.default_params`.

    Examples
    --------
    >>> from myoreflex.model import default_params
    >>> import jax
    >>> adult = subject_params("knee")
    >>> all(jax.tree_util.tree_leaves(adult == default_params("knee")))
    True
    >>> child = subject_params("knee", Subject(age_years=8, sex="male"))
    >>> float(child.agonist.max_isometric_force) < float(adult.agonist.max_isometric_force)
    True
    """
    from myoreflex.model import default_params
    from myoreflex.params import get_param, has_param, with_overrides

    body = (subject or Subject()).resolved()
    params = default_params(joint, body_mass=body.body_mass_kg, height=body.height_m, **variants)
    scales = size_scales(body)
    if all(value == 1.0 for value in scales.values()):
        return params
    overrides = {path: float(get_param(params, path)) * scales[kind]
                 for kind, paths in SCALED_PATHS.items() for path in paths if has_param(params, path)}
    return with_overrides(params, overrides)
