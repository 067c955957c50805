"""What a fit returns: :class:`FitResult`, and the warning raised when the data cannot identify a parameter.

A NUTS fit keeps its draws by chain (:attr:`FitResult.chains`); :meth:`FitResult.to_inference_data`
gives them to ArviZ (trace plots, R-hat, ESS per chain) and :func:`write_posterior` saves them as
netCDF (``fit --samples-out post.nc``), which ``arviz.from_netcdf`` opens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from myoreflex.errors import MyoreflexWarning, ParameterError, describe, require_extra
from myoreflex.measures import as_json


class NotIdentifiedWarning(MyoreflexWarning):
    """A fitted parameter is not identified by the data given.

    Emitted when its posterior spread is close to its prior spread (the data taught little), or
    when it is so correlated with another free parameter (|r| > 0.95) that only a combination of
    the two is determined.
    """


@contextlib.contextmanager
def identification_warnings_silenced():
    """Inside, fits do not emit :class:`NotIdentifiedWarning`: for callers that report each fit's
    ``FitResult.warnings`` themselves (the command line's report, a cohort's ``not_identified`` column)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotIdentifiedWarning)
        yield


@dataclasses.dataclass(frozen=True)
class FittedTrace:
    """One recorded channel and the fitted model's version of it, for plots (units at the edge).

    ``label`` names the recording (file or stretch velocity), ``channel`` the channel
    (``angle``, ``torque``, ``emg_<muscle>``) and ``unit`` the unit of ``observed`` and
    ``fitted`` (``deg``, ``N m``, ...); ``time`` in s.
    """

    label: str
    channel: str
    unit: str
    time: np.ndarray
    observed: np.ndarray
    fitted: np.ndarray


