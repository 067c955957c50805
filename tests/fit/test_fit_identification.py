"""What a fit may claim (issue 14): convergence, per-parameter identification, profiles, summed parameters.

The toy decay model of test_pipeline.py (``y = a exp(-t / tau) + c``, plus a parameter ``unused``
that does not enter it) runs through the one pipeline in a second, so the rules are tested on it:
a parameter the data never see stays at its start, which is never "converged"; its profile is flat;
the identified ones have profiles that rise by the likelihood-ratio 1.92 near their Laplace 95 %
limits (the toy is almost linear, so the Laplace approximation is close to exact there).
"""

import json

import numpy as np
import pytest
from test_pipeline import NOISE_SD, TRUTH, Decay, DecayModel, _recording

from myoreflex.errors import ParameterError
from myoreflex.fit import FitSettings, NotIdentifiedWarning, core, fit_model
from myoreflex.fit.pipeline import SUMMED


def test_a_clean_fit_is_converged_identified_and_says_why_in_its_json():
    result = fit_model(DecayModel(), _recording(), Decay(), free=list(TRUTH))
    assert result.converged
    test = result.convergence
    assert test["moved"] and test["positive_definite"] and test["unmoved"] == [] and test["reasons"] == []
    assert 0.0 <= test["decrement"] < core.CONVERGED_DECREMENT
    out = json.loads(result.to_json())
    assert {"params", "ci95", "rmse_deg", "converged"} <= set(out)  # the documented keys stay
    assert out["identified"] == dict.fromkeys(TRUTH, True)
    for name in TRUTH:
        verdict = out["identification"][name]
        assert verdict["reasons"] == [] and verdict["interval_fraction_of_prior"] < core.NOT_IDENTIFIED_SD_RATIO
    assert out["warnings"] == [] and "profiles" not in out  # warnings: always there (issue 14)
    assert "quality" not in out  # the toy model grades no fit; the pendulum does (test_fit_pendulum_sign.py)


def test_a_fit_left_at_its_starting_values_is_never_converged():
    # `unused` does not enter the model: no gradient, so the optimiser cannot move it and it ends exactly
    # where it started. The Hessian there is the prior's (positive definite) and the gradient is zero,
    # which is what made such fits "converged" before (issue 14: gain and threshold at 0.004, 150 pps).
    with pytest.warns(NotIdentifiedWarning, match="`unused` is not identified.*never moved"):
        result = fit_model(DecayModel(), _recording(), Decay(), free=["unused"],
                           settings=FitSettings(noise_sd={"signal": NOISE_SD}))
    assert result.params["unused"] == Decay().unused
    assert not result.converged
    assert result.convergence["unmoved"] == ["unused"] and not result.convergence["moved"]
    assert result.convergence["positive_definite"] and result.convergence["decrement"] < core.CONVERGED_DECREMENT
    assert any("at its start" in reason for reason in result.convergence["reasons"])
    assert result.identified == {"unused": False}
    out = result.to_dict()
    assert out["converged"] is False and out["identified"] == {"unused": False}


def test_one_unmoved_parameter_among_moved_ones_still_fails_convergence():
    with pytest.warns(NotIdentifiedWarning, match="`unused`"):
        result = fit_model(DecayModel(), _recording(), Decay(), free=["amplitude", "time_constant", "unused"])
    assert not result.converged and result.convergence["unmoved"] == ["unused"]
    assert result.identified == {"amplitude": True, "time_constant": True, "unused": False}
    reasons = result.identification["unused"]["reasons"]
    assert any("never moved" in r for r in reasons) and any("as wide as its prior" in r for r in reasons)


def test_the_convergence_test_refuses_a_large_gradient_and_a_saddle():
    names, checked = ("a", "b"), (True, True)
    hessian = np.diag([4.0, 1.0])
    ok = core.convergence([0.0, 0.0], [1.0, 1.0], [0.1, 0.1], hessian, True, names=names, checked=checked)
    assert ok["converged"] and ok["decrement"] == pytest.approx(0.1**2 / 4 + 0.1**2)
    steep = core.convergence([0.0, 0.0], [1.0, 1.0], [0.0, 1.0], hessian, True, names=names, checked=checked)
    assert not steep["converged"] and "gradient" in steep["reasons"][0]
    saddle = core.convergence([0.0, 0.0], [1.0, 1.0], [0.0, 0.0], np.diag([1.0, -1.0]), False, names=names,
                              checked=checked)
    assert not saddle["converged"] and "positive definite" in saddle["reasons"][0]
    # an unchecked (nuisance) parameter may stay where it started
    nuisance = core.convergence([0.0, 0.0], [1.0, 0.0], [0.0, 0.0], hessian, True, names=names,
                                checked=(True, False))
    assert nuisance["converged"]


