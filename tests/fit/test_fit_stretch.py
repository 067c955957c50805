"""Parameter recovery from synthetic motorized stretches, and bad input for ``fit_stretch``.

Truth: the elbow preset under stroke at severity 0.7 (known reflex gain and threshold, baseline
tone and joint damping); data: its stretches from 80 to 150 deg at 60 and 180 deg/s, sampled at
500 Hz with white noise of 0.2 N m on the torque (a robot's torque sensor; the healthy elbow data
of ANCHORS 11 sit within +-0.7 N m) and 0.005 on the normalised EMG (a sixth of the resting tone).
The fit starts from the healthy gain, threshold, tone and damping (0.0006 1/pps, 270 pps, 0.005,
0.2 N m s/rad) with everything else at the truth, at the same 2 ms step as the data, so the test
measures the estimator, not the discretisation (the drive comes from the 500 Hz angle samples
through a spline, as for a recording).
"""

import numpy as np
import pytest

from myoreflex.conditions import apply_condition
from myoreflex.errors import ParameterError, ProtocolError, RecordingError
from myoreflex.fit import FitSettings, fit_stretch, prepare_stretch, synthetic_stretches
from myoreflex.model import default_params
from myoreflex.params import get_param, with_overrides
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

FREE = ("motoneuron.gain", "motoneuron.threshold", "motoneuron.tone", "limb.damping")
SEED = 7


@pytest.fixture(scope="module")
def truth():
    return apply_condition(default_params("elbow"), "stroke", 0.7)


@pytest.fixture(scope="module")
def recovered(truth, stretch_settings):
    trials = synthetic_stretches(truth, noise_sd_nm=0.2, noise_sd_emg=0.005, seed=SEED, **stretch_settings)
    healthy = default_params("elbow")
    start = with_overrides(truth, {path: float(get_param(healthy, path)) for path in FREE})
    return fit_stretch(trials, start, free=FREE, emg=True, settings=FitSettings(seed=SEED))


def test_gain_threshold_tone_and_damping_are_recovered_with_covering_intervals(truth, recovered):
    # The Laplace sd of every parameter is below 1.5 % here, so 10 % is many sd: a failure
    # means a biased estimator, not bad luck. Coverage, measured over seeds 0-7 of this case
    # (32 intervals): 31 cover the truth (97 %), errors within 2 sd and 1.6 %; this seed's
    # errors are within 1 sd (measured: 0.3-1.1 %).
    assert recovered.converged
    assert not recovered.warnings
    for path in FREE:
        true = float(get_param(truth, path))
        assert recovered.params[path] == pytest.approx(true, rel=0.10), path
        low, high = recovered.ci95[path]
        assert low <= true <= high, path


def test_the_noise_is_estimated_and_the_torque_fits_to_the_noise(recovered):
    # White-noise sd of the residuals: what went in. The sd used for the intervals is that times
    # the square root of the residuals' autocorrelation time, at least as large.
    white = recovered.diagnostics["white_noise_sd"]
    assert white["torque_Nm"] == pytest.approx(0.2, rel=0.05)
    assert white["emg_1"] == pytest.approx(0.005, rel=0.05)
    assert recovered.noise_sd["torque_Nm"] >= white["torque_Nm"]
    assert recovered.rmse_nm == pytest.approx(0.2, rel=0.1)
    out = recovered.to_dict()
    assert {"params", "ci95", "rmse_deg", "converged", "rmse_nm"} <= set(out)  # documented keys; more are added
    assert out["rmse_deg"] is None  # the angle is prescribed
    channels = {(trace.channel, trace.unit) for trace in recovered.traces}
    assert channels == {("torque", "N m"), ("emg_elbow_flexors", "1")}
    peaks = [stretch["peak_velocity_deg_s"] for stretch in recovered.data["stretches"]]
    assert peaks == pytest.approx([60.0, 180.0], rel=0.01)


def _stretch(source="stretch.csv", **extra):
    """A ramp from 80 to 140 deg at 90 deg/s after 0.1 s at rest (no simulation); ``extra``:
    more channels as ``name=(f(t), unit)``."""
    t = np.arange(400) * 2e-3
    angle = np.minimum(80 * DEG + 90 * DEG * np.clip(t - 0.1, 0.0, None), 140 * DEG)
    channels = {"angle": Channel(angle, "rad"), "torque": Channel(np.full(t.size, 0.1), "N m")}
    channels.update({name: Channel(f(t), unit) for name, (f, unit) in extra.items()})
    return Trial(t, channels, {"source": source})


