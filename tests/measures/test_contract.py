"""The measures contract: one verb and one record kind per module, one registry shape for every
algorithm choice, and one reflex-onset angle shared by the stretch, threshold and clinical measures."""

import dataclasses
import json

import numpy as np
import pytest

from myoreflex.errors import ParameterError
from myoreflex.measures import (
    Method,
    Record,
    clinical,
    clonus,
    cramp,
    decomposition,
    emg,
    impedance,
    manual,
    motor_units,
    pendulum,
    spasm_emg,
    stretch,
    threshold,
)
from myoreflex.registry import Registry
from myoreflex.trial import Channel, Trial

MODULES = (pendulum, stretch, decomposition, manual, threshold, clinical, emg, impedance, motor_units, cramp, spasm_emg,
           clonus)
REGISTRIES = (
    emg.ENVELOPE_METHODS,
    emg.ONSET_METHODS,
    decomposition.METHODS,
    manual.METHODS,
    clinical.CATCH_METHODS,
    clinical.ASHWORTH_RULES,
    motor_units.SMOOTHING_METHODS,
    spasm_emg.RULES,
)


def _ramp(velocity, *, reflex_from=None, reflex_at_s=None, rate=1000.0, hold=1.0):
    """0 -> 1 rad at ``velocity`` rad/s after 0.5 s of rest; torque = q; a normalised EMG (and a reflex
    torque) from the angle ``reflex_from`` or from the time ``reflex_at_s``."""
    t = np.arange(0.0, 0.5 + 1.0 / velocity + hold, 1.0 / rate)
    q = np.clip((t - 0.5) * velocity, 0.0, 1.0)
    on = np.zeros(t.size, bool)
    if reflex_from is not None:
        on = q > reflex_from
    if reflex_at_s is not None:
        on = t > reflex_at_s
    reflex_torque = 2.0 * on * np.clip(q - 0.3, 0, None)
    channels = {"angle": Channel(q, "rad"), "torque": Channel(q + reflex_torque, "N m"),
                "emg_flexors": Channel(0.2 * on, "1")}
    return Trial(t, channels, {"source": f"ramp {velocity} rad/s", "stretch_onset_s": 0.5})


def test_every_module_has_measure_returning_a_frozen_record():
    for module in MODULES:
        assert callable(module.measure), module.__name__
        records = [value for value in vars(module).values() if isinstance(value, type)
                   and value.__module__ == module.__name__ and value.__name__.endswith("Measures")]
        assert records, module.__name__
        for record in records:
            assert issubclass(record, Record) and dataclasses.is_dataclass(record), record
            assert record.__dataclass_params__.frozen, record


def test_the_domain_verbs_are_the_measures_themselves():
    assert decomposition.decompose is decomposition.measure and manual.decompose_manual is manual.measure
    assert threshold.tsrt is threshold.measure and clinical.tardieu is clinical.measure


@pytest.mark.parametrize("registry", REGISTRIES, ids=lambda r: r.kind)
def test_every_method_registry_has_one_shape_and_one_error(registry):
    assert isinstance(registry, Registry) and len(registry) >= 1
    for name in registry:
        entry = registry.lookup(name)
        assert isinstance(entry, Method) and callable(entry.function) and len(entry.reference) > 10, name
    with pytest.raises(ParameterError) as info:
        registry.lookup("nonesuch")
    assert str(info.value) == f"{registry.kind}: expected one of {', '.join(registry)}; got 'nonesuch'"


def test_records_are_plain_json():
    t = np.linspace(0, 10, 1001)
    knee = np.radians(70) * (1 - np.exp(-0.6 * t) * np.cos(2 * np.pi * t))  # settled by 10 s (pendulum gates)
    swing = Trial(t, {"angle": Channel(knee, "rad")})
    slow, fast = _ramp(0.2), _ramp(4.0, reflex_from=0.4)
    records = [
        pendulum.measure(swing),
        stretch.measure(fast),
        decomposition.measure(slow, fast),
        threshold.measure(velocities_deg_s=[30, 60, 90], dsrt_deg=[100, 95, None], lenient=True),  # with warnings
        threshold.dsrt(fast),
        clinical.measure([slow, fast]),
        clinical.ashworth_from_pendulum(swing),
        emg.measure(fast),
    ]
    for record in records:
        out = record.as_dict()
        assert json.loads(json.dumps(out, allow_nan=False)) == out, type(record).__name__


def test_one_reflex_onset_angle():
    # The stretch measures, the DSRT of the TSRT and the Tardieu catch are one number: the angle at
    # EMG onset while the joint is being stretched (Levin & Feldman 1994).
    for velocity, reflex_from in ((2.0, 0.6), (4.0, 0.25)):
        trial = _ramp(velocity, reflex_from=reflex_from)
        point = threshold.dsrt(trial)
        # the first sample past the reflex angle: within one sample's travel (4 rad/s x 1 ms = 0.23 deg)
        assert 0 < point.dsrt_deg - np.degrees(reflex_from) <= np.degrees(velocity * 1e-3)
        assert stretch.measure(trial).emg_onset_angle_deg == point.dsrt_deg
        assert clinical.measure([trial]).r1_deg == point.dsrt_deg
    # An onset only once the joint is held is an onset, but no threshold crossed while stretching:
    # none of the three reports an angle.
    late = _ramp(2.0, reflex_at_s=1.3)
    point = threshold.dsrt(late)
    assert point.onset_s == pytest.approx(1.301) and point.dsrt_deg is None
    assert point.excluded == "EMG onset after the movement ended"
    measured = stretch.measure(late)
    assert measured.emg_onset_angle_deg is None and measured.emg_onset_s == point.onset_s
    assert clinical.measure([late]).r1_deg is None
    assert threshold.measure([late, _ramp(4.0, reflex_at_s=1.0)], lenient=True).n_stretches == 0
