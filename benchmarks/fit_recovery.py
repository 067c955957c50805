"""Parameter-recovery studies of the pendulum fit (issue 5 acceptance items 1 and 5; issue 14 item 5).

Every fit frees what ``myoreflex fit pendulum`` frees (:data:`myoreflex.fit.pendulum.DEFAULT_FREE`:
reflex gain, damping, stiffness, baseline torque) with the motor-neuron threshold fixed at its
:data:`~myoreflex.fit.pendulum.DEFAULT_START` (0 pps) in truth and fit. Each case is the knee preset
under stroke, cerebral palsy, multiple sclerosis or spinal cord injury at a severity drawn from
[0.4, 1.0] (deterministic from ``--seed``); its pendulum test is sampled at 100 Hz; every fit starts
from the healthy gain and damping (0.004 1/pps, 0.2 N m s/rad). Truth and fit use the same step
``--dt`` (default 2 ms, the fit's default).

``well``: the well-specified study. The fit's fixed parameters are the truth's; white noise of
``--noise-deg`` (1 deg: an electrogoniometer's error).

``misspecified``: the robustness study (issue 14 item 5). The truth differs from the fit's fixed
parts, each by a factor ``1 +- u``, ``u`` uniform in [0.2, 0.3], random sign (:data:`FACTORS`):

- ``passive``: both muscles' ``passive_strain_at_unit_force`` (one factor);
- ``inertia``: ``limb.inertia`` (on top of what the body gives it);
- ``tone``: ``motoneuron.tone``;
- ``delay``: ``delays.afferent`` and ``delays.efferent`` (one factor: the loop delay);
- ``body_mass`` and ``height``: the truth is ``subject_params`` of a body whose mass and height are
  the fit preset's (75 kg, 1.75 m) times their factors (segment mass, centre of mass and inertia,
  muscles and passive moments, reflex delays scaled with it); the fit keeps the 75 kg, 1.75 m adult;

and the noise is coloured: AR(1) with coefficient ``--rho`` (0.9 at 100 Hz: correlation time
0.1 s) and marginal sd ``--noise-deg``. The fit does not know any of this.

``joint``: the misspecified study's cases (same truths, factors and pendulum recordings) fitted
together with two motorised stretches of the same knee (:data:`STRETCH`: torque and the quadriceps'
EMG normalised to a maximal contraction), by :func:`myoreflex.fit.fit_pendulum_and_stretch`: the
stretch measures the reflex in N m and its excitation, which the swing alone gives only relative to
the shank's inertia.

``--declare``: what those fits are told of the held parts' spread (``FitSettings.assumed_sd``,
propagated to ``ci95_with_assumptions``): nothing beyond the inertia's regression prior (``none``),
the study's own spread of each factor (``study``, :data:`DECLARED`), the growth charts' spread of
the reference adult's body (``growth``: what ``myoreflex fit`` adds for a body it filled in), or
that and the knee's published latency spread (``defaults``: all that ``myoreflex fit`` adds).

``one_at_a_time``: the misspecified study's attribution, ``--per-factor`` cases for each
misspecification alone (white noise except for ``coloured_noise``; the anthropometry's mass and
height together).

Reports, as one JSON object (``--json``) or the summary:

- well: ``within_10pct`` (gain and damping, goal >= 0.90) and ``coverage`` (goal 0.85-1.0) per
  free parameter;
- misspecified: ``gain_within_25pct`` (goal >= 0.80), ``gain_coverage`` (goal >= 0.85) and
  ``gain_coverage_with_assumptions`` (the intervals with the held inertia's 20 % regression error and
  the ``--declare``d spreads propagated, ``FitResult.ci95_with_assumptions``),
  ``converged``, the median fit time, and ``by_factor``: for each misspecification the recovery and
  coverage of the cases where it was + and where it was -, and the least-squares slope of the log
  gain error on each factor's log (how much of the miss each explains);
- ``point_estimate_s``: median wall time of one fit after compilation (goal < 5 s on the CPU), and
  ``laplace_s``; ``compile_s``: the first fit's extra time (JAX compilation);
- ``nuts``: wall time of one NUTS posterior (``--nuts-samples`` draws per chain after 10 burn-in
  steps, 8 chains; goal < 60 s), with its 95 % intervals next to Laplace's.

``--extra-free PATH`` frees a parameter besides the default set in the misspecified and one-at-a-time
studies (``limb.inertia`` in RESULTS.md runs K and L; freed, it carries its regression prior).

A recording that fails a pendulum quality gate is fitted with ``lenient=True`` and the gate named in
the case's ``warnings`` (a real user would have had it refused).

Run: ``python benchmarks/fit_recovery.py --json`` (about 8 minutes on 2 shared CPU cores; RESULTS.md run K).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import warnings

import numpy as np

from myoreflex.conditions import apply_condition
from myoreflex.fit import (
    FitSettings,
    NotIdentifiedWarning,
    fit_pendulum,
    fit_pendulum_and_stretch,
    synthetic_pendulum,
    synthetic_stretches,
)
from myoreflex.fit.pendulum import DEFAULT_FREE, DEFAULT_START
from myoreflex.model import assumed_latency_log_sd
from myoreflex.params import get_param, with_overrides
from myoreflex.subjects import Subject, assumed_body_log_sd, subject_params
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

FREE = DEFAULT_FREE
GAIN = "motoneuron.gain"
CONDITIONS = ("stroke", "cerebral_palsy", "multiple_sclerosis", "spinal_cord_injury")
START = {GAIN: 0.004, "limb.damping": 0.2}
"""Where every fit starts: the healthy knee's gain and damping (the other free parameters at the preset's)."""
BODY = {"body_mass": 75.0, "height": 1.75}
"""The fit's preset body (kg, m): the reference adult of ``default_params``."""
FACTORS = {
    "passive": ("agonist.passive_strain_at_unit_force", "antagonist.passive_strain_at_unit_force"),
    "inertia": ("limb.inertia",),
    "tone": ("motoneuron.tone",),
    "delay": ("delays.afferent", "delays.efferent"),
    "body_mass": (),
    "height": (),
}
"""Misspecified parts of the truth and the parameter paths each factor multiplies (body mass and
height make the truth's whole preset through ``subject_params``)."""
STRETCH = {"velocities_deg_s": (60.0, 180.0), "noise_sd_nm": 0.5, "noise_sd_emg": 0.02}
"""The joint study's motorised stretches of each case's knee (synthetic_stretches, over the knee's range):
two velocities, white noise of 0.5 N m on the torque and of 0.02 on the EMG normalised to a maximal
contraction (2 % MVC), both assumptions of this study, not measured sensor figures."""
FACTOR_LOG_SD = float(np.sqrt(np.mean([np.log1p(sign * u) ** 2 for sign in (-1.0, 1.0)
                                        for u in np.linspace(0.2, 0.3, 1001)])))
