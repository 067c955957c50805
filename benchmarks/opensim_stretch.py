"""OpenSim 4.6 side of the motorized-stretch speed benchmark.

A 1-DoF elbow (ground = upper arm, one forearm+hand body, a pin joint) with one
biceps-like ``DeGrooteFregly2016Muscle`` is driven through a constant-velocity
extension ramp (smooth corners) that stretches the flexor, then held. A delayed
velocity stretch reflex is closed from Python: after each ``dt`` step the fibre
velocity is read from the state, stored in a history buffer, and the excitation
held over the next step is

    u = clip(baseline + gain * max(0, v_fibre_norm(t - delay) - threshold), 0, 1)

with ``v_fibre_norm`` the fibre lengthening velocity in optimal fibre lengths per
second (defaults: baseline 0.01, gain 0.3 s/l_opt, threshold 0.1 l_opt/s, delay
30 ms = 30 steps). The excitation reaches the muscle through a
``PrescribedController`` whose ``Constant`` control function is rewritten after
each step, while one ``Manager`` keeps integrating (the osim-rl pattern). In
OpenSim 4.6 this gives exactly the trajectory of restarting the integrator after
every control change (checked: activations agree to 1e-12), and each run checks
that the excitation read back from the muscle is the one commanded.

Model numbers (SI):

- Forearm + hand: mass 1.5 kg, length 0.30 m, centre of mass 0.15 m from the
  elbow; uniform-rod inertia about its centre m L^2 / 12 = 0.01125 kg m^2 (axes
  across the rod), 0.5 m r^2 with r = 0.03 m along it; about the elbow
  0.01125 + 1.5 * 0.15^2 = 0.045 kg m^2. Gravity off: the forearm moves in a
  horizontal plane on a support, as in motorized elbow stretch devices.
- Muscle: numbers of the biceps long head (BIClong) of the OpenSim arm26 model
  (opensim-org/opensim-models ``Models/Arm26/arm26.osim``, after Holzbaur et al.
  2005): max isometric force 624.3 N, optimal fibre length 0.1157 m, tendon slack
  length 0.2723 m, pennation 0. Curves, activation dynamics (0.015 / 0.060 s,
  smoothing 0.1), tendon strain at unit force 0.049, passive strain 0.6 and max
  contraction velocity 10 l_opt/s are the ``DeGrooteFregly2016Muscle`` defaults.
  Default activation is set to the baseline excitation (class default 0.5) so the
  muscle starts relaxed; fiber_damping 0.01 as in myoreflex ``MuscleParams``.
  Two variants are timed: compliant tendon (explicit normalised-tendon-force
  state, the OpenSim default; note that OpenSim 4.6 ignores fiber_damping in this
  mode, the fibre velocity comes from inverting f_V alone) and rigid tendon.
- Path: a straight line from the origin O = (-0.40, 0.02, 0) m in ground to the
  insertion I = (0.035, 0.02, 0) m in the forearm frame (x along the forearm, y to
  the flexor side). Elbow flexion q rotates the forearm about z, q = 0 is full
  extension. Musculotendon length L(q) = |O - R_z(q) I| (0.3744 m at 100 deg);
  moment arm -dL/dq = 3.2 cm at 100 deg, 4.0 cm at 60 deg, 3.0 cm at 20 deg
  (geometry chosen for a biceps-like 3-4 cm, not fitted to data).

Stretch: hold at 100 deg flexion for 0.1 s, extend by 80 deg at ``velocity_deg_s``
with raised-cosine velocity corners of 0.05 s (acceleration continuous), hold at
20 deg until ``duration_s``. The coordinate is prescribed
(``Coordinate.setPrescribedFunction`` with a natural cubic ``SimmSpline`` through
the analytic profile sampled every ``dt``): an ideal position servo, i.e. an
isokinetic dynamometer. The motor torque is recovered afterwards, outside the
timed loop, as I_elbow q'' - r(q) F_tendon with r(q) from ``computeMomentArm``.

Run ``/work/opensim-venv/bin/python benchmarks/opensim_stretch.py`` (see README.md);
it prints one JSON object.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

# ---------------------------------------------------------------- model numbers
FOREARM_MASS = 1.5  # kg
FOREARM_LENGTH = 0.30  # m
FOREARM_COM = 0.15  # m from the elbow
FOREARM_RADIUS = 0.03  # m, only for the (irrelevant) inertia along the rod
MAX_ISOMETRIC_FORCE = 624.3  # N, arm26.osim BIClong
OPTIMAL_FIBRE_LENGTH = 0.1157  # m, arm26.osim BIClong
TENDON_SLACK_LENGTH = 0.2723  # m, arm26.osim BIClong
PENNATION_AT_OPTIMAL = 0.0  # rad, arm26.osim BIClong
ORIGIN_IN_GROUND = (-0.40, 0.02, 0.0)  # m, chosen for a 3-4 cm moment arm
INSERTION_IN_FOREARM = (0.035, 0.02, 0.0)  # m

START_ANGLE_DEG = 100.0
STRETCH_AMPLITUDE_DEG = 80.0
PRE_HOLD_S = 0.1
CORNER_S = 0.05


def stretch_profile(t, velocity, start_angle, amplitude, pre_hold=PRE_HOLD_S, corner=CORNER_S):
    """Extension ramp with raised-cosine velocity corners.

    Angular speed w(t) rises as V (1 - cos(pi tau / T_c)) / 2 over the corner time
    T_c, stays at V for A / V - T_c, falls symmetrically; q = q0 - integral of w.
    All arguments in SI (rad, rad/s, s). Returns (q, q_dot, q_ddot) arrays.
    """
    t = np.asarray(t, dtype=float)
    v, a = float(velocity), float(amplitude)
    tc = min(corner, a / v)
    plateau = a / v - tc
    t1 = pre_hold
    t2 = t1 + tc
    t3 = t2 + plateau
    t4 = t3 + tc
    w = np.zeros_like(t)
    disp = np.zeros_like(t)
    acc = np.zeros_like(t)
    k = math.pi / tc
    rise = (t >= t1) & (t < t2)
    tau = t[rise] - t1
    w[rise] = v * (1 - np.cos(k * tau)) / 2
    disp[rise] = v * (tau / 2 - np.sin(k * tau) / (2 * k))
    acc[rise] = v * k / 2 * np.sin(k * tau)
    flat = (t >= t2) & (t < t3)
    w[flat] = v
    disp[flat] = v * tc / 2 + v * (t[flat] - t2)
    fall = (t >= t3) & (t < t4)
    tau = t[fall] - t3
    w[fall] = v * (1 + np.cos(k * tau)) / 2
    disp[fall] = v * tc / 2 + v * plateau + v * (tau / 2 + np.sin(k * tau) / (2 * k))
    acc[fall] = -v * k / 2 * np.sin(k * tau)
    disp[t >= t4] = a
    return start_angle - disp, -w, -acc


def joint_inertia():
    """Rod inertia about the elbow axis (kg m^2): m L^2 / 12 + m c^2."""
    return FOREARM_MASS * FOREARM_LENGTH**2 / 12 + FOREARM_MASS * FOREARM_COM**2


def build_model(osim, velocity, duration, dt, baseline, rigid_tendon=False, fibre_damping=0.01):
    """Build the elbow model; return (model, state, muscle, coordinate, control function)."""
    model = osim.Model()
    model.setName("elbow_stretch_benchmark")
    model.setGravity(osim.Vec3(0, 0, 0))

    i_across = FOREARM_MASS * FOREARM_LENGTH**2 / 12
    i_along = 0.5 * FOREARM_MASS * FOREARM_RADIUS**2
    forearm = osim.Body(
        "forearm_hand", FOREARM_MASS, osim.Vec3(FOREARM_COM, 0, 0), osim.Inertia(i_along, i_across, i_across)
    )
    model.addBody(forearm)
    elbow = osim.PinJoint(
        "elbow", model.getGround(), osim.Vec3(0), osim.Vec3(0), forearm, osim.Vec3(0), osim.Vec3(0)
    )
    model.addJoint(elbow)
    coord = elbow.updCoordinate()
    coord.setName("elbow_flexion")

    muscle = osim.DeGrooteFregly2016Muscle()
    muscle.setName("biceps")
    muscle.set_max_isometric_force(MAX_ISOMETRIC_FORCE)
    muscle.set_optimal_fiber_length(OPTIMAL_FIBRE_LENGTH)
    muscle.set_tendon_slack_length(TENDON_SLACK_LENGTH)
    muscle.set_pennation_angle_at_optimal(PENNATION_AT_OPTIMAL)
    muscle.set_default_activation(baseline)  # start relaxed (the class default is 0.5)
    muscle.set_fiber_damping(fibre_damping)
    muscle.set_ignore_tendon_compliance(bool(rigid_tendon))
    if not rigid_tendon:
        muscle.set_tendon_compliance_dynamics_mode("explicit")
    muscle.addNewPathPoint("origin", model.getGround(), osim.Vec3(*ORIGIN_IN_GROUND))
    muscle.addNewPathPoint("insertion", forearm, osim.Vec3(*INSERTION_IN_FOREARM))
    model.addForce(muscle)

    controller = osim.PrescribedController()
    controller.setName("python_reflex")
    controller.addActuator(muscle)
    controller.prescribeControlForActuator("biceps", osim.Constant(baseline))
    model.addController(controller)

    # Prescribed motion: natural cubic spline through the analytic profile.
    q0 = math.radians(START_ANGLE_DEG)
    knots = np.arange(0.0, duration + 10 * dt, dt)
    q, _, _ = stretch_profile(knots, velocity, q0, math.radians(STRETCH_AMPLITUDE_DEG))
    spline = osim.SimmSpline()
    for tk, qk in zip(knots, q):
        spline.addPoint(float(tk), float(qk))
    coord.setDefaultValue(q0)
    coord.setDefaultSpeedValue(0.0)
    coord.setRangeMin(-math.pi)
    coord.setRangeMax(math.pi)
    coord.setPrescribedFunction(spline)
    coord.setDefaultIsPrescribed(True)

    state = model.initSystem()
    model.equilibrateMuscles(state)
    control = osim.Constant.safeDownCast(controller.upd_ControlFunctions().get(0))
    return model, state, muscle, coord, control


def _simulate_once(osim, velocity, delay_s, duration_s, dt, reflex, accuracy, rigid_tendon, fibre_damping):
    """Build the model and run the closed loop once; return timings and recorded channels."""
    baseline, gain, threshold = reflex
    wall0, cpu0 = time.perf_counter(), time.process_time()
    model, state, muscle, coord, control = build_model(
        osim, velocity, duration_s, dt, baseline, rigid_tendon, fibre_damping
    )
    build_s = time.perf_counter() - wall0
    initial = {
        "fibre_length_norm": muscle.getNormalizedFiberLength(state),
        "mtu_length": muscle.getLength(state),
        "fibre_velocity_norm": muscle.getFiberVelocity(state) / OPTIMAL_FIBRE_LENGTH,
    }

    manager = osim.Manager(model)
    manager.setIntegratorMethod(osim.Manager.IntegratorMethod_RungeKuttaMerson)
    manager.setIntegratorAccuracy(accuracy)
    manager.setWriteToStorage(False)
    manager.setRecordStatesTrajectory(False)
    manager.setPerformAnalyses(False)
    manager.initialize(state)

    n_steps = int(round(duration_s / dt))
    n_delay = int(round(delay_s / dt))
    l_opt = OPTIMAL_FIBRE_LENGTH
    rec = {
        name: np.empty(n_steps)
        for name in (
            "angle", "fibre_velocity", "fibre_length", "tendon_force",
            "excitation_read", "activation", "commanded",
        )
    }
    fibre_velocity = rec["fibre_velocity"]  # also the reflex history buffer
    v_before_start = initial["fibre_velocity_norm"]  # the muscle rests before t = 0

    wall0, cpu0 = time.perf_counter(), time.process_time()
    for k in range(n_steps):
        st = manager.integrate((k + 1) * dt)
        v = muscle.getFiberVelocity(st) / l_opt
        fibre_velocity[k] = v
        rec["angle"][k] = coord.getValue(st)
        rec["fibre_length"][k] = muscle.getFiberLength(st)
        rec["tendon_force"][k] = muscle.getTendonForce(st)
        rec["excitation_read"][k] = muscle.getExcitation(st)  # the one used during this step
        rec["activation"][k] = muscle.getActivation(st)
        j = k - n_delay
        v_delayed = fibre_velocity[j] if j >= 0 else v_before_start
        u = min(1.0, max(0.0, baseline + gain * max(0.0, v_delayed - threshold)))
        control.setValue(u)  # held over the next step
        rec["commanded"][k] = u
    loop_wall_s = time.perf_counter() - wall0
    loop_cpu_s = time.process_time() - cpu0

    rec["times"] = dt * np.arange(1, n_steps + 1)
    return {
        "build_s": build_s, "loop_wall_s": loop_wall_s, "loop_cpu_s": loop_cpu_s,
        "n_steps": n_steps, "n_delay": n_delay, "initial": initial, "rec": rec,
        "model": model, "muscle": muscle, "coord": coord,
    }


def _moment_arm_table(run, angles):
    """Moment arm (m) from OpenSim's computeMomentArm on a grid of angles (outside the timed loop)."""
    model, muscle, coord = run["model"], run["muscle"], run["coord"]
    state = model.initSystem()
    coord.setIsPrescribed(state, False)  # computeMomentArm returns NaN for a prescribed coordinate
    out = []
    for q in angles:
        coord.setValue(state, float(q), False)
        model.realizePosition(state)
        out.append(muscle.computeMomentArm(state, coord))
    return np.array(out)


