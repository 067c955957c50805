"""The protocol contract: one simulate verb per input shape, a registry that cohort and CLI read,
and a protocol added from outside running everywhere without an edit of theirs."""

import dataclasses
import json
from typing import ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

import myoreflex
from myoreflex.cli import make_app
from myoreflex.cohort import cohort_simulate, read_results
from myoreflex.errors import ParameterError, ProtocolError
from myoreflex.protocols import PROTOCOLS, Protocol, from_settings, register_protocol, setting, settings
from myoreflex.protocols.perturbation import MultisinePerturbation, multisine
from myoreflex.simulation import Drive
from myoreflex.units import DEG

runner = CliRunner()
# Short settings of every registered protocol, and a joint it can test.
SHORT = {
    "pendulum": ({"duration_s": 10.0}, "knee"),  # the leg settles: the pendulum measure gates a swinging end
    "motorized_stretch": ({"velocity_deg_s": 200.0, "hold_s": 0.2}, "elbow"),
    "manual_stretch": ({"hold_s": 0.2}, "wrist"),
    "perturbation": ({"cycles": 1.0, "period_s": 1.0}, "ankle"),
    "clonus": ({"duration_s": 2.0}, "ankle"),
    "voluntary": ({"duration_s": 0.8}, "elbow"),
    "long_lasting_reflex": ({"duration_s": 1.0}, "knee"),
}


def test_simulate_from_the_top_level_equals_the_protocols_run():
    knee = myoreflex.default_params("knee")
    trial = myoreflex.simulate(knee, myoreflex.PendulumTest())
    same = myoreflex.PendulumTest().run(knee)
    assert isinstance(trial, myoreflex.Trial)
    np.testing.assert_array_equal(trial["angle"], same["angle"])
    assert trial.metadata["protocol"] == "pendulum" and trial.metadata["duration_s"] == 20.0


def test_every_registered_protocol_keeps_the_contract():
    assert set(SHORT) == set(PROTOCOLS)  # a new protocol gets a line here
    for name, (values, joint) in SHORT.items():
        protocol = from_settings(PROTOCOLS[name], values)
        assert protocol.name == name and protocol.reference
        trial = myoreflex.simulate(myoreflex.default_params(joint), protocol)
        assert trial.metadata["protocol"] == name and trial.metadata["joint"] == joint
        assert trial.metadata["dt_s"] == protocol.default_dt
        for channel in protocol.measured:  # what a cohort records is there
            assert any(name == channel or name.startswith(channel + "_") for name in trial.channels), channel
        record = type(protocol).measure(trial)
        assert dataclasses.is_dataclass(record) and isinstance(record.as_dict(), dict)
        json.dumps(record.as_dict(), default=str)
        wrong = next(j for j in ("knee", "elbow", "ankle", "wrist") if j not in protocol.joints) \
            if len(protocol.joints) < 4 else None
        if wrong:
            with pytest.raises(ProtocolError, match=wrong):
                myoreflex.simulate(myoreflex.default_params(wrong), protocol)


def test_one_verb_per_input_shape():
    knee = myoreflex.default_params("knee")
    batch = myoreflex.stack_params([knee, knee])
    with pytest.raises(ParameterError, match="simulate_batch"):
        myoreflex.simulate(batch, myoreflex.PendulumTest(duration=1.0))
    with pytest.raises(ParameterError, match="use simulate for one subject"):
        myoreflex.simulate_batch(knee, myoreflex.PendulumTest(duration=1.0))
    one = myoreflex.simulate_batch(myoreflex.stack_params([knee]), myoreflex.PendulumTest(duration=1.0))
    assert isinstance(one, myoreflex.SimulationBatch) and len(one) == 1  # a batch of one is a batch
    with pytest.raises(ProtocolError, match="protocol"):
        myoreflex.simulate(knee, "pendulum")


def test_settings_are_declared_once_and_read_at_the_edges_in_their_units():
    infos = {info.edge_name: info for info in settings(myoreflex.MotorizedStretch)}
    assert infos["velocity_deg_s"].default is None and infos["velocity_deg_s"].edge_unit == "deg/s"
    stretch = from_settings(myoreflex.MotorizedStretch, {"velocity_deg_s": 90.0})
    assert stretch.velocity == pytest.approx(90 * DEG)
    assert stretch.metadata()["velocity_deg_s"] == pytest.approx(90.0)
    with pytest.raises(ProtocolError, match="velocity_deg_s"):
        from_settings(myoreflex.MotorizedStretch, {})
    with pytest.raises(ProtocolError, match="speed_deg_s"):
        from_settings(myoreflex.MotorizedStretch, {"speed_deg_s": 90.0})
    with pytest.raises(ProtocolError, match=r"duration_s.*\[0.5, 120\] s"):
        from_settings(myoreflex.PendulumTest, {"duration_s": 0.1})


def test_the_perturbation_measure_recovers_the_limbs_inertia_and_stroke_raises_viscosity():
    # The muscles are massless, so the inertia the IBK regression finds is the limb's own (Winter
    # 2009 anthropometry, physiology.limb): an analytic check. The 1 % tolerance covers the
    # numerical second derivative of a 1 ms velocity and the reflex torque the linear model lumps in.
    test = MultisinePerturbation(cycles=2)
    healthy = myoreflex.default_params("ankle")
    result = test.measure(test.run(healthy))
    assert result.inertia_kg_m2 == pytest.approx(healthy.limb.inertia, rel=0.01)
    assert result.vaf_percent > 99.0 and result.stiffness_nm_per_rad > 0
    stroke = test.measure(test.run(myoreflex.apply_condition(healthy, "stroke", 0.7)))
    assert stroke.viscosity_nm_s_per_rad > 2 * result.viscosity_nm_s_per_rad  # limb damping x2.2 (de Vlugt 2010)


