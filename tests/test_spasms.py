"""The five kinds of spasm (myoreflex.spasms) and the spasm-EMG features and rules
(myoreflex.measures.spasm_emg).

Evidence named per test: the registry carries a mechanism and sources for each kind; the
simulated recordings have the published timing where there is one (lateral spread response at
~10 ms: Misawa et al. 2006, 10.0 ms mean onset; Isu et al. ~10 ms); the noise floor is measured
right; and the rules tell the five kinds apart on 200 simulated recordings with noise (done-when
item 6 of issue 16: 90 % or better). The 200 recordings use other seeds than the ones the
thresholds were set on (seeds 100-111 of docs/spasms.py's development runs).
"""

import json

import numpy as np
import pytest

from myoreflex.errors import ParameterError, RecordingError
from myoreflex.measures import Method, spasm_emg
from myoreflex.measures.emg import emg_clean
from myoreflex.spasms import KINDS, LSR_LATENCY_S, simulate_spasm
from myoreflex.trial import Channel, Trial

FIVE = [kind for kind in KINDS if kind != "none"]


def validation_set(per_kind=40, first_seed=5000):
    """(kind, seed, duration_s, noise_uv, lsr_test) of the validation recordings: ``per_kind`` of each
    of the five kinds, durations 4-10 s and white noise 2-8 uV drawn per recording; half of the
    hemifacial recordings with the lateral-spread test (the same recipe as docs/spasms.py)."""
    rng = np.random.default_rng(first_seed)
    cases = []
    for kind in FIVE:
        for i in range(per_kind):
            lsr = (i % 2 == 0) if kind == "hemifacial_spasm" else None
            cases.append((kind, first_seed + len(cases), float(rng.uniform(4.0, 10.0)), float(rng.uniform(2.0, 8.0)), lsr))
    return cases


def test_every_kind_has_a_mechanism_a_signature_and_sources():
    assert set(KINDS) == set(spasm_emg.KINDS)
    for name in FIVE:
        kind = KINDS[name]
        assert kind.name == name and len(kind.mechanism) > 50 and len(kind.signature) > 50
        assert kind.sources and all(len(source) > 20 for source in kind.sources), name
        assert kind.evidence, name  # every kind says where its evidence is weak or assumed
        assert len(kind.muscles) == 2
    assert KINDS["hemifacial_spasm"].trigger == "stimulus" and KINDS["neck_back_spasm"].trigger == "movement"


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_simulated_recording_has_its_muscles_trigger_and_kind(kind):
    trial = simulate_spasm(kind, seed=3, duration_s=3.0, noise_uv=4.0)
    entry = KINDS[kind]
    emg = [name for name in trial.channels if name.startswith("emg_")]
    assert emg == [f"emg_{muscle}" for muscle in entry.muscles]
    assert all(trial.unit(name) == "V" for name in emg)
    if entry.trigger:
        assert trial.unit(entry.trigger) == "1" and set(np.unique(trial[entry.trigger])) == {0.0, 1.0}
    assert trial.metadata["spasm_kind"] == kind and trial.rate_hz == 2000.0 and trial.time[-1] < 3.0
    again = simulate_spasm(kind, seed=3, duration_s=3.0, noise_uv=4.0)
    assert all(np.array_equal(trial[name], again[name]) for name in trial.channels)  # the seed fixes everything


@pytest.mark.parametrize("bad", [{"kind": "cramp"}, {"duration_s": 1.0}, {"noise_uv": -1.0}, {"rate_hz": 500.0},
                                 {"kind": "calf_cramp", "lsr_test": True}, {"duration_s": True}])
def test_bad_simulation_arguments_raise_one_clear_error(bad):
    arguments = {"kind": "none", **bad}
    with pytest.raises(ParameterError):
        simulate_spasm(arguments.pop("kind"), **arguments)


def test_the_noise_floor_is_measured_in_the_band_above_the_emg():
    # white noise only: the estimate from 700-900 Hz equals the noise actually in the 20-450 Hz band
    # within 5 % (a 4-s estimate from 200 Hz of bandwidth: about 2 % SD)
    for noise_uv in (2.0, 8.0):
        trial = simulate_spasm("none", seed=1, duration_s=4.0, noise_uv=noise_uv)
        found = spasm_emg.features(trial)
        for muscle, channel in found["channels"].items():
            truth = np.std(emg_clean(trial[f"emg_{muscle}"], 2000.0)) * 1e6
            assert channel["noise_rms_uv"] == pytest.approx(truth, rel=0.05)
            assert channel["active_fraction"] == 0.0 and channel["n_bursts"] == 0
    # under a strong cramp the estimate still reads the noise, not the EMG (within 15 %)
    cramp = spasm_emg.features(simulate_spasm("calf_cramp", seed=2, duration_s=4.0, noise_uv=4.0))
    quiet = spasm_emg.features(simulate_spasm("none", seed=2, duration_s=4.0, noise_uv=4.0))
    assert cramp["channels"]["gastrocnemius_medialis"]["noise_rms_uv"] == pytest.approx(
        quiet["channels"]["gastrocnemius_medialis"]["noise_rms_uv"], rel=0.15)