def _summarise(runs, velocity, duration_s, dt, baseline, threshold):
    """Timing statistics and the physiological results of the last run."""
    last = runs[-1]
    rec = last["rec"]
    wall = [1000.0 * r["loop_wall_s"] / duration_s for r in runs]
    cpu = [1000.0 * r["loop_cpu_s"] / duration_s for r in runs]
    build = [1000.0 * r["build_s"] for r in runs]

    grid = np.radians(np.linspace(10.0, 110.0, 101))
    arm_grid = _moment_arm_table(last, grid)
    arm = np.interp(rec["angle"], grid, arm_grid)
    muscle_torque = arm * rec["tendon_force"]  # flexion positive
    q_ref, _, qdd_ref = stretch_profile(
        rec["times"], velocity, math.radians(START_ANGLE_DEG), math.radians(STRETCH_AMPLITUDE_DEG)
    )
    # I q'' = tau_motor + tau_muscle  ->  the motor torque that imposes the prescribed motion
    motor_torque = joint_inertia() * qdd_ref - muscle_torque
    commanded, read = rec["commanded"], rec["excitation_read"]
    above = np.nonzero(commanded > baseline + 1e-9)[0]
    crossing = np.nonzero(rec["fibre_velocity"] > threshold)[0]
    first_crossing = float(rec["times"][crossing[0]]) if len(crossing) else None
    hold = rec["times"] >= rec["times"][-1] - 0.5
    muscle = last["muscle"]
    return {
        "ms_per_sim_s": statistics.median(wall),
        "ms_per_sim_s_repeats": wall,
        "ms_per_sim_s_min": min(wall),
        "cpu_ms_per_sim_s": statistics.median(cpu),
        "us_per_step": 1000.0 * statistics.median(wall) * duration_s / last["n_steps"],
        "build_ms_median": statistics.median(build),
        "build_ms_repeats": build,
        "results": {
            "peak_tendon_force_N": float(np.max(rec["tendon_force"])),
            "initial_tendon_force_N": float(rec["tendon_force"][0]),
            "final_tendon_force_N": float(rec["tendon_force"][-1]),
            "peak_excitation": float(np.max(commanded)),
            "peak_excitation_last_0.5s": float(np.max(commanded[hold])),
            "peak_activation": float(np.max(rec["activation"])),
            "peak_fibre_velocity_lopt_per_s": float(np.max(rec["fibre_velocity"])),
            "min_fibre_velocity_lopt_per_s": float(np.min(rec["fibre_velocity"])),
            "initial_fibre_length_norm": float(last["initial"]["fibre_length_norm"]),
            "peak_fibre_length_norm": float(np.max(rec["fibre_length"]) / OPTIMAL_FIBRE_LENGTH),
            "initial_mtu_length_m": float(last["initial"]["mtu_length"]),
            "peak_muscle_torque_Nm": float(np.max(muscle_torque)),
            "peak_abs_motor_torque_Nm": float(np.max(np.abs(motor_torque))),
            "fibre_velocity_above_threshold_at_s": first_crossing,
            "reflex_onset_s": float(rec["times"][above[0]]) if len(above) else None,
        },
        "moment_arm_m": {
            f"{deg}_deg": float(np.interp(math.radians(deg), grid, arm_grid)) for deg in (20, 40, 60, 80, 100)
        },
        "checks": {
            "max_angle_error_vs_profile_rad": float(np.max(np.abs(rec["angle"] - q_ref))),
            # excitation used in step k+1 must be the one commanded after step k
            "max_excitation_readback_error": float(np.max(np.abs(read[1:] - commanded[:-1]))),
        },
        "muscle_properties": {
            "tendon_strain_at_one_norm_force": muscle.get_tendon_strain_at_one_norm_force(),
            "passive_fibre_strain_at_one_norm_force": muscle.get_passive_fiber_strain_at_one_norm_force(),
            "max_contraction_velocity_lopt_per_s": muscle.get_max_contraction_velocity(),
            "activation_time_constant_s": muscle.get_activation_time_constant(),
            "deactivation_time_constant_s": muscle.get_deactivation_time_constant(),
            "activation_dynamics_smoothing": muscle.get_activation_dynamics_smoothing(),
            "fibre_damping": muscle.get_fiber_damping(),
            "default_activation": muscle.get_default_activation(),
        },
    }


