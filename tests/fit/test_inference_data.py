"""NUTS draws keep their chains: FitResult.chains, to_inference_data() and write_posterior() (fit/result.py).

A toy model ``y = a exp(-t / tau) + c`` (one free parameter, 2 chains x 12 draws after 6 warm-up
steps: a few seconds) goes through the real pipeline; the flat ``samples`` of old stay as they were.
"""

import dataclasses
import warnings

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

from myoreflex.errors import OutputError, ParameterError
from myoreflex.fit import FitSettings, fit_model, write_posterior
from myoreflex.fit.pipeline import FitChannel, Prepared, Series
from myoreflex.params import param
from myoreflex.trial import Channel, Trial

CHAINS, DRAWS = 2, 12


class Decay(eqx.Module):
    amplitude: float = param(3.0, unit="1", bounds=(0.0, 10.0), source="test")
    time_constant: float = param(0.5, unit="s", bounds=(0.01, 10.0), source="test")


@dataclasses.dataclass(frozen=True)
class DecayResiduals:
    def __call__(self, params, nuisance, data):
        return params.amplitude * jnp.exp(-data["t"] / params.time_constant) - data["y"]


@dataclasses.dataclass(frozen=True)
class DecayModel:
    def prepare(self, trials, params0):
        t, y = trials[0].time, trials[0]["signal"]
        return Prepared(residuals=DecayResiduals(), data={"t": t, "y": y}, n_residuals=t.size,
                        channels=(FitChannel("signal", "1", 1.0, start_sd=0.1),),
                        series=(Series(0, 0, "decay", "signal", t, y),),
                        description={"n_samples": t.size, "source": "decay.csv"}, what="decay fit")


def _recording():
    t = np.linspace(0.0, 2.0, 100)
    noisy = 3.0 * np.exp(-t / 0.5) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    return Trial(t, {"signal": Channel(noisy, "1")}, {"source": "decay.csv"})


@pytest.fixture(scope="module")
def nuts_result():
    pytest.importorskip("numpyro")
    settings = FitSettings(method="nuts", num_warmup=6, num_samples=DRAWS, num_chains=CHAINS, noise_sd={"signal": 0.01})
    return fit_model(DecayModel(), _recording(), Decay(), free=["amplitude"], settings=settings)


def _arviz():
    pytest.importorskip("xarray")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # arviz 0.2x announces its 1.0 refactor on import
        return pytest.importorskip("arviz")


def test_nuts_draws_keep_their_chains_and_the_flat_samples_stay(nuts_result):
    chains = nuts_result.chains["amplitude"]
    assert chains.shape == (CHAINS, DRAWS)
    assert nuts_result.samples["amplitude"].shape == (CHAINS * DRAWS,)  # the attribute of old, unchanged
    np.testing.assert_array_equal(nuts_result.samples["amplitude"], chains.ravel())
    assert not np.array_equal(chains[0], chains[1])  # two chains, not one copied
    assert nuts_result.sample_stats["diverging"].shape == (CHAINS, DRAWS)
    assert nuts_result.sample_stats["diverging"].dtype == bool
    assert "chains" not in nuts_result.to_dict() and nuts_result.to_json()  # the JSON contract as before


def test_inference_data_has_chain_and_draw_dims(nuts_result):
    arviz = _arviz()
    idata = nuts_result.to_inference_data()
    assert dict(idata.posterior.sizes) == {"chain": CHAINS, "draw": DRAWS}
    np.testing.assert_array_equal(idata.posterior["amplitude"].values, nuts_result.chains["amplitude"])
    assert idata.posterior["amplitude"].attrs["map"] == nuts_result.params["amplitude"]
    assert int(idata.sample_stats["diverging"].sum()) == nuts_result.diagnostics["divergences"]
    summary = arviz.summary(idata, var_names=["amplitude"], kind="diagnostics")
    assert "r_hat" in summary.columns


def test_posterior_netcdf_opens_in_arviz_with_its_chains(nuts_result, tmp_path):
    arviz = _arviz()
    pytest.importorskip("h5netcdf")
    path = write_posterior(nuts_result, tmp_path / "post.nc")
    opened = arviz.from_netcdf(path)
    assert opened.posterior.sizes["chain"] >= 2 and opened.posterior.sizes["chain"] == CHAINS
    np.testing.assert_array_equal(opened.posterior["amplitude"].values, nuts_result.chains["amplitude"])
    assert [p.name for p in tmp_path.iterdir()] == ["post.nc"]  # no temporary left
    with pytest.raises(OutputError, match=r"expected an extension among \.nc"):
        write_posterior(nuts_result, tmp_path / "post.json")


def test_a_laplace_fit_has_no_chains_and_says_so():
    result = fit_model(DecayModel(), _recording(), Decay(), free=["amplitude"],
                       settings=FitSettings(noise_sd={"signal": 0.01}))
    assert result.chains is None and result.samples is None
    with pytest.raises(ParameterError, match=r"to_inference_data: expected a NUTS fit .* got a 'map' fit"):
        result.to_inference_data()
