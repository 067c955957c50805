"""One fit pipeline (fit/pipeline.py): a new fit model is one small module.

A toy model, a decaying exponential ``y = a exp(-t / tau) + c`` with a parameter ``unused`` that
does not enter it, goes through the same pipeline as the pendulum and stretch fits (bounds,
transform, batched Jacobians, starts, noise, Levenberg-Marquardt, Laplace, identifiability, NUTS,
FitResult). Its whole definition is the dozen lines below.
"""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

from myoreflex.errors import ParameterError
from myoreflex.fit import FitSettings, NotIdentifiedWarning, core, fit_model, pendulum, pipeline, stretch
from myoreflex.fit.pipeline import FitChannel, Prepared, Series
from myoreflex.params import param
from myoreflex.trial import Channel, Trial

TRUTH = {"amplitude": 3.0, "time_constant": 0.5, "offset": 0.2}
NOISE_SD = 0.01


class Decay(eqx.Module):
    amplitude: float = param(1.0, unit="1", bounds=(0.0, 10.0), source="test")
    time_constant: float = param(1.0, unit="s", bounds=(0.01, 10.0), source="test")
    offset: float = param(0.0, unit="1", bounds=(-1.0, 1.0), source="test")
    unused: float = param(0.0, unit="1", bounds=(-1.0, 1.0), source="test")


@dataclasses.dataclass(frozen=True)
class DecayResiduals:
    def __call__(self, params, nuisance, data):
        return params.amplitude * jnp.exp(-data["t"] / params.time_constant) + params.offset - data["y"]


@dataclasses.dataclass(frozen=True)
class DecayModel:
    def prepare(self, trials, params0):
        t, y = trials[0].time, trials[0]["signal"]
        return Prepared(residuals=DecayResiduals(), data={"t": t, "y": y}, n_residuals=t.size,
                        channels=(FitChannel("signal", "1", 1.0, start_sd=0.1),),
                        series=(Series(0, 0, "decay", "signal", t, y),),
                        description={"n_samples": t.size}, what="decay fit")


def _recording(seed=0):
    t = np.linspace(0.0, 2.0, 200)
    clean = TRUTH["amplitude"] * np.exp(-t / TRUTH["time_constant"]) + TRUTH["offset"]
    noisy = clean + NOISE_SD * np.random.default_rng(seed).standard_normal(t.size)
    return Trial(t, {"signal": Channel(noisy, "1")}, {"source": "decay.csv"})


def test_a_toy_model_of_a_dozen_lines_runs_through_the_pipeline_and_recovers_its_parameters():
    result = fit_model(DecayModel(), _recording(), Decay(), free=list(TRUTH))
    assert result.converged and not result.warnings
    for name, true in TRUTH.items():
        low, high = result.ci95[name]
        assert low <= true <= high, name
        # 200 samples at 1 % noise: every parameter to well within 2 % (Laplace sd below 0.5 %).
        assert result.params[name] == pytest.approx(true, rel=0.02, abs=0.005), name
    assert result.noise_sd["signal"] == pytest.approx(NOISE_SD, rel=0.15)  # estimated: what went in
    assert result.settings["noise"] == {"signal": pipeline.ESTIMATED_NOISE}
    (trace,) = result.traces
    assert trace.channel == "signal" and np.sqrt(np.mean((trace.fitted - trace.observed) ** 2)) < 1.2 * NOISE_SD
    assert result.data == {"n_samples": 200} and result.rmse_deg is None


def test_the_models_share_one_compiled_jacobian_function(monkeypatch):
    # Every model's residuals are a static argument of the one jitted core.model_jacobians; no fit
    # module has a transform to the bounds or a Jacobian of its own.
    for module in (pendulum, stretch):
        with open(module.__file__) as stream:
            source = stream.read()
        assert "jacfwd" not in source and "sigmoid" not in source and "runtime.jit" not in source
    calls = []

    def counted(z, *args, residuals, free, **kwargs):
        calls.append((type(residuals).__name__, free))
        return shared(z, *args, residuals=residuals, free=free, **kwargs)

    shared = core.model_jacobians
    monkeypatch.setattr(core, "model_jacobians", counted)
    fit_model(DecayModel(), _recording(1), Decay(), free=["amplitude", "time_constant", "offset"])
    assert calls and set(calls) == {("DecayResiduals", ("amplitude", "time_constant", "offset"))}


