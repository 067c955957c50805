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
