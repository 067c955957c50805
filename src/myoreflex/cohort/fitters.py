"""The fitters of ``cohort fit``: one subject's recordings and manifest row in, flat result columns out.

A fitter is a frozen dataclass called as ``fitter(trials, row) -> {column: value}`` by
:func:`myoreflex.cohort.cohort_fit`; its fields are the fit's settings (they enter the cohort's
resume keys and provenance). Each subject's start and prior centre is its preset: the joint's
parameters for the subject in the row's ``age_years``, ``sex``, ``body_mass_kg`` and ``height_m``
columns (:func:`myoreflex.subjects.subject_params`; a missing mass or height comes from the
growth charts when the row gives age or sex, else from the fitter's defaults), under the fitter's
condition and severity (:func:`subject_preset`); the row's ``seed`` replaces the fitter's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import ClassVar

from myoreflex.cohort.manifest import _number
from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.fit import FitResult, FitSettings, fit_pendulum, fit_stretch
from myoreflex.fit.pendulum import DEFAULT_FREE as PENDULUM_FREE
from myoreflex.fit.pendulum import DEFAULT_START as PENDULUM_START
from myoreflex.fit.result import identification_warnings_silenced
from myoreflex.fit.stretch import DEFAULT_FREE
from myoreflex.physiology.limb import BODY_MASS_BOUNDS_KG, HEIGHT_BOUNDS_M
from myoreflex.trial import Trial


def row_number(row: Mapping, column: str, default: float, bounds: tuple[float, float]) -> float:
    """A manifest row's number in ``column`` (``default`` when empty), checked against ``bounds``.

    Examples
    --------
    >>> row_number({"subject": "s1", "height_m": ""}, "height_m", 1.75, HEIGHT_BOUNDS_M)
    1.75
    """
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    low, high = bounds
    return _number(value, f"subject `{row.get('subject')}`, column `{column}`", f"a number in [{low:g}, {high:g}]",
                   low=low, high=high)


def row_subject(row: Mapping, *, body_mass_kg: float, height_m: float):
    """The :class:`myoreflex.subjects.Subject` of a manifest row: ``age_years``, ``sex``,
    ``body_mass_kg`` and ``height_m`` from its columns (checked: age in [2, 100] years, sex female or
    male, mass and height within :data:`~myoreflex.physiology.limb.BODY_MASS_BOUNDS_KG` and
    :data:`~myoreflex.physiology.limb.HEIGHT_BOUNDS_M`). A missing mass or height comes from the
    growth charts when the row gives age or sex, else from ``body_mass_kg`` and ``height_m``.

    Examples
    --------
    >>> row_subject({"age_years": "10", "sex": "female"}, body_mass_kg=75.0, height_m=1.75).resolved().height_m
    1.3799945509583336
    >>> row_subject({}, body_mass_kg=60.0, height_m=1.7)
    Subject(age_years=None, sex=None, body_mass_kg=60.0, height_m=1.7)
    """
    from myoreflex.subjects import AGE_BOUNDS_YEARS, SEXES, Subject

    def empty(column):
        value = row.get(column)
        return value is None or (isinstance(value, str) and not value.strip())

    age = None if empty("age_years") else row_number(row, "age_years", 0.0, AGE_BOUNDS_YEARS)
    sex = None if empty("sex") else str(row["sex"]).strip()
    if sex is not None and sex not in SEXES:
        raise ParameterError(describe(f"subject `{row.get('subject')}`, column `sex`", " or ".join(SEXES),
                                      repr(row["sex"])))
    known = age is not None or sex is not None
    mass = None if known and empty("body_mass_kg") else row_number(row, "body_mass_kg", body_mass_kg,
                                                                    BODY_MASS_BOUNDS_KG)
    height = None if known and empty("height_m") else row_number(row, "height_m", height_m, HEIGHT_BOUNDS_M)
    return Subject(age_years=age, sex=sex, body_mass_kg=mass, height_m=height)


def subject_preset(joint: str, row: Mapping, *, body_mass_kg: float, height_m: float, condition: str,
                   severity: float):
    """A cohort subject's start and prior centre: ``apply_condition(subject_params(joint, subject),
    condition, severity)`` for the row's subject (:func:`row_subject`: age, sex, mass and height
    columns, the fitter's ``body_mass_kg`` and ``height_m`` where the row gives neither body nor age
    and sex).

    Examples
    --------
    >>> preset = subject_preset("knee", {"body_mass_kg": "60"}, body_mass_kg=75.0, height_m=1.75,
    ...                         condition="healthy", severity=0.0)
    >>> preset.joint
    'knee'
    >>> child = subject_preset("knee", {"age_years": "8", "sex": "male"}, body_mass_kg=75.0, height_m=1.75,
    ...                        condition="healthy", severity=0.0)
    >>> float(child.agonist.max_isometric_force) < float(preset.agonist.max_isometric_force)
    True
    """
    from myoreflex.conditions import condition_preset

    return condition_preset(joint, condition, severity, row_subject(row, body_mass_kg=body_mass_kg, height_m=height_m))


def result_columns(result: FitResult) -> dict:
    """A fit's cohort-table columns: each parameter with ``_ci95_low``/``_ci95_high`` (and, when the fit
    holds a value from a regression, ``_ci95_with_assumptions_low``/``_high``), ``converged``,
    ``not_identified`` (the identifiability messages, ``"; "``-joined), ``assumptions`` (the parameters
    that depend on an assumed value more than on the noise) and ``warnings`` (the failed quality gates of
    a lenient fit, ``"; "``-joined)."""
    columns: dict = {}
    widened = result.ci95_with_assumptions or {}
    for name in result.names:
        low, high = result.ci95[name]
        columns.update({name: result.params[name], f"{name}_ci95_low": low, f"{name}_ci95_high": high})
        if name in widened:
            columns.update({f"{name}_ci95_with_assumptions_low": widened[name][0],
                            f"{name}_ci95_with_assumptions_high": widened[name][1]})
    explained = set(result.not_identified) | set(result.assumption_warnings)
    gates = [message for message in result.warnings if message not in explained]
    columns.update(converged=result.converged, not_identified="; ".join(result.not_identified),
                   assumptions="; ".join(result.assumption_warnings), warnings="; ".join(gates))
    return columns


@dataclasses.dataclass(frozen=True)
class _SubjectFit:
    """What every fitter shares (not used directly): the free parameters, the subject's preset and
    body defaults, the estimation settings and the step. ``fit(trials, params0, settings)`` and
    ``columns(result, trials)`` are each fitter's own."""

    free: tuple[str, ...] = DEFAULT_FREE
    condition: str = "healthy"
    severity: float = 0.0
    body_mass_kg: float = 75.0
    height_m: float = 1.75
    method: str = "map"
    starts: int = 4
    seed: int = 0
    dt: float = 2e-3
    lenient: bool = False  # fit recordings that fail a quality gate, naming it in `warnings`

    def __post_init__(self):
        object.__setattr__(self, "free", tuple(self.free))

    def check(self) -> None:
        """Refuse, before a cohort starts, free parameters the preset lacks or that are not numeric
        (an unknown path lists close matches); :func:`myoreflex.cohort.cohort_fit` calls it."""
        from myoreflex.params import get_param, has_param, parameter_table

        preset = self.params0()
        numeric = {row.path for row in parameter_table(preset)}
        if not self.free:
            raise ParameterError(describe("free parameters", "at least one parameter path", "none"))
        for path in self.free:
            if not isinstance(path, str) or not has_param(preset, path):
                get_param(preset, str(path))  # raises, listing close matches
            if path not in numeric:
                raise ParameterError(describe(f"free parameter `{path}`", "a numeric parameter path (see "
                                              "`myoreflex params`)", "a structural field or a whole part"))

    def params0(self, row: Mapping | None = None):
        """The subject's start and prior centre: the preset of its body under the condition."""
        return subject_preset(self.joint, row or {}, body_mass_kg=self.body_mass_kg, height_m=self.height_m,
                              condition=self.condition, severity=self.severity)

    def __call__(self, trials: Sequence[Trial], row: Mapping) -> dict:
        """The subject's result columns: its fit with the row's seed (else the fitter's) and, as
        ``myoreflex fit`` does, the default spreads of its held values propagated (a body measure
        filled in from the growth charts, a knee or ankle delay:
        :func:`~myoreflex.fit.pipeline.default_assumed_sd`), the identifiability warnings kept in the
        ``not_identified`` column instead of emitted."""
        from myoreflex.fit.pipeline import default_assumed_sd

        seed = row.get("seed")
        subject = row_subject(row, body_mass_kg=self.body_mass_kg, height_m=self.height_m)
        settings = FitSettings(method=self.method, starts=self.starts, seed=self.seed if seed is None else int(seed),
                               assumed_sd=default_assumed_sd(subject, self.joint, self.free))
        params0 = self.params0(row)
        clock = time.perf_counter()
        with identification_warnings_silenced():
            result = self.fit(trials, params0, settings, row)
        return {**result_columns(result), **self.columns(result, trials), "fit_s": time.perf_counter() - clock}


