"""SI constants for the edges: the one place degrees, milliseconds and friends become SI.

Inside myoreflex every quantity is SI (m, s, rad, N, N m, Hz). Callers write ``90 * DEG`` or
``30 * MS``; readers and the command line divide by the same constants on the way out.
"""

import math

DEG = math.pi / 180.0
"""One degree in radians."""
MS = 1e-3
"""One millisecond in seconds."""
MM = 1e-3
"""One millimetre in metres."""
CM = 1e-2
"""One centimetre in metres."""
GRAVITY = 9.81
"""Standard gravitational acceleration in m/s^2 (the value used by Winter 2009 and OpenSim)."""


# The person accepted at the edges (options, manifests, Subject): declared here, where nothing heavy is
# imported, so that the command line builds its options without loading JAX; physiology.limb and
# subjects re-export them.
BODY_MASS_BOUNDS_KG = (10.0, 250.0)
"""Body mass accepted wherever a person is given (kg): a small child to a heavy adult; it catches
pounds and grams. The one declaration: presets, fits, cohorts and the command line read it."""
HEIGHT_BOUNDS_M = (0.8, 2.3)
"""Body height accepted wherever a person is given (m); it catches centimetres and inches."""
AGE_BOUNDS_YEARS = (2.0, 100.0)
"""Age accepted wherever a person is given (years): the CDC 2000 growth charts start at 2 years."""
PENDULUM_DURATION_BOUNDS_S = (0.5, 120.0)
"""Swing of a pendulum test after its release (s): the protocol's setting, the command line's and the
app's ``duration_s``, and a calibration's copy of a recording (:mod:`myoreflex.protocols.pendulum`)."""
PENDULUM_DURATION_S = 20.0
"""The pendulum test's swing after its release by default (s): long enough for the healthy knee
preset's swings to die out; the protocol's, the command line's and the app's default."""
PENDULUM_RELEASE_DEG = 0.0
"""The pendulum test's release by default (deg of knee flexion): full extension, the leg held
horizontal (Wartenberg 1951); the protocol's, the command line's and the app's default."""
PENDULUM_RELEASE_BOUNDS_DEG = (-20.0, 91.0)
"""Release angle of a pendulum test that the command line and the app take (deg of knee flexion): the
whole degrees inside the protocol setting's -0.35 to 1.6 rad."""
SEXES = ("female", "male")
"""The sexes of the growth charts."""