def test_the_jacobian_is_the_derivative_of_the_residuals_in_the_unconstrained_space():
    # Law: d r / d z from forward mode equals central differences of the residuals.
    trial, params0 = _recording(), Decay()
    prepared = DecayModel().prepare([trial], params0)
    free = ("amplitude", "time_constant", "offset")
    low, high = core.bounds_of(params0, free)
    arrays = {"base": params0, "data": {k: jnp.asarray(v) for k, v in prepared.data.items()},
              "low": jnp.asarray(low), "high": jnp.asarray(high), "bounded": jnp.ones(3, dtype=bool)}
    evaluate = core.batched_evaluator(core.model_jacobians, 8, arrays,
                                      {"residuals": prepared.residuals, "free": free})
    z = np.array([0.3, -1.2, 0.4])
    r, jac = evaluate(z[None])
    h = 1e-6
    numeric = np.stack([(evaluate((z + h * e)[None])[0] - evaluate((z - h * e)[None])[0])[0] / (2 * h)
                        for e in np.eye(3)], axis=-1)
    assert np.max(np.abs(jac[0] - numeric)) < 1e-7 * np.max(np.abs(jac[0]))
    # and the residuals are the model's at the transformed point
    x = core.to_constrained(z, low, high)
    expected = x[0] * np.exp(-trial.time / x[1]) + x[2] - trial["signal"]
    assert r[0] == pytest.approx(expected, abs=1e-12)


def test_a_parameter_the_data_do_not_see_is_not_identified_and_the_warning_points_here():
    with pytest.warns(NotIdentifiedWarning, match="`unused` is not identified") as caught:
        result = fit_model(DecayModel(), _recording(), Decay(), free=["amplitude", "unused"],
                           settings=FitSettings(noise_sd={"signal": NOISE_SD}))
    assert [w.filename for w in caught] == [__file__]
    assert result.settings["noise_sd"] == {"signal": NOISE_SD}
    assert len(result.not_identified) == 1 and "`unused`" in result.not_identified[0]
    assert result.warnings == result.not_identified  # no quality gate failed: the warnings are these
    from myoreflex.cohort.fitters import result_columns

    columns = result_columns(result)
    assert "`unused`" in columns["not_identified"] and columns["warnings"] == ""


def test_settings_and_noise_channels_are_checked():
    for bad in ({"method": "mcmc"}, {"starts": 0}, {"seed": -1}, {"num_chains": 1.5}, {"noise_sd": {"signal": 0.0}}):
        with pytest.raises(ParameterError, match=next(iter(bad))):
            FitSettings(**bad)
    with pytest.raises(ParameterError, match=r"noise_sd: expected channel labels among \['signal'\]"):
        fit_model(DecayModel(), _recording(), Decay(), free=["amplitude"], settings=FitSettings(noise_sd={"y": 1.0}))
    with pytest.raises(ParameterError, match="free"):
        fit_model(DecayModel(), _recording(), Decay(), free=["amplitude", "amplitude"])
    with pytest.raises(ParameterError, match="trials"):
        fit_model(DecayModel(), [], Decay(), free=["amplitude"])
    with pytest.raises(ParameterError, match="settings"):
        fit_model(DecayModel(), _recording(), Decay(), free=["amplitude"], settings={"method": "map"})