def test_one_frequency_cannot_separate_inertia_from_stiffness():
    t = np.arange(0, 3, 1e-3)
    angle = 0.02 * np.sin(2 * np.pi * 2 * t)
    velocity = np.gradient(angle, t)
    trial = myoreflex.Trial(t, {"angle": myoreflex.Channel(angle, "rad"),
                                "angular_velocity": myoreflex.Channel(velocity, "rad/s"),
                                "torque": myoreflex.Channel(5 * angle, "N m")})
    from myoreflex.measures.impedance import measure

    with pytest.raises(myoreflex.RecordingError, match="several frequencies"):
        measure(trial)


def test_the_multisine_is_smooth_and_its_peak_is_the_amplitude():
    t = np.arange(0, 6, 1e-3)
    q, dq, ddq = multisine(t, amplitude=0.05, low=0.5, high=8.0, period=2.0)
    assert np.max(np.abs(q)) == pytest.approx(0.05, rel=1e-3)
    assert q[0] == 0.0 and dq[0] == 0.0  # faded in: no jump in angle or velocity
    np.testing.assert_allclose(np.gradient(q, t)[5:-5], dq[5:-5], atol=2e-3 * np.max(np.abs(dq)))
    np.testing.assert_allclose(np.gradient(dq, t)[5:-5], ddq[5:-5], atol=2e-2 * np.max(np.abs(ddq)))


# ---------------------------------------------------------------------------------------------
# A protocol from outside the package: cohort and CLI run it as they are.


@dataclasses.dataclass(frozen=True)
class SlowHold(Protocol):
    """Move to an angle slowly and hold it (a toy test for this file)."""

    name: ClassVar[str] = "slow_hold"
    reference: ClassVar[str] = "tests/test_protocols.py"
    joints: ClassVar[tuple[str, ...]] = ("elbow",)
    measured: ClassVar[tuple[str, ...]] = ("angle", "torque")

    target: float = setting(120 * DEG, unit="rad", doc="angle held", bounds=(0.6, 3.2))
    duration: float = setting(1.0, unit="s", doc="length of the recording", bounds=(0.2, 10.0))

    def drive(self, joint: str) -> Drive:
        self.check_joint(joint)
        start = 100 * DEG

        def kinematics(t):
            s = np.clip(t / (0.5 * self.duration), 0.0, 1.0)
            angle = start + (self.target - start) * (3 * s**2 - 2 * s**3)
            return angle, np.gradient(angle, t), np.zeros_like(t)

        return Drive(initial_angle=start, duration=self.duration, gravity_scale=0.0, kinematics=kinematics)

    @classmethod
    def measure(cls, trial):
        return HoldTorque(float(trial["torque"][-1]))


@dataclasses.dataclass(frozen=True)
class HoldTorque:
    final_torque_nm: float

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@pytest.fixture
def slow_hold():
    register_protocol(SlowHold)
    yield SlowHold
    PROTOCOLS.remove(SlowHold.name)


def test_a_protocol_registered_from_outside_runs_in_cohorts_and_on_the_command_line(slow_hold, tmp_path):
    rows = [{"subject": s, "condition": c, "severity": v, "body_mass_kg": 70, "height_m": 1.7}
            for s, c, v in (("a", "healthy", 0.0), ("b", "stroke", 0.8))]
    result = cohort_simulate(rows, out=tmp_path / "hold.csv", protocol="slow_hold", joint="elbow")
    table = read_results(result.table)
    assert result.status_counts == {"OK": 2} and [row["protocol"] for row in table] == ["slow_hold"] * 2
    assert float(table[1]["final_torque_nm"]) != float(table[0]["final_torque_nm"])

    app = make_app()
    out = runner.invoke(app, ["simulate", "slow-hold", "--joint", "elbow", "--target-deg", "130", "--json"])
    assert out.exit_code == 0, out.output
    reply = json.loads(out.stdout)
    assert reply["protocol"] == "slow_hold" and reply["settings"]["target_deg"] == pytest.approx(130.0)
    assert set(reply["metrics"]) == {"final_torque_nm"}
    manifest = tmp_path / "m.csv"
    manifest.write_text("subject,condition,severity,body_mass_kg,height_m\na,healthy,0,70,1.7\n")
    out = runner.invoke(app, ["cohort", "simulate", str(manifest), "--protocol", "slow_hold", "--joint", "elbow",
                              "--set", "duration_s=0.5", "--out", str(tmp_path / "r.csv")])
    assert out.exit_code == 0, out.output
    assert read_results(tmp_path / "r.csv")[0]["status"] == "OK"


def test_the_perturbation_protocol_runs_from_the_command_line(tmp_path):
    out = runner.invoke(make_app(), ["simulate", "perturbation", "--joint", "elbow", "--cycles", "1",
                                     "--condition", "stroke", "--severity", "0.5", "--json",
                                     "--plot", str(tmp_path / "p.png")])
    assert out.exit_code == 0, out.output
    reply = json.loads(out.stdout)
    assert reply["joint"] == "elbow" and reply["metrics"]["vaf_percent"] > 90
    assert (tmp_path / "p.png").stat().st_size > 10_000
    bad = runner.invoke(make_app(), ["simulate", "perturbation", "--joint", "hip"])
    assert bad.exit_code == 2 and "--joint" in bad.stderr