def test_profiles_rise_for_identified_parameters_and_stay_flat_for_unseen_ones():
    settings = FitSettings(profile=("amplitude", "unused"), noise_sd={"signal": NOISE_SD})
    with pytest.warns(NotIdentifiedWarning) as caught:
        result = fit_model(DecayModel(), _recording(), Decay(), free=["amplitude", "time_constant", "unused"],
                           settings=settings)
    assert any("`unused`" in str(w.message) and "profile likelihood is flat" in str(w.message) for w in caught)
    amplitude, unused = result.profiles["amplitude"], result.profiles["unused"]
    assert not amplitude["flat"] and not amplitude["one_sided"] and not amplitude["better_optimum"]
    # The two grid points at the Laplace 95 % limits: a near-linear model's profile rises there by
    # chi2_1(0.95) / 2 = 1.92 (20 %: the logit transform bends the quadratic a little).
    at_limits = [d for d, v in zip(amplitude["delta"], amplitude["values"])
                 if min(abs(v - lim) for lim in result.ci95["amplitude"]) < 1e-9]
    assert len(at_limits) == 2 and all(d == pytest.approx(core.PROFILE_RISE, rel=0.2) for d in at_limits)
    # The likelihood-ratio interval read off the grid agrees with the Laplace one (10 % of its width).
    low, high = result.ci95["amplitude"]
    assert amplitude["ci95"] == pytest.approx([low, high], abs=0.1 * (high - low))
    assert unused["flat"] and max(unused["rise_low"], unused["rise_high"]) < 1e-6
    assert unused["ci95"] == [None, None]
    assert result.identified["unused"] is False
    assert any("flat" in r for r in result.identification["unused"]["reasons"])
    assert any("profile likelihood is flat" in m for m in result.not_identified)
    out = json.loads(result.to_json())
    assert set(out["profiles"]) == {"amplitude", "unused"} and len(out["profiles"]["amplitude"]["values"]) == 7
    assert result.settings["profile"] == ["amplitude", "unused"]


def test_a_profile_must_name_a_free_parameter():
    with pytest.raises(ParameterError, match="profile"):
        fit_model(DecayModel(), _recording(), Decay(), free=["amplitude"], settings=FitSettings(profile=("offset",)))
    with pytest.raises(ParameterError, match="profile"):
        FitSettings(profile=("amplitude", "amplitude"))


@pytest.mark.parametrize("pair", [("motoneuron.threshold", "descending.inhibition"),
                                  ("descending.facilitation", "descending.inhibition")])
def test_parameters_that_enter_only_as_their_sum_cannot_be_freed_together(pair):
    # Refused before any work: the check is the pipeline's, whatever the model (here the toy's).
    assert set(pair) <= set(SUMMED[0])
    with pytest.raises(ParameterError, match="at most one of motoneuron.threshold, descending.inhibition"):
        fit_model(DecayModel(), _recording(), Decay(), free=["amplitude", *pair])


@pytest.mark.slow
def test_the_issue_14_fit_that_stayed_at_its_start_is_not_converged(data_dir):
    # Issue 14: CP1 right with the preset's gain and threshold free (0.004 1/pps, then 150 pps): the slow
    # swing's afferent rates stayed below the threshold, the gain had no gradient, and the fit used to
    # report its start as "converged". With the knee's compliant passive tissue the swing's Ia rates
    # now reach the preset's threshold, so the case is rebuilt with the threshold far above any of them
    # (600 pps). A short window and one start keep it to a few seconds.
    from myoreflex.fit import fit_pendulum
    from myoreflex.io import read_opensim
    from myoreflex.model import default_params
    from myoreflex.params import with_overrides

    path = data_dir / "kuleuven-cp-ipsa-pendulum/Data/Data_CP1/IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot"
    trial = read_opensim(path, angle_channel="knee_angle_r", angle_sign=-1)
    free = ("motoneuron.gain", "motoneuron.threshold")
    with pytest.warns(NotIdentifiedWarning, match="never moved"):
        result = fit_pendulum(trial, with_overrides(default_params("knee", body_mass=32.0, height=1.38),
                                                    {"motoneuron.threshold": 600.0}),
                              free=free, window_s=3.0, settings=FitSettings(starts=1))
    assert result.params["motoneuron.gain"] == pytest.approx(0.004, rel=1e-9)
    assert set(result.convergence["unmoved"]) == set(free)
    assert result.converged is False and result.to_dict()["converged"] is False
    assert result.identified == dict.fromkeys(free, False)


def test_a_parameter_from_a_population_regression_gets_its_regressions_error_as_prior(monkeypatch):
    # A parameter the data do not see keeps its prior: with REGRESSION_PRIORS' 20 % about 0.5, its 95 %
    # interval is as wide as 0.5 exp(+-1.96 x 0.2) = [0.34, 0.74] to first order (the transform to the
    # bounds (-1, 1) shifts it towards the far bound), not most of the bounds as under the uniform
    # prior; the settings name the prior and its source.
    from myoreflex.fit import pipeline
    from myoreflex.params import with_overrides

    start = with_overrides(Decay(), {"unused": 0.5})
    weak = fit_model(DecayModel(), _recording(), start, free=[*TRUTH, "unused"])
    monkeypatch.setitem(pipeline.REGRESSION_PRIORS, "unused", (0.2, "a test regression"))
    informed = fit_model(DecayModel(), _recording(), start, free=[*TRUTH, "unused"])
    low, high = informed.ci95["unused"]
    assert low < 0.5 < high
    assert high - low == pytest.approx(0.5 * (np.exp(1.96 * 0.2) - np.exp(-1.96 * 0.2)), rel=0.1)
    assert np.diff(weak.ci95["unused"])[0] > 3 * (high - low)
    assert "unused: sd 20 % of its value (a test regression)" in informed.settings["prior"]
    assert informed.params["amplitude"] == pytest.approx(weak.params["amplitude"], rel=1e-3)


def test_every_regression_prior_names_a_parameter_of_the_knee():
    from myoreflex.fit.pipeline import REGRESSION_PRIORS
    from myoreflex.model import default_params
    from myoreflex.params import get_param

    for path, (sd_log, source) in REGRESSION_PRIORS.items():
        assert float(get_param(default_params("knee"), path)) > 0 and 0 < sd_log < 1 and source