"""The sd (root mean square) of a factor's log, ``log(1 +- u)``, ``u`` uniform in [0.2, 0.3]: 0.26."""
DECLARED = {**{"+".join(paths): FACTOR_LOG_SD for name, paths in FACTORS.items() if paths},
            "body_mass": FACTOR_LOG_SD, "height": FACTOR_LOG_SD}
"""``--declare``: the misspecification's spread told to the fit (``FitSettings.assumed_sd``): each factor
at :data:`FACTOR_LOG_SD`, its paths joined by ``+`` (one error), and the body's mass and height."""
DECLARATIONS = {"none": {}, "study": DECLARED, "growth": assumed_body_log_sd(None),
                "defaults": {**assumed_body_log_sd(None), **assumed_latency_log_sd("knee")}}
"""``--declare``: nothing beyond the inertia's regression prior; the study's spread (:data:`DECLARED`);
what ``myoreflex fit`` gives a body it filled in, here the reference adult's growth-chart spread
(:func:`myoreflex.subjects.assumed_body_log_sd`: 16 % of the weight, 4 % of the height; run P); or
all that ``myoreflex fit`` adds by default to a knee fit without a given body: that spread and the
loop delay's published 9.4 % (:func:`myoreflex.model.assumed_latency_log_sd`)."""
GROUPS = {"passive": ("passive",), "inertia": ("inertia",), "tone": ("tone",), "delay": ("delay",),
          "anthropometry": ("body_mass", "height"), "coloured_noise": ()}
