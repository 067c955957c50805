"""Virtual populations: subjects drawn from documented adult distributions, one row per subject.

A virtual subject is a condition, a severity in [0, 1] and a body (mass and height, which set the
shank's mass, centre of mass and inertia through Winter's segment fractions in
:func:`myoreflex.model.default_params`). :func:`sample_population` draws them and returns rows that
:mod:`myoreflex.cohort` runs directly or writes as a manifest CSV.

Distributions (per subject, all independent given sex):

=============  ==================================================================================
sex            female or male with probability 1/2
height_m       normal; mean 1.759 m (men) and 1.619 m (women): US adults aged 20 and over, NHANES
               2011-2014 (Fryar et al. 2016, Vital Health Stat 3(39); NCHS press release of
               2016-08-03: "5 ft 9 1/4 in" and "5 ft 3 3/4 in"). SD 0.075 m (men) and 0.070 m
               (women): an assumption, the usual spread of adult height (about 3 in); clipped to
               [1.45, 2.10] m
body_mass_kg   log-normal with the same report's means, 88.8 kg (men, 195.7 lb) and 76.4 kg
               (women, 168.5 lb), and a coefficient of variation of 0.25 (an assumption: adult
               weight is right-skewed with an SD near a quarter of the mean); clipped to
               [40, 180] kg
condition      drawn with the probabilities given (default: half healthy, half stroke)
severity       0 for ``healthy``; otherwise Beta(2, 2) on [0, 1] (mean 0.5, few extremes). An
               assumption: no published distribution exists for the model's severity scale
               (:mod:`myoreflex.conditions`)
=============  ==================================================================================

Values are rounded (severity to 0.001, mass to 0.1 kg, height to 1 mm) so that a manifest CSV
reproduces them exactly. Subject ``i`` depends only on ``(seed, i)`` and the condition
probabilities: the first 100 subjects of a population of 1000 are the population of 100.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from myoreflex.conditions import CONDITIONS
from myoreflex.errors import ParameterError, describe

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


def sample_subject(index: int, *, seed: int, conditions: Mapping[str, float] = DEFAULT_CONDITIONS) -> dict:
    """The ``index``-th virtual subject of the population drawn with ``seed`` (see the module doc)."""
    names, probabilities = _probabilities(conditions)
    rng = np.random.default_rng([int(seed), int(index)])
    condition = names[int(rng.choice(len(names), p=probabilities))]
    sex = "male" if rng.random() < 0.5 else "female"
    body = ANTHROPOMETRY[sex]
    height = body["height_mean_m"] + body["height_sd_m"] * rng.standard_normal()
    height = float(np.clip(height, *HEIGHT_CLIP_M))
    mass = float(np.clip(_lognormal(rng, body["mass_mean_kg"], body["mass_cv"]), *MASS_CLIP_KG))
    severity = 0.0 if condition == "healthy" else float(rng.beta(*SEVERITY_BETA))
    return {
        "subject": f"virtual-{index:06d}",
        "condition": condition,
        "severity": round(severity, 3),
        "body_mass_kg": round(mass, 1),
        "height_m": round(height, 3),
        "sex": sex,
        "seed": int(seed),
    }


def sample_population(
    n: int,
    *,
    conditions: Mapping[str, float] = DEFAULT_CONDITIONS,
    seed: int = 0,
) -> list[dict]:
    """Draw ``n`` virtual adults: condition, severity, body mass and height (see the module doc).

    Parameters
    ----------
    n : number of subjects (>= 1).
    conditions : condition name -> probability weight (normalised); names from
        :data:`myoreflex.conditions.CONDITIONS`.
    seed : the population's seed; the same seed gives the same rows.

    Returns
    -------
    list of dict rows with keys ``subject, condition, severity, body_mass_kg, height_m, sex, seed``:
    a manifest that :func:`myoreflex.cohort.cohort_simulate` runs directly.

    Examples
    --------
    >>> rows = sample_population(3, seed=1)
    >>> sorted(rows[0])
    ['body_mass_kg', 'condition', 'height_m', 'seed', 'severity', 'sex', 'subject']
    >>> rows == sample_population(3, seed=1)
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(describe("population size n", "an integer >= 1", repr(n)))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(describe("seed", "an integer >= 0", repr(seed)))
    _probabilities(conditions)
    return [sample_subject(i, seed=int(seed), conditions=conditions) for i in range(int(n))]
