"""The long-lasting reflex test in the loop (issue 16): a 0.1 s stimulus at rest gives a reflex that
outlasts it by seconds in the spinal-cord-injury preset and not at all in a healthy one, shorter
with less monoamine drive, ended by inhibition; the protocol contract; the duration measure."""

import itertools
import json

import numpy as np
import pytest

from myoreflex import default_params, simulate, simulate_batch, stack_params
from myoreflex.conditions import apply_condition
from myoreflex.errors import ParameterError, ProtocolError, RecordingError
from myoreflex.measures.long_lasting_reflex import FLOOR, LongLastingReflexMeasures, measure
from myoreflex.params import with_overrides
from myoreflex.protocols import PROTOCOLS, from_settings, settings
from myoreflex.protocols.long_lasting_reflex import LongLastingReflex
from myoreflex.protocols.stretch import RANGES
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

TEST = LongLastingReflex(duration=4.0)
KNEE = default_params("knee")
SCI = apply_condition(KNEE, "spinal_cord_injury", 0.7)


def durations(members, test=TEST):
    batch = simulate_batch(stack_params(members), test, record=("emg",))
    return [measure(batch.trial(k)) for k in range(len(members))]


@pytest.fixture(scope="module")
def presets():
    names = [("healthy", 0.0), ("spinal_cord_injury", 0.7), ("spinal_cord_injury", 1.0), ("multiple_sclerosis", 0.7),
             ("stroke", 0.7)]
    return dict(zip(names, durations([apply_condition(KNEE, c, s) for c, s in names])))


def test_a_brief_stimulus_gives_a_long_lasting_reflex_after_spinal_cord_injury_and_none_when_healthy(presets):
    # The done-when: >= 1 s in the SCI preset, none in healthy. Long-lasting reflexes of
    # chronic SCI outlast a brief stimulus by seconds (Bennett et al. 2004; Norton et al. 2008).
    sci, healthy = presets[("spinal_cord_injury", 0.7)], presets[("healthy", 0.0)]
    assert sci.duration_s >= 1.0 and not sci.lasts_to_end  # 1.98 s, then it ends (slow inactivation)
    assert healthy.duration_s < 0.2  # 0: the healthy pool does not even reach threshold
    assert presets[("stroke", 0.7)].duration_s < 0.2  # a released reflex without a PIC: no plateau
    assert presets[("spinal_cord_injury", 1.0)].duration_s > sci.duration_s  # 11.3 s at severity 1
    assert presets[("multiple_sclerosis", 0.7)].duration_s < sci.duration_s  # half the PIC: 0.04 s


def test_lowering_the_monoamine_level_shortens_the_reflex():
    # An inverse agonist of the constitutively active 5-HT2 receptors shortens long-lasting reflexes
    # (Murray et al. 2010; D'Amico et al. 2013): here 1.98, 1.25, 0.54, 0.04 s.
    levels = (1.0, 0.9, 0.8, 0.6)
    found = [r.duration_s for r in durations([with_overrides(SCI, {"motoneuron.monoamine_level": m}) for m in levels])]
    assert all(a > b for a, b in itertools.pairwise(found)), found
    assert found[0] >= 1.0 and found[-1] < 0.2


def test_inhibition_ends_the_plateau():
    plain, inhibited = (measure(simulate(SCI, test, record=("emg",)))
                        for test in (TEST, LongLastingReflex(duration=4.0, inhibition=100.0, inhibition_onset=0.5)))
    assert plain.duration_s >= 1.0
    assert inhibited.duration_s < 0.55  # off within the 0.1 s of inhibition that starts 0.5 s after