@dataclasses.dataclass(frozen=True)
class PendulumFitter(_SubjectFit):
    """:func:`~myoreflex.fit.fit_pendulum` for one subject of a cohort (module doc).

    Each subject needs exactly one pendulum recording. By default it frees what ``myoreflex fit
    pendulum`` frees (:data:`myoreflex.fit.pendulum.DEFAULT_FREE`: reflex gain, damping, stiffness,
    baseline torque) and, like it, gives each subject's preset the values of
    :data:`myoreflex.fit.pendulum.DEFAULT_START` (motor-neuron threshold 0 pps) that are not freed:
    ``fixed`` (``{path: value}``, kept as sorted pairs; None: that default). Returned columns: for each
    free parameter ``p``, ``p``, ``p_ci95_low`` and ``p_ci95_high``; ``rmse_deg``, ``converged``,
    ``noise_sd_deg``, ``not_identified``, ``warnings`` (:func:`result_columns`) and ``fit_s`` (seconds).

    Examples
    --------
    >>> fitter = PendulumFitter(condition="cerebral_palsy", severity=0.5)
    >>> fitter.free
    ('motoneuron.gain', 'limb.damping', 'limb.stiffness', 'limb.baseline_torque')
    >>> fitter.fixed
    (('motoneuron.threshold', 0.0),)
    >>> PendulumFitter(free=["motoneuron.gain", "motoneuron.threshold"]).fixed  # a freed threshold keeps the preset's
    ()
    """

    joint: ClassVar[str] = "knee"
    free: tuple[str, ...] = PENDULUM_FREE
    fixed: Mapping[str, float] | tuple[tuple[str, float], ...] | None = None

    def __post_init__(self):
        super().__post_init__()
        fixed = self.fixed
        if fixed is None:
            fixed = {path: value for path, value in PENDULUM_START.items() if path not in self.free}
        pairs = fixed.items() if isinstance(fixed, Mapping) else fixed
        object.__setattr__(self, "fixed", tuple(sorted((str(path), float(value)) for path, value in pairs)))

    def params0(self, row: Mapping | None = None):
        """The subject's start and prior centre: its body's preset under the condition, with ``fixed``."""
        from myoreflex.params import with_overrides

        return with_overrides(super().params0(row), dict(self.fixed))

    def fit(self, trials: Sequence[Trial], params0, settings: FitSettings, row: Mapping) -> FitResult:
        if len(trials) != 1:
            raise RecordingError(describe(f"subject `{row.get('subject')}`", "one pendulum recording",
                                          f"{len(trials)} recordings"))
        return fit_pendulum(trials[0], params0, free=self.free, dt=self.dt, settings=settings, lenient=self.lenient)

    @staticmethod
    def columns(result: FitResult, trials: Sequence[Trial]) -> dict:
        return {"rmse_deg": result.rmse_deg, "noise_sd_deg": result.noise_sd_deg}


