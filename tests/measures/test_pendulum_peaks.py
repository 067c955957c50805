"""The pendulum's own peak finder (measures.pendulum.find_peaks) against scipy.signal.find_peaks, whose
definition it follows: the same peaks on random walks, integer plateaus and the real traces."""

import numpy as np
import pytest
from scipy.signal import find_peaks as scipy_find_peaks

from myoreflex import datasets
from myoreflex.measures.pendulum import PEAK_PROMINENCE, find_peaks


@pytest.mark.parametrize("seed", range(4))
def test_the_same_peaks_as_scipy_on_random_signals(seed):
    rng = np.random.default_rng(seed)
    for k in range(500):
        n = int(rng.integers(3, 80))
        x = rng.integers(0, 5, size=n).astype(float) if k % 2 else rng.normal(size=n).cumsum()
        prominence = float(rng.choice([0.0, 0.3, 1.0, 2.5]))
        np.testing.assert_array_equal(find_peaks(x, prominence)[0], scipy_find_peaks(x, prominence=prominence)[0])


@pytest.mark.parametrize("name", ["cp1-right-pendulum", "cp1-left-pendulum"])
def test_the_same_peaks_as_scipy_on_the_real_traces(name):
    angle = datasets.load(name)["angle"]
    for signal in (angle, -angle):
        np.testing.assert_array_equal(find_peaks(signal, PEAK_PROMINENCE)[0],
                                      scipy_find_peaks(signal, prominence=PEAK_PROMINENCE)[0])