def test_the_protocol_keeps_the_contract():
    assert PROTOCOLS["long_lasting_reflex"] is LongLastingReflex
    edge = {info.edge_name for info in settings(LongLastingReflex)}
    assert {"stimulus_hz", "stimulus_duration_s", "rest_before_s", "duration_s", "inhibition_hz"} <= edge
    assert from_settings(LongLastingReflex, {"duration_s": 1.0}) == LongLastingReflex(duration=1.0)
    test = LongLastingReflex(duration=1.0, angle=40 * DEG)
    assert test.held_angle("knee") == pytest.approx(40 * DEG)
    assert LongLastingReflex().held_angle("elbow") == pytest.approx(0.5 * sum(RANGES["elbow"]))
    trial = simulate(KNEE, test)
    assert trial.metadata["protocol"] == "long_lasting_reflex"
    assert trial.metadata["stimulus_onset_s"] == 0.5 and trial.metadata["stimulus_end_s"] == pytest.approx(0.6)
    np.testing.assert_allclose(trial["angle"], 40 * DEG)  # held still
    record = LongLastingReflex.measure(trial)
    assert isinstance(record, LongLastingReflexMeasures)
    json.dumps(record.as_dict())
    rows = LongLastingReflex(stimulus=50.0, inhibition=20.0).synaptic_input(np.arange(1, 2001) * 1e-3)
    assert rows.shape == (2000, 2) and np.all(rows[:, 1] == 0.0)
    assert np.count_nonzero(rows[:, 0] == 50.0) == 100 and np.count_nonzero(rows[:, 0] == -20.0) == 100
    with pytest.raises(ProtocolError, match="stimulus_hz"):
        LongLastingReflex(stimulus=-1.0)
    with pytest.raises(ProtocolError, match="synaptic input"):
        simulate(default_params("knee", feedback="force"), TEST)


# --- the measure ---------------------------------------------------------------------------------


def synthetic(emg, rate=1000.0, **metadata):
    t = np.arange(1, len(emg) + 1) / rate
    meta = {"stimulus_onset_s": 0.5, "stimulus_end_s": 0.6, **metadata}
    return Trial(t, {"emg_quadriceps": Channel(np.asarray(emg, dtype=float), "1")}, meta)


def test_the_measure_times_the_reflex_from_the_stimulus_end():
    t = np.arange(1, 4001) / 1000.0
    on = (t > 0.5) & (t <= 2.1)
    on &= ~((t > 1.2) & (t <= 1.25))  # a 50 ms pause (shorter than QUIET_S) stays inside the reflex
    result = measure(synthetic(0.005 + 0.2 * on))
    assert result.duration_s == pytest.approx(1.5) and result.reflex_end_s == pytest.approx(2.101)
    assert not result.lasts_to_end and result.threshold == pytest.approx(0.005 + FLOOR)
    assert result.peak_emg == pytest.approx(0.205) and result.method == "hodges_bui_offset"


def test_a_reflex_still_on_at_the_end_is_flagged_not_ended():
    t = np.arange(1, 3001) / 1000.0
    result = measure(synthetic(0.005 + 0.2 * (t > 0.5)))
    assert result.lasts_to_end and result.reflex_end_s is None and result.duration_s == pytest.approx(2.4)


def test_no_reflex_measures_zero():
    assert measure(synthetic(np.full(2000, 0.005))).duration_s == 0.0


def test_bad_input_is_named():
    with pytest.raises(RecordingError, match="stimulus_onset_s"):
        measure(Trial(np.arange(1, 101) / 100.0, {"emg_quadriceps": Channel(np.zeros(100), "1")}, {}))
    with pytest.raises(RecordingError, match="emg_"):
        measure(Trial(np.arange(1, 101) / 100.0, {"angle": Channel(np.zeros(100), "rad")}, {}))
    with pytest.raises(RecordingError, match="emg_soleus"):
        measure(synthetic(np.zeros(1000)), muscle="soleus")
    with pytest.raises(ParameterError, match="quiet_s"):
        measure(synthetic(np.zeros(1000)), quiet_s=float("nan"))
    with pytest.raises(RecordingError, match="rest before the stimulus"):
        measure(synthetic(np.zeros(1000)), stimulus_onset_s=0.0)
