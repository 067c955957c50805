"""A one-degree-of-freedom joint: segment inertia, gravity, passive tissue moment, muscle geometry.

Angle convention (every joint, every Trial): the joint angle ``q`` is positive in the direction
that stretches the joint's *tested* muscle group, the agonist of the clinical test:

=======  ===================================================  ==========================  ============
joint    q = 0 and positive direction                         tested (stretched) muscle   antagonist
=======  ===================================================  ==========================  ============
knee     full extension (shank horizontal when seated),       quadriceps                  hamstrings
         positive = flexion (the pendulum test convention)
elbow    elbow angle (180 deg = straight), positive =         elbow flexors               elbow
         extension, as in McPherson et al. 2019                                          extensors
ankle    neutral (foot at 90 deg to shank), positive =        triceps surae               tibialis
         dorsiflexion                                                                     anterior
wrist    neutral, positive = extension (NeuroFlexor)          wrist flexors               wrist extensors
=======  ===================================================  ==========================  ============

Equation of motion (the pendulum test with the thigh horizontal, De Groote et al. 2018)::

    I q'' = s_g m g l_c cos(q) + tau_passive(q, q') + tau_muscles + tau_external

with ``I = m (k_p L)^2`` the inertia about the joint axis from Winter's radius of gyration about
the proximal end, ``s_g`` = 1 for a vertical swing (pendulum) and 0 for a horizontal-plane stretch.

References: Winter 2009 (anthropometry, Table 4.1); Anderson 1999 via Falisse et al. 2019
(double-exponential passive joint moments); De Groote et al. 2018 (pendulum equation, baseline
torque and damping).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.params import param
from myoreflex.units import BODY_MASS_BOUNDS_KG, DEG, GRAVITY, HEIGHT_BOUNDS_M  # noqa: F401 (re-exported)

WINTER = "Winter 2009, Biomechanics and Motor Control of Human Movement, 4th ed., Table 4.1"

DE_GROOTE_2017 = "De Groote, Allen & Ting 2017 J Biomech 55:71 (from Cui et al. 2008 J Biomech 41:1945)"
ANDERSON = "Anderson 1999 PhD thesis Table G.2, as used in Falisse et al. 2019 (PassiveMomentsData.m)"
LIMIT_TORQUE_BOUNDS = (0.0, 40.0)
"""Bounds of the range-limit torques ``limit_*_torque`` (N m): Anderson's adult knee values (6.09 and
11.03 N m) times up to 2.9, the largest passive-moment scale :func:`myoreflex.subjects.subject_params`
gives (a 250 kg, 2.3 m body: (250/75)^(2/3) x 2.3/1.75)."""

# --- Physical limits of a joint: what no simulated run may exceed (myoreflex.model.physical_limits) --------

#: Normal passive range of motion of each joint (rad, in the joint convention above): the extremes
#: of the mean values for healthy children and adults, rounded outwards. Knee: flexion 137-153 deg,
#: up to 5 deg hyperextension (Soucie et al. 2011 Haemophilia 17:500, goniometry of 674 healthy
#: subjects aged 2-69); elbow: flexion to about 145-150 deg (an elbow angle of 30 deg) and
#: hyperextension to 190 deg in hypermobile joints (Soucie et al. 2011; AAOS 1965 / Greene &
#: Heckman 1994); ankle: dorsiflexion 20-25 deg, plantarflexion 50-65 deg (Soucie et al. 2011);
#: wrist: extension about 70-75 deg, flexion about 75-80 deg (AAOS 1965 / Greene & Heckman 1994).
RANGE_OF_MOTION = {
    "knee": (-10 * DEG, 155 * DEG),
    "elbow": (30 * DEG, 190 * DEG),
    "ankle": (-65 * DEG, 30 * DEG),
    "wrist": (-80 * DEG, 75 * DEG),
}
RANGE_MARGIN = 30 * DEG
"""How far past its normal range of motion (:data:`RANGE_OF_MOTION`) a simulated joint may go (rad).
Hypermobile joints exceed the normal range by about 10 deg (the Beighton score counts elbow and knee
hyperextension beyond 10 deg; Beighton et al. 1973 Ann Rheum Dis 32:413); 30 deg past it a real
joint is dislocated, so a model that gets there has left what it describes."""
MAX_ANGULAR_VELOCITY = 3000 * DEG
"""Fastest joint rotation a simulation may reach (rad/s). The fastest rotations measured at these
joints are elbow extension in baseball pitching, 2,100-2,700 deg/s (Werner et al. 1993 J Orthop
Sports Phys Ther 17:274; Fleisig et al. 1995 Am J Sports Med 23:233), whipped by the trunk and
shoulder, not by the elbow's own muscles; a clinical stretch is 5-236 deg/s (Lindberg et al. 2011)
and a pendulum swing peaks near 400 deg/s (tests/test_runtime.py). The fastest motorized stretch
(:class:`~myoreflex.protocols.MotorizedStretch`, 2,865 deg/s) stays below it."""
MAX_ANGULAR_ACCELERATION = MAX_ANGULAR_VELOCITY / 0.01
"""Largest angular acceleration a protocol may prescribe (rad/s^2, about 300,000 deg/s^2): reaching
:data:`MAX_ANGULAR_VELOCITY` from rest within 10 ms, about the electromechanical delay of a muscle,
faster than any examiner or muscle moves a limb. It bounds the inertial part ``I q''`` of the
torque a motor needs for a prescribed motion (a motorized stretch at its fastest, 2,865 deg/s with
20 ms corners, needs 3,900 rad/s^2)."""


def plausible_range(joint: str) -> tuple[float, float]:
    """The joint angles a simulation may visit (rad): :data:`RANGE_OF_MOTION` widened by
    :data:`RANGE_MARGIN` on both sides.

    Examples
    --------
    >>> low, high = plausible_range("elbow")
    >>> round(low / DEG), round(high / DEG)
    (0, 220)
    """
    low, high = RANGE_OF_MOTION[joint]
    return low - RANGE_MARGIN, high + RANGE_MARGIN


#: Joint angles inside some joint's normal range of motion (rad; -80 to 190 deg): the union of
#: :data:`RANGE_OF_MOTION` over the joints, the bounds of the angles a joint rests at or has its
#: fibres at optimal length (``neutral_angle``; ``MuscleGeometry.optimal_angle`` in myoreflex.model).
ANATOMICAL_ANGLES = (min(low for low, _ in RANGE_OF_MOTION.values()), max(high for _, high in RANGE_OF_MOTION.values()))


class SegmentFractions(eqx.Module):
    """Winter's segment fractions: mass / body mass, length / height, COM and radius of gyration.

    ``length_fraction`` is the segment length over body height (Winter Fig. 4.1);
    ``com_fraction`` the joint-to-centre-of-mass distance over segment length;
    ``gyration_proximal_fraction`` the radius of gyration about the joint over segment length.
    """

    mass_fraction: float
    length_fraction: float
    com_fraction: float
    gyration_proximal_fraction: float


#: Winter 2009 Table 4.1 / Fig. 4.1, the distal segment moved by each joint.
SEGMENTS = {
    "knee": SegmentFractions(0.061, 0.246, 0.606, 0.735),  # leg and foot: condyles to malleolus
    "elbow": SegmentFractions(0.022, 0.146, 0.682, 0.827),  # forearm and hand: elbow to styloid
    "ankle": SegmentFractions(0.0145, 0.152, 0.50, 0.690),  # foot: malleolus to metatarsal II
    "wrist": SegmentFractions(0.006, 0.108, 0.506, 0.587),  # hand: wrist axis to knuckle II
}


class LimbParams(eqx.Module):
    """Segment and passive-tissue parameters of one joint.

    The segment bounds hold every joint's segment for every body of :data:`BODY_MASS_BOUNDS_KG` and
    :data:`HEIGHT_BOUNDS_M` (the smallest, a 10 kg 0.8 m child's hand: 0.06 kg, 1.5e-4 kg m^2).

    Passive tissue moment (acting in +q)::

        tau_p = -B q' - K (q - q_n) - T_b
                + k_lo exp(-s_lo (q - q_lo)) - k_hi exp(s_hi (q - q_hi))

    the viscous term and constant baseline torque of De Groote et al. 2018, a weak linear
    elastic term about the neutral angle and the double-exponential range-of-motion limits of
    Anderson 1999.
    """

    mass: float = param(4.575, unit="kg", bounds=(0.05, 20.0), source=WINTER + ": 0.061 x 75 kg (leg and foot)")
    com_distance: float = param(
        0.2609, unit="m", bounds=(0.02, 0.6), source=WINTER + ": 0.606 x 0.246 x 1.75 m"
    )
    inertia: float = param(
        0.4580, unit="kg m^2", bounds=(1e-4, 3.0), source=WINTER + ": m (0.735 x 0.246 x 1.75 m)^2"
    )
    damping: float = param(
        0.20,
        unit="N m s/rad",
        bounds=(0.0, 5.0),
        source="De Groote et al. 2018 tutorial: fitted B = 0.173 N m s/rad on a child's pendulum trace",
    )
    stiffness: float = param(
        2.0,
        unit="N m/rad",
        bounds=(0.0, 50.0),
        source="calibrated: a weak linear joint stiffness; with gravity and muscles it gives a first "
        "pendulum period near 1.1 s (typical adult trace, cf. ANCHORS 4.3)",
    )
    neutral_angle: float = param(
        80 * DEG, unit="rad", bounds=ANATOMICAL_ANGLES, source="seated knee rest angle, ANCHORS 4.3 (60-90 deg); "
        "bounds: a joint rests inside its range of motion (RANGE_OF_MOTION)"
    )
    baseline_torque: float = param(
        0.0,
        unit="N m",
        bounds=(-20.0, 20.0),
        source="De Groote et al. 2018: constant baseline torque T_b (0 here: tone comes from the muscles)",
    )
    srs_torque_ratio: float = param(
        0.0, unit="1", bounds=(0.0, 3.0),
        source="0: off in the presets (opt-in; not yet calibrated with the conditions). " + DE_GROOTE_2017 +
        ": short-range stiffness 280 F / l_opt up to 5.7e-3 l_opt, a force rise of 1.6 F per unit tonic "
        "force, the value to set to turn it on (module notes)",
    )
    srs_elastic_limit: float = param(
        0.0185, unit="rad", bounds=(1e-3, 0.35),
        source=DE_GROOTE_2017 + ": elastic limit 5.7e-3 l_opt, as a joint angle 5.7e-3 x 0.13 m (vasti l_opt) / "
        "0.04 m (moment arm), tendon taken rigid as in De Groote et al. 2018's pendulum",
    )
    srs_recovery_time: float = param(
        2.0, unit="s", bounds=(0.05, 30.0),
        source="thixotropy (Lakie & Robson 1988 Q J Exp Physiol 73:487; Proske, Morgan & Gregory 1993 Prog "
        "Neurobiol 41:705): resting stiffness returns within seconds of stillness; the time constant is an "
        "assumption (module notes)",
    )
    srs_still_speed: float = param(
        0.1, unit="rad/s", bounds=(0.005, 5.0),
        source="thixotropy: bonds re-form in a muscle held still (Proske et al. 1993); about 6 deg/s, an "
        "assumption (module notes)",
    )
    limit_low_torque: float = param(6.09, unit="N m", bounds=LIMIT_TORQUE_BOUNDS, source=ANDERSON + ", knee k1")
    limit_low_slope: float = param(33.94, unit="1/rad", bounds=(1.0, 50.0), source=ANDERSON + ", knee k2")
    limit_low_angle: float = param(-0.13, unit="rad", bounds=(-3.2, 1.0), source=ANDERSON + ", knee theta2")
    limit_high_torque: float = param(11.03, unit="N m", bounds=LIMIT_TORQUE_BOUNDS, source=ANDERSON + ", knee k3")
    limit_high_slope: float = param(11.33, unit="1/rad", bounds=(1.0, 50.0), source=ANDERSON + ", knee k4")
    limit_high_angle: float = param(2.40, unit="rad", bounds=(0.3, 3.4), source=ANDERSON + ", knee theta1")

    def check_relations(self, path: str = "limb") -> None:
        """Raise :class:`ParameterError` unless ``inertia >= mass com_distance^2`` (kg m^2).

        The parallel-axis theorem: a segment's inertia about the joint is its inertia about its
        centre of mass plus ``m l_c^2``, so it is never below ``m l_c^2`` (Winter's segments have 1.3
        to 1.9 times that). The three are bounded one by one, so only this relation refuses a heavy
        segment with a tiny inertia, which no body has and which swings the joint faster than any
        joint turns. Called by :func:`myoreflex.params.validate`; skips traced values.

        Examples
        --------
        >>> LimbParams(mass=4.575, com_distance=0.2609, inertia=0.01).check_relations()
        Traceback (most recent call last):
        ...
        myoreflex.errors.ParameterError: parameter `limb.inertia`: expected at least limb.mass x limb.com_distance^2 = 0.311 kg m^2 (parallel-axis theorem); got 0.01. ...
        """
        values = (self.inertia, self.mass, self.com_distance)
        if all(type(value) is float for value in values):  # one parameter set, without NumPy
            if self.inertia >= self.mass * self.com_distance * self.com_distance * (1.0 - 1e-12):
                return
        elif any(isinstance(value, jax.core.Tracer) for value in values):
            return
        inertia, mass, com = (np.asarray(value, dtype=float) for value in values)
        least = mass * com * com
        bad = ~(inertia >= least * (1.0 - 1e-12))  # the relation at equality passes its rounding
        if np.any(bad):
            i = np.flatnonzero(np.ravel(bad))[0]
            raise ParameterError(describe(
                f"parameter `{path}.inertia`",
                f"at least {path}.mass x {path}.com_distance^2 = {np.ravel(least)[i]:.3g} kg m^2 (parallel-axis theorem)",
                f"{np.ravel(inertia)[i]:.3g}", "raise the inertia or lower the mass or centre-of-mass distance"))


def segment_from_anthropometry(joint: str, body_mass: float, height: float) -> dict[str, float]:
    """Mass, centre-of-mass distance and inertia about the joint from body mass (kg), height (m).

    Winter 2009 Table 4.1: ``m = f_m M``, ``L = f_L H``, ``l_c = f_c L``, ``I = m (f_p L)^2``.
    """
    fractions = SEGMENTS[joint]
    mass = fractions.mass_fraction * body_mass
    length = fractions.length_fraction * height
    return {
        "mass": mass,
        "com_distance": fractions.com_fraction * length,
        "inertia": mass * (fractions.gyration_proximal_fraction * length) ** 2,
    }


def gravity_torque(angle, params: LimbParams, gravity_scale=1.0):
    """Gravity moment in +q (N m): ``s_g m g l_c cos(q)`` (seated knee: zero with the shank vertical)."""
    return gravity_scale * params.mass * GRAVITY * params.com_distance * jnp.cos(angle)


def _exp_then_linear(x):
    """``exp(x)`` up to the range limit (x = 0), continued by its tangent ``1 + x`` beyond it.

    A numerical guard, not physiology: past the anatomical limit the exponential would make the
    joint arbitrarily stiff and the fixed-step integration unstable; the tangent keeps the
    stiffness at its value at the limit (``k s``) and every parameter set inside the documented
    bounds finite (tests/test_numerics.py).
    """
    return jnp.where(x < 0.0, jnp.exp(jnp.minimum(x, 0.0)), 1.0 + x)


def passive_torque(angle, angular_velocity, params: LimbParams):
    """Passive tissue moment in +q (N m): viscous, linear elastic, baseline and range limits."""
    limits = params.limit_low_torque * _exp_then_linear(
        -params.limit_low_slope * (angle - params.limit_low_angle)
    ) - params.limit_high_torque * _exp_then_linear(params.limit_high_slope * (angle - params.limit_high_angle))
    return (
        -params.damping * angular_velocity
        - params.stiffness * (angle - params.neutral_angle)
        - params.baseline_torque
        + limits
    )


class ShortRangeState(eqx.Module):
    """The muscles' short-range bonds: ``anchor`` (rad), the joint angle at which the attached bonds
    are unstretched; ``bound`` (1), the attached fraction (1 after a still hold); ``torque`` (N m, in
    +q) and ``stiffness`` (N m/rad, its elastic slope) at the end of the last step."""

    anchor: jax.Array
    bound: jax.Array
    torque: jax.Array
    stiffness: jax.Array


def short_range_stiffness(tone_torque, bound, params: LimbParams):
    """Elastic slope of the short-range bonds (N m/rad): ``k = r_SRS T_tone s / theta_c``."""
    return params.srs_torque_ratio * tone_torque * bound / params.srs_elastic_limit


def short_range_rest(angle, tone_torque, bound, params: LimbParams) -> ShortRangeState:
    """Bonds at rest at ``angle``: unstretched, ``bound`` of them attached (1 after a still hold,
    0 right after the limb was moved)."""
    bound = jnp.broadcast_to(jnp.asarray(bound, dtype=float), jnp.shape(angle))
    return ShortRangeState(angle, bound, jnp.zeros_like(angle), short_range_stiffness(tone_torque, bound, params))


def short_range_step(state: ShortRangeState, angle, angular_velocity, tone_torque, params: LimbParams,
                     dt) -> ShortRangeState:
    """Advance the short-range bonds to the joint angle at the end of a step (thixotropy).

    Notes
    -----
    Short-range stiffness (SRS) is the stiff elastic response of attached cross-bridges to a small
    stretch, proportional to the active force: ``k = 280 F / l_opt`` up to a stretch of 5.7e-3 l_opt,
    where the bonds give (De Groote, Allen & Ting 2017, from Cui et al. 2008; Rack & Westbury 1974).
    At the joint, as in De Groote et al. 2018's pendulum, it is a torque scaled by the tonic torque
    ``T_tone``, here the muscles' active torque (:func:`myoreflex.model.tone_torque`)::

        T_SRS = -r_SRS T_tone s clip(q - q_a, -theta_c, theta_c) / theta_c

    with ``r_SRS = 280 x 5.7e-3 = 1.6`` (the force rise at the elastic limit per unit active force)
    and ``theta_c`` the elastic limit as a joint angle. Past the limit the bonds slip: the anchor
    ``q_a`` follows the joint at ``theta_c`` behind it and the attached fraction ``s`` falls by
    ``exp(-slip / theta_c)`` (bonds torn by the slip). While the joint is still the bonds re-form,
    ``1 - s`` decaying with the recovery time ``tau`` times ``exp(-(q' / w_s)^2)`` (only a joint
    nearly still, below about ``w_s``, re-forms them), at the joint's current angle. So a muscle
    held still is stiff for its first degree of movement and slack after moving: thixotropy
    (Lakie & Robson 1988; Proske et al. 1993), which makes the pendulum's first swing depend on
    whether the leg was held or moved before the release (Willaert et al. 2020 Front Bioeng
    Biotechnol 8:920; tests/test_short_range.py). The slip dissipates energy, a friction that
    stops small late swings (Lin & Rymer 1991: passive swings need amplitude-dependent damping).

    Examples
    --------
    >>> p = LimbParams(srs_torque_ratio=1.6)                      # De Groote et al. 2017
    >>> rest = short_range_rest(0.0, 5.0, 1.0, p)
    >>> held = short_range_step(rest, 0.01, 0.0, 5.0, p, 0.008)     # within the elastic limit
    >>> round(float(held.torque), 2), round(float(held.bound), 3)
    (-4.32, 1.0)
    >>> moved = short_range_step(held, 0.2, 0.0, 5.0, p, 0.008)     # ten limits further: torn,
    >>> round(float(moved.bound), 4), round(float(moved.anchor), 4)  # re-forming where it is now
    (0.004, 0.1997)
    """
    limit = params.srs_elastic_limit
    stretch = angle - state.anchor
    held = jnp.clip(stretch, -limit, limit)
    slip = jnp.abs(stretch - held)
    anchor = angle - held
    bound = state.bound * jnp.exp(-slip / limit)
    stillness = jnp.exp(-jnp.square(angular_velocity / params.srs_still_speed))
    recovered = (1.0 - bound) * -jnp.expm1(-dt / params.srs_recovery_time) * stillness
    total = bound + recovered
    anchor = anchor + (angle - anchor) * recovered / jnp.maximum(total, 1e-12)
    stiffness = short_range_stiffness(tone_torque, total, params)
    return ShortRangeState(anchor, total, -stiffness * (angle - anchor), stiffness)


def angular_acceleration(angle, angular_velocity, muscle_torque, params: LimbParams, gravity_scale=1.0):
    """Forward dynamics ``q'' = (tau_g + tau_p + tau_m) / I`` (rad/s^2)."""
    total = gravity_torque(angle, params, gravity_scale) + passive_torque(angle, angular_velocity, params)
    return (total + muscle_torque) / params.inertia