def test_a_recording_without_torque_names_the_file_and_the_channel():
    trial = _stretch()
    without = Trial(trial.time, {"angle": trial.channel("angle")}, {"source": "no_torque.csv"})
    message = r"`no_torque.csv`, channel `torque`.*torque \(N m\).*channels: angle"
    with pytest.raises(RecordingError, match=message):
        prepare_stretch(without)


def test_bad_recordings_and_settings_get_clear_errors():
    params = default_params("elbow")
    still = Trial(np.arange(100) * 0.01, {"angle": Channel(np.full(100, 1.5), "rad"),
                                          "torque": Channel(np.zeros(100), "N m")}, {"source": "still.csv"})
    with pytest.raises(RecordingError, match="still.csv.*a stretch"):
        fit_stretch([still], params)
    nan = _stretch(torque=(lambda t: np.where(t > 0.5, np.nan, 0.0), "N m"))
    with pytest.raises(RecordingError, match="channel `torque`.*NaN"):
        fit_stretch(nan, params)
    with pytest.raises(RecordingError, match="emg_<muscle>"):
        fit_stretch(_stretch(), params, emg=True)
    millivolts = _stretch(emg_elbow_flexors=(lambda t: 0.0 * t, "mV"))
    with pytest.raises(RecordingError, match="unit 1 .*or V"):
        fit_stretch(millivolts, params, emg=True)
    knee = _stretch().with_metadata(joint="knee")
    with pytest.raises(ProtocolError, match="recording of the elbow"):
        fit_stretch(knee, params)
    with pytest.raises(ParameterError, match="did you mean"):
        fit_stretch(_stretch(), params, free=["motoneuron.gian"])
    with pytest.raises(ParameterError, match="method"):
        fit_stretch(_stretch(), params, settings=FitSettings(method="mcmc"))
    with pytest.raises(ParameterError, match="noise_sd"):
        fit_stretch(_stretch(), params, settings=FitSettings(noise_sd={"torque_Nm": 0.0}))
    with pytest.raises(ParameterError, match="emg_1"):  # the EMG's label without EMG in the fit
        fit_stretch(_stretch(), params, settings=FitSettings(noise_sd={"emg_1": 0.01}))
    with pytest.raises(ParameterError, match="dt"):
        fit_stretch(_stretch(), params, dt=0.0)
    with pytest.raises(ParameterError, match="trials"):
        fit_stretch([], params)
    with pytest.raises(ParameterError, match="params0"):
        fit_stretch(_stretch(), default_params("elbow").limb)


def test_emg_in_volts_is_enveloped_and_its_offset_and_scale_are_profiled_out():
    # Variable projection: for any model excitation x the compared EMG is a + s x with (a, s) the
    # weighted least-squares fit, so an envelope that is an affine map of x has zero residual.
    from myoreflex.fit.stretch import _profiled_affine

    x = np.linspace(0.03, 0.2, 50)
    weight = np.r_[np.ones(40), np.zeros(10)]  # padding does not count
    observed = np.r_[2e-5 + 3e-3 * x[:40], np.full(10, 9.0)]
    assert np.asarray(_profiled_affine(x, observed, weight))[:40] == pytest.approx(observed[:40], rel=1e-9)
    # A raw EMG in V (white noise whose amplitude follows a burst) becomes its linear envelope.
    rng = np.random.default_rng(0)
    burst = lambda t: 1e-4 * (1.0 + 4.0 * ((t > 0.3) & (t < 0.6))) * rng.standard_normal(t.size)
    recording = prepare_stretch(_stretch(emg_biceps=(burst, "V")), emg=True, agonist="elbow_flexors")
    assert recording.emg_channel == "emg_biceps" and recording.emg_unit == "V"
    inside, outside = recording.emg[(recording.time > 0.4) & (recording.time < 0.5)], recording.emg[-50:]
    assert inside.mean() > 3.0 * outside.mean() > 0.0