"""The one-at-a-time study's groups: which factors each misspecifies (coloured_noise: only the noise)."""


def cases(n: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(n):
        yield CONDITIONS[i % len(CONDITIONS)], float(rng.uniform(0.4, 1.0)), int(rng.integers(1 << 31))


def draw_factors(rng, names) -> dict:
    """``1 +- u`` for each name, ``u`` uniform in [0.2, 0.3], the sign +1 or -1 with equal chance."""
    return {name: float(1.0 + rng.choice((-1.0, 1.0)) * rng.uniform(0.2, 0.3)) for name in names}


def ar1_noise(rng, n: int, sd: float, rho: float) -> np.ndarray:
    """AR(1) noise of marginal sd ``sd``: ``e_i = rho e_(i-1) + sqrt(1 - rho^2) sd w_i``, stationary from the start."""
    white = rng.standard_normal(n) * sd
    out = np.empty(n)
    out[0] = white[0]
    scale = np.sqrt(1.0 - rho**2)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + scale * white[i]
    return out


def preset(condition: str, severity: float, body_mass: float = BODY["body_mass"], height: float = BODY["height"]):
    """The knee of a body under a condition, threshold at DEFAULT_START (as ``fit pendulum`` sets it)."""
    knee = subject_params("knee", Subject(body_mass_kg=body_mass, height_m=height))
    return with_overrides(apply_condition(knee, condition, severity), DEFAULT_START)


def misspecified_truth(condition: str, severity: float, factors: dict):
    truth = preset(condition, severity, BODY["body_mass"] * factors.get("body_mass", 1.0),
                   BODY["height"] * factors.get("height", 1.0))
    scaled = {path: float(get_param(truth, path)) * factors[name]
              for name, paths in FACTORS.items() if name in factors for path in paths}
    return with_overrides(truth, scaled)


def recording(truth, *, noise_deg: float, rho: float, seed: int, dt: float) -> Trial:
    """``synthetic_pendulum`` of ``truth`` with white noise (rho 0) or AR(1) noise of coefficient rho."""
    if rho == 0.0:
        return synthetic_pendulum(truth, noise_sd_deg=noise_deg, seed=seed, dt=dt)
    clean = synthetic_pendulum(truth, noise_sd_deg=0.0, seed=seed, dt=dt)
    noise = ar1_noise(np.random.default_rng(seed), clean.time.size, noise_deg * DEG, rho)
    metadata = {**clean.metadata, "source": f"synthetic pendulum (seed {seed}, AR(1) noise {noise_deg:g} deg, "
                f"rho {rho:g})", "noise_sd_deg": noise_deg, "noise_ar1": rho}
    return Trial(clean.time, {"angle": Channel(clean["angle"] + noise, "rad")}, metadata)


def fit_case(truth, fit_preset, trial, dt: float, settings: FitSettings, free=FREE, stretches=None) -> dict:
    """One fit from START; with ``stretches``, the pendulum and the stretches together (the joint study)."""
    start = with_overrides(fit_preset, START)
    clock = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotIdentifiedWarning)
        if stretches:
            result = fit_pendulum_and_stretch(trial, stretches, start, free=free, dt=dt, settings=settings,
                                              lenient=True)
        else:
            result = fit_pendulum(trial, start, free=free, dt=dt, settings=settings, lenient=True)
    row = {
        "wall_s": time.perf_counter() - clock,
        "converged": bool(result.converged),
        "point_estimate_s": result.diagnostics["elapsed_s"]["point_estimate"],
        "laplace_s": result.diagnostics["elapsed_s"]["laplace"],
        "rmse_deg": result.rmse_deg,
        "white_noise_sd_deg": result.diagnostics["white_noise_sd_deg"],
        "warnings": list(result.warnings),
    }
    for path in free:
        true = float(get_param(truth, path))
        low, high = result.ci95[path]
        row[path] = {
            "truth": true,
            "fit": result.params[path],
            "ci95": [low, high],
            "rel_error": result.params[path] / true - 1.0 if true else None,
            "covered": bool(low <= true <= high),
        }
        if result.ci95_with_assumptions:  # the segment's inertia held at the body's: its 20 % error propagated
            low, high = result.ci95_with_assumptions[path]
            row[path].update(ci95_with_assumptions=[low, high], covered_with_assumptions=bool(low <= true <= high))
    return row


