"""Motion profiles shared by the stretch protocols (NumPy, evaluated outside jit)."""

from __future__ import annotations

import numpy as np


def ramp_and_hold(t, *, start, end, velocity, onset, corner):
    """Constant-velocity ramp from ``start`` to ``end`` with raised-cosine corners of ``corner`` s.

    Velocity ``v(t) = V s(t)`` with ``s`` rising as ``(1 - cos(pi t / corner)) / 2``, constant,
    then falling symmetrically; the covered distance is ``V (T_flat + corner)``. Returns
    ``(angle, angular_velocity, angular_acceleration)`` arrays at times ``t``.
    """
    t = np.asarray(t, dtype=float)
    distance = end - start
    sign = np.sign(distance)
    speed = abs(velocity)
    flat = abs(distance) / speed - corner
    if flat < 0:
        corner = abs(distance) / speed
        flat = 0.0
    t1, t2, t3 = onset + corner, onset + corner + flat, onset + 2 * corner + flat
    w = np.pi / corner

    def position(x):  # distance covered (units of speed x time), x = time since onset
        x = np.clip(x, 0.0, t3 - onset)
        up = np.minimum(x, corner)
        p = up / 2 - np.sin(w * up) / (2 * w)
        mid = np.clip(x - corner, 0.0, flat)
        p = p + mid
        down = np.clip(x - corner - flat, 0.0, corner)
        return p + down / 2 + np.sin(w * down) / (2 * w)

    x = t - onset
    vel_shape = np.where(t < onset, 0.0, np.where(t < t1, (1 - np.cos(w * x)) / 2, np.where(
        t < t2, 1.0, np.where(t < t3, (1 + np.cos(w * (t - t2))) / 2, 0.0))))
    acc_shape = np.where((t >= onset) & (t < t1), w * np.sin(w * x) / 2, np.where(
        (t >= t2) & (t < t3), -w * np.sin(w * (t - t2)) / 2, 0.0))
    return (start + sign * speed * position(x), sign * speed * vel_shape, sign * speed * acc_shape)


def minimum_jerk(t, *, start, end, duration, onset):
    """Minimum-jerk movement (Flash & Hogan 1985): ``q = q0 + D (10 s^3 - 15 s^4 + 6 s^5)``."""
    s = np.clip((np.asarray(t, dtype=float) - onset) / duration, 0.0, 1.0)
    d = end - start
    moving = (s > 0) & (s < 1)
    angle = start + d * (10 * s**3 - 15 * s**4 + 6 * s**5)
    velocity = np.where(moving, d * (30 * s**2 - 60 * s**3 + 30 * s**4) / duration, 0.0)
    acceleration = np.where(moving, d * (60 * s - 180 * s**2 + 120 * s**3) / duration**2, 0.0)
    return angle, velocity, acceleration