def _machine():
    cpu_model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "usable_cpu_count": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_1_5_15min_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def run_opensim_stretch(
    velocity_deg_s: float = 100.0,
    delay_s: float = 0.030,
    duration_s: float = 2.0,
    dt: float = 0.001,
    repeats: int = 3,
    *,
    baseline: float = 0.01,
    gain: float = 0.3,
    threshold: float = 0.1,
    integrator_accuracy: float = 1e-5,
    fibre_damping: float = 0.01,
    tendons: tuple[str, ...] = ("compliant", "rigid"),
) -> dict:
    """Time the Python-closed delayed stretch reflex in OpenSim; return a JSON-able dict.

    Parameters
    ----------
    velocity_deg_s : extension speed of the ramp (deg/s).
    delay_s : reflex loop delay (s), rounded to a whole number of steps.
    duration_s, dt : simulated time and feedback step (s).
    repeats : independent build+simulate runs per tendon variant (interleaved); the
        reported time is the median wall time of the loop (build excluded).
    baseline : excitation without reflex (0..1).
    gain : excitation per l_opt/s of fibre lengthening velocity above threshold (s/l_opt).
    threshold : fibre lengthening velocity threshold (l_opt/s).
    integrator_accuracy : RungeKuttaMerson accuracy (OpenSim's error-controlled integrator).
    fibre_damping : DeGrooteFregly2016Muscle fiber_damping (myoreflex MuscleParams default 0.01).
        OpenSim 4.6 ignores it in the explicit compliant-tendon dynamics (the fibre
        velocity comes from inverting f_V alone); it adds d * v~ to the rigid-tendon force.
    tendons : muscle variants to time, "compliant" (explicit tendon-force state) and/or
        "rigid". The first one gives the top-level ``opensim_stretch_ms_per_sim_s``.
    """
    import opensim as osim

    osim.Logger.setLevelString("Warn")  # the Manager otherwise logs every integrate() call
    machine = _machine()  # load average before we add our own
    velocity = math.radians(velocity_deg_s)
    reflex = (baseline, gain, threshold)
    runs = {tendon: [] for tendon in tendons}
    for _ in range(max(1, int(repeats))):
        for tendon in tendons:  # interleaved so that both variants see the same machine load
            if tendon not in ("compliant", "rigid"):
                raise ValueError(f"tendon variant {tendon!r}: expected 'compliant' or 'rigid'")
            runs[tendon].append(
                _simulate_once(
                    osim, velocity, delay_s, duration_s, dt, reflex,
                    integrator_accuracy, tendon == "rigid", fibre_damping,
                )
            )
    variants = {
        tendon: _summarise(rs, velocity, duration_s, dt, baseline, threshold) for tendon, rs in runs.items()
    }
    primary = variants[tendons[0]]
    n_steps = runs[tendons[0]][-1]["n_steps"]
    n_delay = runs[tendons[0]][-1]["n_delay"]
    return {
        "opensim_stretch_ms_per_sim_s": primary["ms_per_sim_s"],
        "primary_tendon": tendons[0],
        "realtime_factor": 1000.0 / primary["ms_per_sim_s"],
        "build_ms_median": primary["build_ms_median"],
        "n_steps": n_steps,
        "peak_tendon_force_N": primary["results"]["peak_tendon_force_N"],
        "peak_excitation": primary["results"]["peak_excitation"],
        "baseline_excitation": baseline,
        "opensim_version": osim.GetVersionAndDate(),
        "machine": machine,
        "variants": variants,
        "protocol": {
            "velocity_deg_s": velocity_deg_s,
            "start_angle_deg": START_ANGLE_DEG,
            "end_angle_deg": START_ANGLE_DEG - STRETCH_AMPLITUDE_DEG,
            "pre_hold_s": PRE_HOLD_S,
            "corner_s": CORNER_S,
            "duration_s": duration_s,
            "dt_s": dt,
            "repeats": max(1, int(repeats)),
            "drive": "prescribed coordinate (SimmSpline through the analytic ramp, knots every dt)",
        },
        "reflex": {
            "law": "u = clip(baseline + gain*max(0, v_fibre/l_opt at (t - delay) - threshold), 0, 1), "
            "held over each dt step",
            "baseline": baseline,
            "gain_s_per_lopt": gain,
            "threshold_lopt_per_s": threshold,
            "delay_s": delay_s,
            "delay_steps": n_delay,
            "delay_effective_s": n_delay * dt,
        },
        "integrator": {
            "method": "RungeKuttaMerson (error controlled), Manager.integrate to every multiple of dt",
            "accuracy": integrator_accuracy,
            "recording": "Manager storage, states trajectory and analyses off; "
            "the loop records its own channels",
        },
        "model": {
            "forearm_mass_kg": FOREARM_MASS,
            "forearm_length_m": FOREARM_LENGTH,
            "forearm_com_m": FOREARM_COM,
            "joint_inertia_kg_m2": joint_inertia(),
            "gravity": "off (horizontal-plane stretch)",
            "muscle": "DeGrooteFregly2016Muscle (biceps long head numbers of arm26.osim)",
            "max_isometric_force_N": MAX_ISOMETRIC_FORCE,
            "optimal_fibre_length_m": OPTIMAL_FIBRE_LENGTH,
            "tendon_slack_length_m": TENDON_SLACK_LENGTH,
            "pennation_rad": PENNATION_AT_OPTIMAL,
            "origin_in_ground_m": list(ORIGIN_IN_GROUND),
            "insertion_in_forearm_m": list(INSERTION_IN_FOREARM),
            "mtu_length": "L(q) = |O - R_z(q) I|, q = elbow flexion (0 = extended)",
        },
    }


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--velocity-deg-s", type=float, default=100.0)
    parser.add_argument("--delay-ms", type=float, default=30.0)
    parser.add_argument("--duration-s", type=float, default=2.0)
    parser.add_argument("--dt-ms", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gain", type=float, default=0.3)
    parser.add_argument("--threshold", type=float, default=0.1)
    parser.add_argument("--baseline", type=float, default=0.01)
    parser.add_argument("--accuracy", type=float, default=1e-5)
    parser.add_argument("--tendons", default="compliant,rigid", help="comma-separated: compliant, rigid")
    args = parser.parse_args()
    result = run_opensim_stretch(
        velocity_deg_s=args.velocity_deg_s,
        delay_s=args.delay_ms / 1000.0,
        duration_s=args.duration_s,
        dt=args.dt_ms / 1000.0,
        repeats=args.repeats,
        baseline=args.baseline,
        gain=args.gain,
        threshold=args.threshold,
        integrator_accuracy=args.accuracy,
        tendons=tuple(t.strip() for t in args.tendons.split(",") if t.strip()),
    )
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