def _line(i: int, label: str, row: dict) -> str:
    gain = row[GAIN]
    return (f"{i:3d} {label:44s} gain {gain['rel_error']:+.3f} {'ok' if gain['covered'] else 'MISS'} "
            f"rmse {row['rmse_deg']:.2f} {'' if row['converged'] else 'NOT CONVERGED '}{row['wall_s']:.1f} s")


def _timing(rows: list[dict]) -> dict:
    later = rows[1:] or rows
    return {
        "first_fit_s": rows[0]["wall_s"],
        "compile_s": rows[0]["wall_s"] - statistics.median(r["wall_s"] for r in later),
        "point_estimate_s": statistics.median(r["point_estimate_s"] for r in later),
        "laplace_s": statistics.median(r["laplace_s"] for r in later),
        "fit_wall_s": statistics.median(r["wall_s"] for r in later),
    }


def _gain_summary(rows: list[dict]) -> dict:
    errors = [r[GAIN]["rel_error"] for r in rows]
    return {
        "cases": len(rows),
        "gain_within_25pct": float(np.mean([abs(e) <= 0.25 for e in errors])),
        "gain_within_10pct": float(np.mean([abs(e) <= 0.10 for e in errors])),
        "gain_coverage": float(np.mean([r[GAIN]["covered"] for r in rows])),
        "gain_coverage_with_assumptions": float(np.mean([r[GAIN].get("covered_with_assumptions", r[GAIN]["covered"])
                                                         for r in rows])),
        "converged": float(np.mean([r["converged"] for r in rows])),
        "gain_rel_error_median": float(np.median(errors)),
        "gain_rel_error_abs_median": float(np.median(np.abs(errors))),
        "gain_rel_error_range": [float(min(errors)), float(max(errors))],
    }


def run_well(n: int, seed: int, noise_deg: float, dt: float, starts: int) -> dict:
    rows = []
    for condition, severity, case_seed in cases(n, seed):
        truth = preset(condition, severity)
        trial = recording(truth, noise_deg=noise_deg, rho=0.0, seed=case_seed, dt=dt)
        row = {"condition": condition, "severity": severity, "seed": case_seed,
               **fit_case(truth, truth, trial, dt, FitSettings(seed=case_seed, starts=starts))}
        rows.append(row)
        print(_line(len(rows), f"well {condition} {severity:.2f}", row), file=sys.stderr, flush=True)
    recovered = [p for p in FREE if all(r[p]["rel_error"] is not None for r in rows)]
    summary = {
        "cases": n, "noise_deg": noise_deg, "dt_s": dt, "seed": seed, "starts": starts,
        "within_10pct": {p: float(np.mean([abs(r[p]["rel_error"]) <= 0.10 for r in rows])) for p in recovered},
        "coverage": {p: float(np.mean([r[p]["covered"] for r in rows])) for p in FREE},
        "converged": float(np.mean([r["converged"] for r in rows])),
        **_timing(rows),
    }
    summary["within_10pct"]["gain_and_damping"] = float(np.mean(
        [all(abs(r[p]["rel_error"]) <= 0.10 for p in (GAIN, "limb.damping")) for r in rows]))
    return {"summary": summary, "cases": rows}


