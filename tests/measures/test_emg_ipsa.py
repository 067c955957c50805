"""EMG onsets on real hand-held stretches: issue 4, acceptance item 2 (EMG part).

Data: the KU Leuven IPSA recordings of subject CP1 (``kuleuven-cp-ipsa-pendulum``, SOURCE.md),
four files, 30 segments (15 slow ``low``, 15 fast ``high``), raw EMG stored at 200 Hz, and the
lab's own onset per muscle (``onsetN``, read as ``metadata["lab_onset_time"]``).

Procedure, identical for every segment (no per-file setting): :func:`stretch_windows` takes the
rest before the stretch as the baseline (first sample to the first one whose speed exceeds 10 % of
the peak) and searches from there to the end of the movement plus 100 ms of reflex latency;
:func:`emg_onsets` with the default method and default parameters band-passes each raw
``emg_<muscle>`` channel (20-90 Hz at 200 Hz) and finds its onset.

Criteria:

- fast stretches: the onset lies within 25 ms of the lab's in at least 80 % of the
  (fast segment, muscle) pairs that have a lab onset, counted over all muscles (the issue's
  number). Measured: 26 of 32, 81 %. Of the six misses, two cannot be matched by any detector
  on these files: the lab's lateral-hamstring onset in MEH_L segment 4 lies 1.9 s before the
  stretch (inside the rest window), and the medial-hamstring burst of MEH_L segment 6 peaks at
  about 5 baseline SDs in the stored 200 Hz signal, 70 ms after the lab's onset (the lab worked
  on the 1600 Hz acquisition). Errors of the 30 found: median 0 ms, quartiles -10 and +10 ms.
  The margin above 80 % is one pair; the default levels sit inside a plateau (any detection
  level from 6 to 15 SD, any envelope corner from 6 to 10 Hz gives the same 26 of 32), while the
  other registered methods with their published defaults give 15-21 of 32.
- slow stretches: at most 20 % of the (slow segment, stretched muscle) pairs have an onset
  (measured 4 of 38, 11 %; the lab's own count is 5 of 38, 13 %), and each of them is one the
  lab also found (the soleus of the four slow right-ankle stretches). Antagonists (rectus
  femoris in knee extension, tibialis anterior in dorsiflexion) are left out of this count: their
  activity during a slow stretch is not a stretch reflex of the stretched muscle, and the lab
  reports no antagonist onset in any slow stretch while its detection level for tibialis anterior
  in two of them was 0.015-0.016 V, two to three times that of the fast stretches. Over all
  muscles: 12 of 53.
"""

from pathlib import Path

import pytest

from myoreflex.io import read_ipsa
from myoreflex.measures.emg import DEFAULT_ONSET_METHOD, ONSET_METHODS, emg_onsets, stretch_windows

TOLERANCE_S = 0.025  # issue 4, acceptance item 2
FILES = ("CP4_T0_MEH_L.mat", "CP4_T0_MEH_R.mat", "CP4_T0_PF_L.mat", "CP4_T0_PF_R.mat")


@pytest.fixture(scope="module")
def segments(data_dir: Path):
    folder = data_dir / "kuleuven-cp-ipsa-pendulum" / "Data" / "Data_CP1" / "IPSA"
    return [(name, trial) for name in FILES for trial in read_ipsa(folder / name)]


@pytest.fixture(scope="module")
def onsets(segments):
    """(file, trial, {muscle: Onset}) with the default method and default parameters."""
    result = []
    for name, trial in segments:
        baseline, search = stretch_windows(trial)
        result.append((name, trial, emg_onsets(trial, baseline=baseline, search=search)))
    return result


def test_thirty_segments_half_of_them_fast(segments):
    speeds = [trial.metadata["stretch_speed"] for _, trial in segments]
    assert len(segments) == 30 and speeds.count("high") == 15 and speeds.count("low") == 15


def test_fast_stretch_onsets_match_the_lab(onsets):
    hits, misses = 0, []
    for name, trial, found in onsets:
        if trial.metadata["stretch_speed"] != "high":
            continue
        for muscle, onset in found.items():
            lab = trial.metadata["lab_onset_time"][muscle]
            if lab is None:
                continue
            error = None if onset.time is None else onset.time - lab
            if error is not None and abs(error) <= TOLERANCE_S + 1e-9:
                hits += 1
            else:
                misses.append(
                    (name, trial.metadata["segment"], muscle, None if error is None else round(error, 3))
                )
    total = hits + len(misses)
    assert total == 32  # pairs with a lab onset in the fast segments, all muscles
    assert hits / total >= 0.80, f"{hits}/{total} = {hits / total:.0%} within 25 ms; misses {misses}"


def test_slow_stretches_show_few_onsets(onsets):
    stretched = with_onset = 0
    for name, trial, found in onsets:
        if trial.metadata["stretch_speed"] != "low":
            continue
        for muscle in trial.metadata["stretched_muscles"]:
            stretched += 1
            if found[muscle].time is not None:
                with_onset += 1
                # Every slow-stretch onset we report in a stretched muscle, the lab reports too.
                assert trial.metadata["lab_onset_time"][muscle] is not None, (
                    name,
                    trial.metadata["segment"],
                    muscle,
                )
    assert stretched == 38
    assert with_onset / stretched <= 0.20, (
        f"{with_onset}/{stretched} slow stretched-muscle pairs with an onset"
    )


def test_onsets_are_velocity_dependent(onsets):
    # The stretch reflex of spasticity: stretched muscles fire far more often in fast stretches.
    rate = {}
    for speed in ("high", "low"):
        pairs = [
            found[m].time is not None
            for _, trial, found in onsets
            if trial.metadata["stretch_speed"] == speed
            for m in trial.metadata["stretched_muscles"]
        ]
        rate[speed] = sum(pairs) / len(pairs)
    assert rate["high"] >= 4 * rate["low"], rate


def test_method_and_windows_are_recorded(onsets):
    for _, trial, found in onsets:
        assert set(found) == set(trial.metadata["muscles"])
        for onset in found.values():
            assert onset.method == DEFAULT_ONSET_METHOD
            assert onset.parameters["band_hz"] == pytest.approx(
                [20.0, 90.0]
            )  # 450 Hz clipped below 100 Hz Nyquist
            start, stop = onset.parameters["search_s"]
            assert onset.parameters["baseline_s"][1] == start
            assert onset.time is None or start <= onset.time <= stop


@pytest.mark.parametrize("method", sorted(set(ONSET_METHODS) - {DEFAULT_ONSET_METHOD}))
def test_other_methods_run_on_every_real_segment(segments, method):
    # Real recordings as degenerate input: every method returns an Onset per muscle, recording
    # itself, and finds at least as many onsets in fast as in slow stretches of stretched muscles.
    counts = {"high": 0, "low": 0}
    for _, trial in segments:
        baseline, search = stretch_windows(trial)
        found = emg_onsets(trial, baseline=baseline, search=search, method=method)
        assert {o.method for o in found.values()} == {method}
        counts[trial.metadata["stretch_speed"]] += sum(
            found[m].time is not None for m in trial.metadata["stretched_muscles"]
        )
    assert counts["high"] >= counts["low"], counts