def test_the_lateral_spread_response_is_measured_at_about_10_ms():
    # Misawa et al. 2006: mean onset 10.0 ms (ANCHORS 9: ~10 ms in all 40 of Isu et al.). The simulated
    # discharges come at LSR_LATENCY_S (SD 0.3 ms); the detected onset follows by 0-2 ms, the time the
    # first phase of the MUAPs takes to rise above 5 noise SD (measured: 10.5-11.5 ms).
    for seed in range(4):
        found = spasm_emg.features(simulate_spasm("hemifacial_spasm", seed=seed, duration_s=6.0, noise_uv=2 + 2 * seed))
        latency = found["stimulus"]["response_latency_ms"]
        assert 0.0 <= latency["orbicularis_oris"] - LSR_LATENCY_S * 1e3 <= 2.0
        assert latency["orbicularis_oculi"] < 7.0  # the direct response of the stimulated branch
    result = spasm_emg.measure(simulate_spasm("hemifacial_spasm", seed=0, duration_s=6.0))
    assert result.kind == "hemifacial_spasm" and result.rule.startswith("lateral_spread_response")


def test_the_signatures_read_as_the_sources_describe_them():
    cramp = spasm_emg.features(simulate_spasm("calf_cramp", seed=4, duration_s=6.0))
    main = cramp["channels"][cramp["main_channel"]]
    # one head cramps, the other is silent apart from crosstalk (Ross & Thomas 1995; Khan & Burne 2007),
    # for as long as the recording lasts (Minetto et al. 2009: units active 23.6 s)
    assert cramp["main_channel"] == "gastrocnemius_medialis" and cramp["localisation_ratio"] > 10
    assert main["active_fraction"] > 0.8 and main["longest_active_s"] > 4.0
    neck = spasm_emg.features(simulate_spasm("neck_back_spasm", seed=4, duration_s=8.0))
    assert neck["movement"]["movements_with_activity"] == 1.0 and neck["movement"]["activity_after_movement_s"] > 0.3
    assert neck["envelope_correlation"] > 0.3  # both sides guard together
    fasciculation = spasm_emg.features(simulate_spasm("fasciculation", seed=4, duration_s=8.0))
    main = fasciculation["channels"][fasciculation["main_channel"]]
    assert main["active_fraction"] < 0.3 and main["burst_duration_max_s"] < 0.15 and main["n_bursts"] >= 2
    assert main["burst_interval_cv"] > 0.5  # irregular, as a Poisson discharge (CV 1)
    tension = spasm_emg.features(simulate_spasm("tension_pain", seed=4, duration_s=8.0))
    assert all(c["active_fraction"] > 0.9 and c["rms_above_noise_uv"] < 150 for c in tension["channels"].values())


def test_the_rules_tell_the_five_kinds_apart_on_200_noisy_recordings():
    # Done-when item 6: 90 % or better over 200 recordings (40 per kind, 4-10 s, 2-8 uV noise), and no
    # kind below 80 %. Measured when written: 199 / 200 (one fasciculation
    # recording with too few potentials read as none; docs/spasms.md).
    confusion = {kind: {other: 0 for other in spasm_emg.KINDS} for kind in FIVE}
    for kind, seed, duration, noise, lsr in validation_set():
        found = spasm_emg.measure(simulate_spasm(kind, seed=seed, duration_s=duration, noise_uv=noise, lsr_test=lsr))
        confusion[kind][found.kind] += 1
    correct = sum(confusion[kind][kind] for kind in FIVE)
    assert correct >= 180, confusion
    assert all(confusion[kind][kind] >= 32 for kind in FIVE), confusion


def test_rest_is_none_and_the_record_is_plain_json_with_the_notice():
    for seed in range(5):
        result = spasm_emg.measure(simulate_spasm("none", seed=seed, duration_s=4.0, noise_uv=8.0))
        assert result.kind == "none" and result.rule.startswith("quiet")
    out = spasm_emg.measure(simulate_spasm("fasciculation", seed=1, duration_s=5.0)).as_dict()
    assert set(out) == {"file", "kind", "rule", "source", "features", "notice"}
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert out["kind"] in spasm_emg.KINDS and "not a diagnosis" in out["notice"].lower()
    assert out["file"] == "myoreflex simulation" and len(out["source"]) > 20


def test_a_written_and_read_recording_gets_the_same_answer(tmp_path):
    from myoreflex.io import read_trial
    from myoreflex.io.writers import write_trial

    trial = simulate_spasm("neck_back_spasm", seed=2, duration_s=5.0)
    back = read_trial(write_trial(trial, tmp_path / "neck.csv"))
    assert spasm_emg.measure(back).kind == spasm_emg.measure(trial).kind == "neck_back_spasm"
    assert spasm_emg.measure(back).file == "neck.csv"


def test_the_decision_list_has_one_shape():
    assert next(iter(spasm_emg.RULES)) == "quiet" and list(spasm_emg.RULES)[-1] == "no_match"
    for name in spasm_emg.RULES:
        entry = spasm_emg.RULES.lookup(name)
        assert isinstance(entry, Method) and callable(entry.function) and len(entry.reference) > 10
        assert entry.function.kind in spasm_emg.KINDS
    assert {spasm_emg.RULES[name].function.kind for name in spasm_emg.RULES} == set(spasm_emg.KINDS)
    with pytest.raises(ParameterError):
        spasm_emg.RULES.lookup("nonesuch")
    assert spasm_emg.classify is spasm_emg.measure


def test_a_recording_without_emg_in_volts_is_refused():
    t = np.arange(0.0, 2.0, 1 / 2000)
    with pytest.raises(RecordingError, match="emg_<muscle>"):
        spasm_emg.measure(Trial(t, {"angle": Channel(t, "rad")}))
    with pytest.raises(RecordingError, match="in V"):
        spasm_emg.measure(Trial(t, {"emg_soleus": Channel(np.zeros(t.size), "1")}))
    uneven = np.concatenate([t[:100], t[100:] + 0.01])
    with pytest.raises(RecordingError, match="uniform"):
        spasm_emg.measure(Trial(uneven, {"emg_soleus": Channel(np.zeros(t.size), "V")}))