def run_misspecified(n: int, seed: int, noise_deg: float, rho: float, dt: float, starts: int, free=FREE,
                     joint: bool = False, declare: str = "none") -> dict:
    """The misspecified study; ``joint``: each case's pendulum fitted with motorised stretches of the
    same (misspecified) knee (:data:`STRETCH`), the same cases and factors; ``declare``: what the fit is
    told of the held parts' spread (:data:`DECLARATIONS`)."""
    assumed = {name: sd for name, sd in DECLARATIONS[declare].items() if not set(name.split("+")) & set(free)}
    rng = np.random.default_rng(seed + 1)
    rows = []
    for condition, severity, case_seed in cases(n, seed):
        factors = draw_factors(rng, FACTORS)
        truth = misspecified_truth(condition, severity, factors)
        trial = recording(truth, noise_deg=noise_deg, rho=rho, seed=case_seed, dt=dt)
        stretches = synthetic_stretches(truth, STRETCH["velocities_deg_s"], noise_sd_nm=STRETCH["noise_sd_nm"],
                                        noise_sd_emg=STRETCH["noise_sd_emg"], seed=case_seed, dt=dt) if joint else None
        row = {"condition": condition, "severity": severity, "seed": case_seed, "factors": factors,
               **fit_case(truth, preset(condition, severity), trial, dt,
                          FitSettings(seed=case_seed, starts=starts, assumed_sd=assumed), free, stretches)}
        rows.append(row)
        signs = "".join("+" if factors[name] > 1 else "-" for name in FACTORS)
        print(_line(len(rows), f"{'joint' if joint else 'missp'} {condition} {severity:.2f} {signs}", row),
              file=sys.stderr, flush=True)
    summary = {"noise_deg": noise_deg, "noise_ar1": rho, "dt_s": dt, "seed": seed, "starts": starts,
               "factor_order": list(FACTORS), **_gain_summary(rows), **_timing(rows), "by_factor": by_factor(rows)}
    if joint:
        summary["stretches"] = STRETCH
    if assumed:
        summary["declared_assumed_sd"] = {name: sd if isinstance(sd, float) else sd[0] for name, sd in assumed.items()}
    return {"summary": summary, "cases": rows}