@dataclasses.dataclass(frozen=True)
class FitResult:
    """Estimated parameters with their uncertainty, and everything needed to reproduce the fit.

    Attributes
    ----------
    params : name -> value (SI, the unit of the parameter's metadata) at the maximum a posteriori.
    ci95 : name -> (low, high), the 95 % interval: from the Laplace approximation (``method="map"``)
        or from the NUTS posterior draws (``method="nuts"``; the Laplace one is kept in
        ``laplace_ci95``).
    sd : name -> posterior standard deviation (delta method for the Laplace approximation).
    rmse_deg : root-mean-square angle error of the fitted model over the fitted window (deg);
        None when the angle is prescribed (a motorized stretch follows the recorded angle, so the
        model has no angle error; see ``rmse_nm``).
    converged : True when the optimiser moved every free parameter from its start, the gradient at
        the optimum is small (Newton decrement below 0.1 in the posterior's metric, the projected
        gradient at the bounds) and the Hessian is positive definite
        (:func:`myoreflex.fit.core.convergence`; the three tests are in ``convergence``) and, for
        NUTS, no chain diverged and every R-hat is below 1.1. A fit left at its starting values is
        never converged.
    names : the free parameters in the order of ``correlations``.
    correlations : posterior correlation matrix (Laplace), shape ``(len(names), len(names))``.
    warnings : the failed quality gates of a lenient fit (first), then the identifiability messages
        (also emitted as :class:`NotIdentifiedWarning`).
    method : ``"map"`` or ``"nuts"``.
    data : what was fitted (source file, channel, window, release, initial angle, sample count).
    model_version : ``myoreflex.__version__`` of the run.
    settings : every setting of the fit (free paths, bounds, priors, dt, starts, noise model...).
    seed : the seed from which the starts and the NUTS chains were drawn.
    history : one entry per start: its initial and final values, cost per iteration, status.
    noise_sd_deg : the residual standard deviation used in the likelihood (deg), after the
        autocorrelation correction when it was estimated; None for a stretch fit (``noise_sd``).
    laplace_ci95 : the Laplace intervals (equal to ``ci95`` for ``method="map"``).
    samples : name -> posterior draws (``method="nuts"`` only), every chain's draws one chain after
        the other, shape ``(num_chains * num_samples,)``.
    chains : name -> the same draws by chain, shape ``(num_chains, num_samples)`` (``method="nuts"``
        only; ``samples[name] == chains[name].ravel()``).
    sample_stats : per draw, shape ``(num_chains, num_samples)``: ``diverging`` (bool) and
        ``n_steps`` (leapfrog steps) (``method="nuts"`` only).
    diagnostics : NUTS diagnostics (R-hat, effective sample size, divergences), timings.
    fitted : ``(time_s, observed_angle_rad, fitted_angle_rad)`` over the fitted window, for plots
        (pendulum fits).
    rmse_nm : root-mean-square torque error (N m) of a stretch fit, over every fitted sample; None
        for a pendulum fit.
    noise_sd : channel -> the noise sd used in the likelihood, unit in the name
        (``{"torque_Nm": ..., "emg": ...}``), after the autocorrelation correction when estimated.
    traces : every fitted channel of every recording with the model's version, for plots
        (:func:`myoreflex.report.figures.fit_figure`).
    not_identified : the identifiability messages alone (the end of ``warnings``).
    identified : free parameter -> whether the data identify it (:func:`myoreflex.fit.core.identification`:
        95 % interval narrower than half the prior's, no |correlation| > 0.95, moved by the optimiser,
        and, when profiled, a profile that rises on one side at least).
    identification : free parameter -> the verdict behind ``identified``: ``reasons`` (empty when
        identified), ``interval_fraction_of_prior``, ``max_abs_correlation``, ``interval_at_bound``.
    quality : ``"good"`` or ``"poor"`` from the fit's RMSE (``quality_rule`` says the rule and its
        source), None when the fit model grades none.
    quality_rule : the rule behind ``quality``.
    convergence : the tests behind ``converged``: ``moved``, ``unmoved``, ``decrement``,
        ``positive_definite``, ``reasons`` (why not converged), ``optimiser`` (its stopping reason).
    profiles : profiled parameter -> its profile (:func:`myoreflex.fit.core.profile`), when asked
        for by ``FitSettings(profile=...)``.
    assumptions : value held with a known error -> its ``value`` (None for a body measure or a joined
        group), ``prior_sd_log`` (the sd of its log), ``source``, ``sensitivity`` (free parameter ->
        ``d log x / d log assumed`` at the optimum; None for a parameter whose bounds let it reach
        zero) and ``shift`` (``dx / d log assumed``, in the parameter's unit;
        :func:`myoreflex.fit.core.with_assumed`). The held values are the regression priors not freed
        (``limb.inertia``: :data:`myoreflex.fit.pipeline.REGRESSION_PRIORS`) and
        ``FitSettings.assumed_sd`` (:func:`myoreflex.fit.pipeline.held_assumptions`: the body size
        the command line fills in from growth charts, ``--assumed-sd``); None when there are none. A
        parameter that these errors move by more than 10 % and whose interval they widen more than
        ``sqrt 2`` times is named in ``warnings`` (:data:`myoreflex.fit.pipeline.ASSUMPTION_WARNING_SHIFT`).
    ci95_with_assumptions : free parameter -> its 95 % interval (Laplace) with the assumed values'
        errors propagated: what ``ci95``, which sees only the measurement noise, would be if the
        held values were known only to their stated spreads.
    assumption_warnings : the messages of ``warnings`` that name a parameter depending on an assumed
        value more than on the noise (the end of ``warnings``).
    base : the parameter set the fit started from, as plain values
        (:func:`myoreflex.fit.simulate_fit.describe_params`: joint, variants, muscle names, every
        parameter's value), so that the fitted subject can be rebuilt and re-simulated
        (:meth:`subject_params`, :meth:`simulate`); None when the fit did not record it.
    """

    params: Mapping[str, float]
    ci95: Mapping[str, tuple[float, float]]
    sd: Mapping[str, float]
    rmse_deg: float | None
    converged: bool
    names: tuple[str, ...]
    correlations: np.ndarray
    warnings: tuple[str, ...]
    method: str
    data: Mapping[str, Any]
    model_version: str
    settings: Mapping[str, Any]
    seed: int
    history: tuple[Mapping[str, Any], ...]
    noise_sd_deg: float | None
    laplace_ci95: Mapping[str, tuple[float, float]]
    samples: Mapping[str, np.ndarray] | None = None
    diagnostics: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    fitted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    rmse_nm: float | None = None
    noise_sd: Mapping[str, float] = dataclasses.field(default_factory=dict)
    traces: tuple[FittedTrace, ...] = ()
    not_identified: tuple[str, ...] = ()
    identified: Mapping[str, bool] = dataclasses.field(default_factory=dict)
    identification: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    quality: str | None = None
    quality_rule: str | None = None
    convergence: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    profiles: Mapping[str, Mapping[str, Any]] | None = None
    chains: Mapping[str, np.ndarray] | None = None
    sample_stats: Mapping[str, np.ndarray] | None = None
    base: Mapping[str, Any] | None = None
    assumptions: Mapping[str, Mapping[str, Any]] | None = None
    ci95_with_assumptions: Mapping[str, tuple[float, float]] | None = None
    assumption_warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The command-line contract: ``{"params", "ci95", "rmse_deg", "converged"}`` (plain types).

        ``rmse_deg`` is null for a stretch fit (the angle is prescribed), which adds ``rmse_nm``
        (the torque RMSE, N m). ``warnings`` (always there, empty when none): the failed quality gates of
        a lenient fit and the parameters the data do not identify. Added keys: ``identified``
        (free parameter -> bool) and ``identification`` (the reasons), ``convergence`` (the tests
        behind ``converged``), ``quality`` and ``quality_rule`` when the model grades its fit,
        ``profiles`` when profiles were computed, ``assumptions`` and ``ci95_with_assumptions`` when the
        fit holds values with a known error.
        """
        out = {
            "params": {name: float(value) for name, value in self.params.items()},
            "ci95": {name: [float(low), float(high)] for name, (low, high) in self.ci95.items()},
            "rmse_deg": None if self.rmse_deg is None else float(self.rmse_deg),
            "converged": bool(self.converged),
        }
        out["warnings"] = list(self.warnings)
        if self.rmse_nm is not None:
            out["rmse_nm"] = float(self.rmse_nm)
        if self.identified:
            out["identified"] = {name: bool(value) for name, value in self.identified.items()}
            out["identification"] = as_json(self.identification)
        if self.convergence:
            out["convergence"] = as_json(self.convergence)
        if self.quality is not None:
            out["quality"] = self.quality
            out["quality_rule"] = self.quality_rule
        if self.profiles:
            out["profiles"] = as_json(self.profiles)
        if self.assumptions:
            out["assumptions"] = as_json(self.assumptions)
            out["ci95_with_assumptions"] = {name: [float(low), float(high)]
                                            for name, (low, high) in self.ci95_with_assumptions.items()}
        # What re-simulating the fitted subject needs (myoreflex.fit.simulate_fit): the posterior as
        # the Laplace approximation (names, sd, correlations, bounds) or the NUTS draws, and the base.
        out["method"] = self.method
        out["names"] = list(self.names)
        out["sd"] = {name: float(value) for name, value in self.sd.items()}
        out["correlations"] = as_json(np.asarray(self.correlations))
        out["bounds"] = as_json(dict(self.settings.get("bounds", {})))
        out["noise_sd"] = as_json(dict(self.noise_sd))
        out["data"] = as_json(dict(self.data))
        if self.samples is not None:
            out["samples"] = {name: as_json(np.asarray(values)) for name, values in self.samples.items()}
        if self.base is not None:
            out["base"] = as_json(dict(self.base))
        return out

    def subject_params(self, base=None):
        """The fitted subject's parameter set: :attr:`base` (or ``base``, the fit's ``params0``) with
        the fitted values set (:func:`myoreflex.fit.simulate_fit.fitted_params`)."""
        from myoreflex.fit.simulate_fit import fitted_params

        return fitted_params(self, base)

    def simulate(self, protocol, treatments=(), draws: int = 200, **options):
        """:func:`myoreflex.fit.simulate_fit.simulate_fit` of this fit."""
        from myoreflex.fit.simulate_fit import simulate_fit

        return simulate_fit(self, protocol, treatments, draws, **options)

    def to_json(self, **dumps_kwargs) -> str:
        """:meth:`to_dict` as a JSON string (``fit ... --json``)."""
        return json.dumps(self.to_dict(), **dumps_kwargs)

    def correlation(self, first: str, second: str) -> float:
        """Posterior correlation of two free parameters."""
        i, j = self.names.index(first), self.names.index(second)
        return float(self.correlations[i, j])

    def to_inference_data(self):
        """The NUTS draws as an ArviZ ``InferenceData`` with ``chain`` and ``draw`` dimensions.

        Groups: ``posterior`` (one variable per free parameter, SI; its attrs hold the maximum a
        posteriori ``map`` and the Laplace interval) and ``sample_stats`` (``diverging``,
        ``n_steps``). Needs arviz and xarray (``data`` extra); with arviz 1.x, which has no
        ``InferenceData``, the same groups come as an ``xarray.DataTree``.

        A ``method="map"`` fit (Laplace approximation) has no chains: it raises
        :class:`~myoreflex.errors.ParameterError` rather than inventing draws; refit with
        ``FitSettings(method="nuts")``.

        Examples
        --------
        >>> idata = result.to_inference_data()  # doctest: +SKIP
        >>> dict(idata.posterior.sizes)  # doctest: +SKIP
        {'chain': 8, 'draw': 40}
        """
        if self.chains is None:
            raise ParameterError(describe(
                "FitResult.to_inference_data", "a NUTS fit (FitSettings(method='nuts')), whose draws form chains",
                f"a {self.method!r} fit, which has no draws" if self.method != "nuts" else "a fit without its chains",
                "refit with FitSettings(method='nuts')"))
        xarray = require_extra("xarray", "data")
        arviz = require_extra("arviz", "data")
        first = next(iter(self.chains.values()))
        coords = {"chain": np.arange(first.shape[0]), "draw": np.arange(first.shape[1])}
        posterior = xarray.Dataset(
            {name: (("chain", "draw"), np.asarray(values, dtype=float),
                    {"map": float(self.params[name]), "laplace_ci95": list(map(float, self.laplace_ci95[name]))})
             for name, values in self.chains.items()},
            coords=coords,
            attrs={"inference_library": "numpyro", "method": "nuts", "myoreflex_version": str(self.model_version),
                   "seed": int(self.seed), "source": str(self.data.get("source", ""))},
        )
        stats = xarray.Dataset({key: (("chain", "draw"), np.asarray(values))
                                for key, values in (self.sample_stats or {}).items()}, coords=coords)
        if hasattr(arviz, "InferenceData"):
            return arviz.InferenceData(posterior=posterior, sample_stats=stats)
        return xarray.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})


POSTERIOR_SUFFIXES = (".nc",)
"""Extensions :func:`write_posterior` writes (netCDF-4)."""


def write_posterior(result: FitResult, path: str | Path) -> Path:
    """Save a NUTS fit's draws (:meth:`FitResult.to_inference_data`) as netCDF-4; return the path.

    ``arviz.from_netcdf(path)`` opens it with its ``chain`` and ``draw`` dimensions. Needs arviz,
    xarray and h5netcdf (``data`` extra). Written atomically (a temporary name, then a rename:
    :func:`myoreflex.io.results.atomic_path`); ``path`` is checked first
    (:func:`myoreflex.io.results.check_output`: a ``.nc`` suffix, an existing writable folder).
    A Laplace fit raises :class:`~myoreflex.errors.ParameterError` (no chains).
    """
    from myoreflex.io.results import atomic_path, check_output

    path = check_output(path, suffixes=POSTERIOR_SUFFIXES, what="posterior samples")
    inference = result.to_inference_data()
    require_extra("h5netcdf", "data")
    with atomic_path(path) as temporary:
        inference.to_netcdf(str(temporary), engine="h5netcdf")
    return path