def test_nuts_runs_where_the_caller_never_switched_jax_to_float64():
    # myoreflex's float64 is thread-local; the sampler's host callback runs on XLA's thread, where a
    # float64 value would arrive and leave as float32 (it raised before) unless passed as raw words.
    pytest.importorskip("numpyro")
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import jax, numpy as np
        from test_pipeline import Decay, DecayModel, _recording
        from myoreflex.fit import FitSettings, fit_model
        settings = FitSettings(method="nuts", num_warmup=5, num_samples=10, num_chains=2)
        params0 = Decay(time_constant={TRUTH["time_constant"]}, offset={TRUTH["offset"]})
        result = fit_model(DecayModel(), _recording(), params0, free=["amplitude"], settings=settings)
        draws = result.samples["amplitude"]
        print(json.dumps({{"x64": bool(jax.config.jax_enable_x64), "n": int(draws.size),
                          "dtype": str(draws.dtype), "mean": float(np.mean(draws))}}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["x64"] is False and out["n"] == 20 and out["dtype"] == "float64"
    assert out["mean"] == pytest.approx(TRUTH["amplitude"], rel=0.05)


def test_a_held_value_with_a_declared_spread_widens_the_intervals_as_refits_say():
    # The time constant is held (at the truth) and declared known to 20 % (FitSettings.assumed_sd);
    # pipeline.assumed_effects reports d log amplitude / d log tau and propagates the error (GUM 5.1).
    # Law: refits with tau held 10 % higher and lower move the amplitude by that slope (10 % allows the
    # response's curvature over 10 % and the 1 % forward difference).
    trial, free = _recording(), ["amplitude", "offset"]
    held = Decay(time_constant=TRUTH["time_constant"])
    settings = FitSettings(noise_sd={"signal": NOISE_SD}, assumed_sd={"time_constant": 0.2})
    result = fit_model(DecayModel(), trial, held, free=free, settings=settings)
    effect = result.assumptions["time_constant"]
    assert effect["value"] == TRUTH["time_constant"] and effect["prior_sd_log"] == 0.2
    assert "FitSettings.assumed_sd" in effect["source"]
    refits = [fit_model(DecayModel(), trial, Decay(time_constant=TRUTH["time_constant"] * f), free=free,
                        settings=FitSettings(noise_sd={"signal": NOISE_SD})) for f in (1.1, 1 / 1.1)]
    slope = np.log(refits[0].params["amplitude"] / refits[1].params["amplitude"]) / (2 * np.log(1.1))
    assert effect["sensitivity"]["amplitude"] == pytest.approx(slope, rel=0.10)
    # The offset's bounds let it cross zero: its dependence is absolute (dx / d log tau), not relative.
    assert effect["sensitivity"]["offset"] is None
    shift = (refits[0].params["offset"] - refits[1].params["offset"]) / (2 * np.log(1.1))
    assert effect["shift"]["offset"] == pytest.approx(shift, rel=0.10)
    # The widened interval: the noise's sd and 20 % of the slope, added in quadrature (in z; here the
    # amplitude is far from its bounds, so log-linear to well under 1 %).
    noise_half = np.log(result.ci95["amplitude"][1] / result.ci95["amplitude"][0]) / 2
    wide_half = np.log(result.ci95_with_assumptions["amplitude"][1] / result.ci95_with_assumptions["amplitude"][0]) / 2
    assert wide_half == pytest.approx(np.hypot(noise_half, 1.96 * 0.2 * slope), rel=0.05)
    assert result.settings["assumed_sd"] == {"time_constant": 0.2}
    assert any("depends on the assumed `time_constant`" in w for w in result.warnings)


def test_declared_spreads_name_held_values_of_the_model_alone_or_joined():
    held = pipeline.held_assumptions(Decay(), ("offset",), FitSettings(assumed_sd={"amplitude+time_constant": 0.1}))
    ((name, value, sd, source, perturb),) = held  # Decay has no limb.inertia: no regression prior applies
    assert (name, value, sd) == ("amplitude+time_constant", None, 0.1)
    moved = perturb(Decay(), 2.0)
    assert (moved.amplitude, moved.time_constant, moved.offset) == (2.0, 2.0, 0.0)
    for bad, match in (({"offset": 0.1}, "not a free parameter"), ({"amplitude+tau": 0.1}, "'tau'"),
                       ({"body_mas": 0.1}, "body_mass, height")):
        with pytest.raises(ParameterError, match=match):
            pipeline.held_assumptions(Decay(), ("offset",), FitSettings(assumed_sd=bad))
    for bad in ({"amplitude": 0.0}, {"amplitude": float("nan")}, {"amplitude": (0.1, 3)}, {1: 0.1}):
        with pytest.raises(ParameterError, match="assumed_sd"):
            FitSettings(assumed_sd=bad)
    assert FitSettings(assumed_sd={"amplitude": (0.1, "a study")}).assumed_sd["amplitude"] == (0.1, "a study")
