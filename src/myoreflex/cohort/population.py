"""Virtual populations: subjects drawn from documented distributions, one row per subject.

A virtual subject is a condition, a severity in [0, 1], an age, a sex and a body (mass and height:
the segments, muscles and passive tissue of :func:`myoreflex.subjects.subject_params`).
:func:`sample_population` draws them and returns rows that :mod:`myoreflex.cohort` runs directly or
writes as a manifest CSV.

Distributions (per subject, all independent given sex and age):

=============  ==================================================================================
age_years      uniform on ``ages`` (default 20 to 80 years, an assumption: an adult population
               without a published age distribution behind it)
sex            female or male with probability 1/2
height_m       under 20 years: the CDC 2000 stature-for-age LMS distribution of the age and sex
               (:data:`myoreflex.subjects.GROWTH_CHARTS`), ``M (1 + L S z)^(1/L)`` with ``z``
               standard normal clipped to [-3, 3]; adults (20 and over): normal; mean 1.759 m (men) and 1.619 m (women): US adults aged 20 and over, NHANES
               2011-2014 (Fryar et al. 2016, Vital Health Stat 3(39); NCHS press release of
               2016-08-03: "5 ft 9 1/4 in" and "5 ft 3 3/4 in"). SD 0.075 m (men) and 0.070 m
               (women): an assumption, the usual spread of adult height (about 3 in); clipped to
               [1.45, 2.10] m. Every height is clipped to the accepted heights
               (:data:`~myoreflex.physiology.limb.HEIGHT_BOUNDS_M`)
body_mass_kg   under 20 years: the CDC 2000 weight-for-age LMS distribution, as for height, with
               its own independent ``z`` (an assumption: the charts publish no height-weight
               correlation); clipped to :data:`~myoreflex.physiology.limb.BODY_MASS_BOUNDS_KG`.
               Adults: log-normal with the same report's means, 88.8 kg (men, 195.7 lb) and 76.4 kg
               (women, 168.5 lb), and a coefficient of variation of 0.25 (an assumption: adult
               weight is right-skewed with an SD near a quarter of the mean); clipped to
               [40, 180] kg
condition      drawn with the probabilities given (default: half healthy, half stroke)
severity       0 for ``healthy``; otherwise Beta(2, 2) on [0, 1] (mean 0.5, few extremes). An
               assumption: no published distribution exists for the model's severity scale
               (:mod:`myoreflex.conditions`)
=============  ==================================================================================

Values are rounded (severity to 0.001, mass to 0.1 kg, height to 1 mm, age to 0.1 year) so that a
manifest CSV reproduces them exactly. Subject ``i`` depends only on ``(seed, i)``, the condition
probabilities and ``ages``: the first 100 subjects of a population of 1000 are the population of
100. The age comes from its own random stream, so an adult's body, condition and severity are
those drawn before ages existed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from myoreflex.conditions import CONDITIONS
from myoreflex.errors import ParameterError, describe
from myoreflex.physiology.limb import BODY_MASS_BOUNDS_KG, HEIGHT_BOUNDS_M
from myoreflex.subjects import ADULT_AGE_YEARS, AGE_BOUNDS_YEARS, growth_lms

#: NHANES 2011-2014 adult means (Fryar et al. 2016; NCHS press release 2016-08-03); SDs assumed.
ANTHROPOMETRY = {
    "male": {"height_mean_m": 1.759, "height_sd_m": 0.075, "mass_mean_kg": 88.8, "mass_cv": 0.25},
    "female": {"height_mean_m": 1.619, "height_sd_m": 0.070, "mass_mean_kg": 76.4, "mass_cv": 0.25},
}
HEIGHT_CLIP_M = (1.45, 2.10)
MASS_CLIP_KG = (40.0, 180.0)
SEVERITY_BETA = (2.0, 2.0)
"""Beta(a, b) of the severity of a non-healthy subject (an assumption, see the module doc)."""
DEFAULT_CONDITIONS = {"healthy": 0.5, "stroke": 0.5}
DEFAULT_AGES = (20.0, 80.0)
"""Default age range (years) of a population: adults (an assumption, see the module doc)."""
Z_CLIP = 3.0
"""Growth-chart z-scores are clipped to +-3: beyond it the LMS curves are extrapolations."""


def _probabilities(conditions: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    names = list(conditions)
    unknown = [name for name in names if name not in CONDITIONS]
    if not names or unknown:
        raise ParameterError(describe("conditions", f"names among {', '.join(CONDITIONS)}",
                                      unknown or "none"))
    weights = np.array([float(conditions[name]) for name in names])
    if np.any(~np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ParameterError(describe("conditions", "weights >= 0 with a positive sum", dict(conditions)))
    return names, weights / weights.sum()


def _lognormal(rng: np.random.Generator, mean: float, cv: float) -> float:
    """A log-normal draw with the given arithmetic mean and coefficient of variation."""
    sigma2 = np.log1p(cv**2)
    return float(np.exp(np.log(mean) - 0.5 * sigma2 + np.sqrt(sigma2) * rng.standard_normal()))


def _ages(ages) -> tuple[float, float]:
    low_bound, high_bound = AGE_BOUNDS_YEARS
    try:
        low, high = (float(age) for age in ages)
    except (TypeError, ValueError):
        low, high = math.nan, math.nan
    if not (low_bound <= low <= high <= high_bound):
        raise ParameterError(describe("ages", f"(low, high) years with {low_bound:g} <= low <= high <= "
                                      f"{high_bound:g}", repr(ages)))
    return low, high


def _lms_value(rng: np.random.Generator, age: float, sex: str, measure: str) -> float:
    """A draw from the CDC 2000 LMS distribution at ``age`` (kg, or m for stature)."""
    l, m, s = growth_lms(age, sex, measure)
    z = float(np.clip(rng.standard_normal(), -Z_CLIP, Z_CLIP))
    return m * (1.0 + l * s * z) ** (1.0 / l)


def sample_subject(index: int, *, seed: int, conditions: Mapping[str, float] = DEFAULT_CONDITIONS,
                   ages: tuple[float, float] = DEFAULT_AGES) -> dict:
    """The ``index``-th virtual subject of the population drawn with ``seed`` (see the module doc)."""
    names, probabilities = _probabilities(conditions)
    low, high = _ages(ages)
    rng = np.random.default_rng([int(seed), int(index)])
    condition = names[int(rng.choice(len(names), p=probabilities))]
    sex = "male" if rng.random() < 0.5 else "female"
    age = float(np.random.default_rng([int(seed), int(index), 1]).uniform(low, high))
    if age >= ADULT_AGE_YEARS:
        body = ANTHROPOMETRY[sex]
        height = body["height_mean_m"] + body["height_sd_m"] * rng.standard_normal()
        height = float(np.clip(height, *HEIGHT_CLIP_M))
        mass = float(np.clip(_lognormal(rng, body["mass_mean_kg"], body["mass_cv"]), *MASS_CLIP_KG))
    else:
        height = float(np.clip(_lms_value(rng, age, sex, "stature"), *HEIGHT_BOUNDS_M))
        mass = float(np.clip(_lms_value(rng, age, sex, "weight"), *BODY_MASS_BOUNDS_KG))
    severity = 0.0 if condition == "healthy" else float(rng.beta(*SEVERITY_BETA))
    return {
        "subject": f"virtual-{index:06d}",
        "condition": condition,
        "severity": round(severity, 3),
        "body_mass_kg": round(mass, 1),
        "height_m": round(height, 3),
        "sex": sex,
        "age_years": round(age, 1),
        "seed": int(seed),
    }


def sample_population(
    n: int,
    *,
    conditions: Mapping[str, float] = DEFAULT_CONDITIONS,
    seed: int = 0,
    ages: tuple[float, float] = DEFAULT_AGES,
) -> list[dict]:
    """Draw ``n`` virtual subjects: condition, severity, age, sex, body mass and height (module doc).

    Parameters
    ----------
    n : number of subjects (>= 1).
    conditions : condition name -> probability weight (normalised); names from
        :data:`myoreflex.conditions.CONDITIONS`.
    seed : the population's seed; the same seed gives the same rows.
    ages : (low, high) age range in years, drawn uniformly (2 <= low <= high <= 100); children
        (under 20) get growth-chart bodies. Default: adults, 20 to 80 years.

    Returns
    -------
    list of dict rows with keys ``subject, condition, severity, body_mass_kg, height_m, sex,
    age_years, seed``: a manifest that :func:`myoreflex.cohort.cohort_simulate` runs directly.

    Examples
    --------
    >>> rows = sample_population(3, seed=1)
    >>> sorted(rows[0])
    ['age_years', 'body_mass_kg', 'condition', 'height_m', 'seed', 'severity', 'sex', 'subject']
    >>> children = sample_population(3, seed=1, ages=(6, 12))
    >>> all(6 <= row["age_years"] <= 12 and row["height_m"] < 1.8 for row in children)
    True
    >>> rows == sample_population(3, seed=1)
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(describe("population size n", "an integer >= 1", repr(n)))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(describe("seed", "an integer >= 0", repr(seed)))
    _probabilities(conditions)
    ages = _ages(ages)
    return [sample_subject(i, seed=int(seed), conditions=conditions, ages=ages) for i in range(int(n))]