@dataclasses.dataclass(frozen=True)
class StretchFitter(_SubjectFit):
    """:func:`~myoreflex.fit.fit_stretch` for one subject of a cohort (module doc).

    Returned columns: for each free parameter ``p``, ``p``, ``p_ci95_low`` and ``p_ci95_high``
    (the parameter's unit, see ``myoreflex params``); ``rmse_nm``, ``converged``,
    ``n_stretches``, ``noise_sd_torque_Nm``, ``not_identified`` and ``warnings``
    (:func:`result_columns`) and ``fit_s`` (seconds).

    Examples
    --------
    >>> fitter = StretchFitter(joint="elbow", emg=True)
    >>> fitter.free
    ('motoneuron.gain', 'motoneuron.threshold')
    """

    joint: str = "elbow"
    emg: bool = False
    emg_muscle: str | None = None
    smoothing_s: float = 0.0

    def fit(self, trials: Sequence[Trial], params0, settings: FitSettings, row: Mapping) -> FitResult:
        return fit_stretch(trials, params0, free=self.free, emg=self.emg, emg_muscle=self.emg_muscle, dt=self.dt,
                           smoothing_s=self.smoothing_s, settings=settings, lenient=self.lenient)

    @staticmethod
    def columns(result: FitResult, trials: Sequence[Trial]) -> dict:
        return {"rmse_nm": result.rmse_nm, "n_stretches": len(trials),
                "noise_sd_torque_Nm": result.noise_sd["torque_Nm"]}