def by_factor(rows: list[dict]) -> dict:
    """Per misspecification: recovery and coverage of the gain where it was + and where -, and the
    least-squares slope of log(fit / truth) of the gain on the log factors (all factors together)."""
    names = list(FACTORS)
    x = np.array([[np.log(r["factors"][name]) for name in names] for r in rows])
    y = np.array([np.log1p(r[GAIN]["rel_error"]) for r in rows])
    design = np.column_stack([np.ones(len(rows)), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coef
    out = {"_intercept_log_gain_error": float(coef[0]),
           "_r2": float(1.0 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)) if len(rows) > 2 else None}
    for j, name in enumerate(names):
        entry = {"slope_log_gain_per_log_factor": float(coef[j + 1]),
                 "gain_change_at_plus_25pct": float(np.exp(coef[j + 1] * np.log(1.25)) - 1.0)}
        for sign, chosen in (("plus", x[:, j] > 0), ("minus", x[:, j] < 0)):
            picked = [r for r, keep in zip(rows, chosen, strict=True) if keep]
            entry[sign] = {
                "cases": len(picked),
                "gain_within_25pct": float(np.mean([abs(r[GAIN]["rel_error"]) <= 0.25 for r in picked])) if picked else None,
                "gain_coverage": float(np.mean([r[GAIN]["covered"] for r in picked])) if picked else None,
                "gain_rel_error_median": float(np.median([r[GAIN]["rel_error"] for r in picked])) if picked else None,
            }
        out[name] = entry
    return out


def run_one_at_a_time(per: int, seed: int, noise_deg: float, rho: float, dt: float, starts: int,
                      free=FREE) -> dict:
    rng = np.random.default_rng(seed + 2)
    out = {}
    count = 0
    for group, names in GROUPS.items():
        rows = []
        for condition, severity, case_seed in cases(per, seed + 3 + count):
            factors = draw_factors(rng, names)
            truth = misspecified_truth(condition, severity, factors)
            trial = recording(truth, noise_deg=noise_deg, rho=rho if group == "coloured_noise" else 0.0,
                              seed=case_seed, dt=dt)
            row = {"condition": condition, "severity": severity, "seed": case_seed, "factors": factors,
                   **fit_case(truth, preset(condition, severity), trial, dt, FitSettings(seed=case_seed, starts=starts),
                              free)}
            rows.append(row)
            count += 1
            label = f"{group} " + " ".join(f"{k} {v:.2f}" for k, v in factors.items())
            print(_line(count, label, row), file=sys.stderr, flush=True)
        out[group] = {"summary": _gain_summary(rows), "cases": rows}
    return out


def run_nuts(seed: int, noise_deg: float, dt: float, nuts_samples: int) -> dict:
    condition, severity, case_seed = next(cases(1, seed))
    truth = preset(condition, severity)
    trial = recording(truth, noise_deg=noise_deg, rho=0.0, seed=case_seed, dt=dt)
    clock = time.perf_counter()
    settings = FitSettings(method="nuts", seed=case_seed, num_warmup=10, num_samples=nuts_samples, num_chains=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotIdentifiedWarning)
        result = fit_pendulum(trial, with_overrides(truth, START), dt=dt, settings=settings)
    return {
        "wall_s": time.perf_counter() - clock,
        "draws": 8 * nuts_samples,
        "diagnostics_note": "fixed step in the Laplace metric (myoreflex.fit.core.NUTS_STEP_SIZE)",
        "truth": {p: float(get_param(truth, p)) for p in FREE},
        "ci95": {p: list(result.ci95[p]) for p in FREE},
        "laplace_ci95": {p: list(result.laplace_ci95[p]) for p in FREE},
        "diagnostics": {k: v for k, v in result.diagnostics.items() if k != "elapsed_s"},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", default="well,misspecified,one_at_a_time",
                        help="comma-separated: well, misspecified, one_at_a_time, joint")
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--per-factor", type=int, default=8, help="cases per misspecification in one_at_a_time")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--noise-deg", type=float, default=1.0)
    parser.add_argument("--rho", type=float, default=0.9, help="AR(1) coefficient of the misspecified noise")
    parser.add_argument("--dt", type=float, default=2e-3)
    parser.add_argument("--starts", type=int, default=4, help="optimiser starts per fit (the fit's default 4)")
    parser.add_argument(
        "--nuts-samples", type=int, default=40, help="NUTS draws per chain after 10 burn-in steps (0: skip)"
    )
    parser.add_argument("--extra-free", action="append", default=[],
                        help="a parameter path to free besides DEFAULT_FREE in the misspecified and one_at_a_time "
                             "studies (e.g. limb.inertia); repeat")
    parser.add_argument("--declare", choices=tuple(DECLARATIONS), default="none",
                        help="what the misspecified and joint studies' fits are told of the held parts' spread: "
                             "nothing (the inertia's 20 %% only), the study's (DECLARED), the growth charts' "
                             "for the reference adult, as `myoreflex fit` gives a body it filled in, or "
                             "that and the knee's latency spread (all of `myoreflex fit`'s defaults)")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    free = FREE + tuple(args.extra_free)
    studies = [s.strip() for s in args.studies.split(",") if s.strip()]
    unknown = set(studies) - {"well", "misspecified", "one_at_a_time", "joint"}
    if unknown:
        parser.error(f"--studies: expected well, misspecified, one_at_a_time, joint; got {', '.join(sorted(unknown))}")
    import jax

    import myoreflex

    myoreflex.configure()  # as the command line does
    clock = time.perf_counter()
    result = {"machine": {"processor": platform.processor() or platform.machine(), "python": platform.python_version(),
                          "jax": jax.__version__, "myoreflex": myoreflex.__version__},
              "free": list(FREE), "misspecified_free": list(free), "fixed": DEFAULT_START, "start": START}
    if "well" in studies:
        result["well"] = run_well(args.cases, args.seed, args.noise_deg, args.dt, args.starts)
    if "misspecified" in studies:
        result["misspecified"] = run_misspecified(args.cases, args.seed, args.noise_deg, args.rho, args.dt, args.starts,
                                                  free, declare=args.declare)
    if "joint" in studies:
        result["joint"] = run_misspecified(args.cases, args.seed, args.noise_deg, args.rho, args.dt, args.starts, free,
                                           joint=True, declare=args.declare)
    if "one_at_a_time" in studies:
        result["one_at_a_time"] = run_one_at_a_time(args.per_factor, args.seed, args.noise_deg, args.rho, args.dt,
                                                    args.starts, free)
    if args.nuts_samples:
        result["nuts"] = run_nuts(args.seed, args.noise_deg, args.dt, args.nuts_samples)
    result["total_wall_s"] = time.perf_counter() - clock
    if args.json:
        print(json.dumps(result, indent=1, default=float))
    else:
        summary = {key: value["summary"] for key, value in result.items() if isinstance(value, dict) and "summary" in value}
        if "one_at_a_time" in result:
            summary["one_at_a_time"] = {g: v["summary"] for g, v in result["one_at_a_time"].items()}
        print(json.dumps(summary, indent=1, default=float))


if __name__ == "__main__":
    main()
