"""The fitters of ``cohort fit``: one subject's recordings and manifest row in, flat result columns out.

A fitter is a frozen dataclass called as ``fitter(trials, row) -> {column: value}`` by
:func:`myoreflex.cohort.cohort_fit`; its fields are the fit's settings (they enter the cohort's
resume keys and provenance). Each subject's start and prior centre is its preset: the joint's
default parameters for the body in the row's ``body_mass_kg`` and ``height_m`` columns (the
fitter's defaults when the row has none), under the fitter's condition and severity
(:func:`subject_preset`); the row's ``seed`` replaces the fitter's.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import ClassVar

from myoreflex.cohort.manifest import _number
from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.fit import FitResult, FitSettings, NotIdentifiedWarning, fit_pendulum, fit_stretch
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


def subject_preset(joint: str, row: Mapping, *, body_mass_kg: float, height_m: float, condition: str,
                   severity: float):
    """A cohort subject's start and prior centre: ``apply_condition(default_params(joint, mass,
    height), condition, severity)``, mass and height from the row's ``body_mass_kg`` and
    ``height_m`` columns when it has them (checked against
    :data:`~myoreflex.physiology.limb.BODY_MASS_BOUNDS_KG` and
    :data:`~myoreflex.physiology.limb.HEIGHT_BOUNDS_M`).

    Examples
    --------
    >>> preset = subject_preset("knee", {"body_mass_kg": "60"}, body_mass_kg=75.0, height_m=1.75,
    ...                         condition="healthy", severity=0.0)
    >>> preset.joint
    'knee'
    """
    from myoreflex.conditions import apply_condition
    from myoreflex.model import default_params

    mass = row_number(row, "body_mass_kg", body_mass_kg, BODY_MASS_BOUNDS_KG)
    height = row_number(row, "height_m", height_m, HEIGHT_BOUNDS_M)
    return apply_condition(default_params(joint, body_mass=mass, height=height), condition, severity)


def result_columns(result: FitResult) -> dict:
    """A fit's cohort-table columns: each parameter with ``_ci95_low``/``_ci95_high``, ``converged``,
    ``not_identified`` (the identifiability messages, ``"; "``-joined) and ``warnings`` (the failed
    quality gates of a lenient fit, ``"; "``-joined)."""
    columns: dict = {}
    for name in result.names:
        low, high = result.ci95[name]
        columns.update({name: result.params[name], f"{name}_ci95_low": low, f"{name}_ci95_high": high})
    gates = [message for message in result.warnings if message not in result.not_identified]
    columns.update(converged=result.converged, not_identified="; ".join(result.not_identified),
                   warnings="; ".join(gates))
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
        """The subject's result columns: its fit with the row's seed (else the fitter's), the
        identifiability warnings kept in the ``not_identified`` column instead of emitted."""
        seed = row.get("seed")
        settings = FitSettings(method=self.method, starts=self.starts, seed=self.seed if seed is None else int(seed))
        params0 = self.params0(row)
        clock = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotIdentifiedWarning)
            result = self.fit(trials, params0, settings, row)
        return {**result_columns(result), **self.columns(result, trials), "fit_s": time.perf_counter() - clock}


@dataclasses.dataclass(frozen=True)
class PendulumFitter(_SubjectFit):
    """:func:`~myoreflex.fit.fit_pendulum` for one subject of a cohort (module doc).

    Each subject needs exactly one pendulum recording. Returned columns: for each free parameter
    ``p``, ``p``, ``p_ci95_low`` and ``p_ci95_high``; ``rmse_deg``, ``converged``,
    ``noise_sd_deg``, ``not_identified``, ``warnings`` (:func:`result_columns`) and ``fit_s`` (seconds).

    Examples
    --------
    >>> PendulumFitter(condition="cerebral_palsy", severity=0.5).free
    ('motoneuron.gain', 'motoneuron.threshold')
    """

    joint: ClassVar[str] = "knee"

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
