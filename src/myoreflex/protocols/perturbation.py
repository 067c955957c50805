"""Virtual multisine perturbation: small rotations about a hold angle to identify joint impedance.

A motor holds the joint at ``hold_angle`` and rotates it by a few degrees with a sum of sinusoids
(a multisine), the input used to identify intrinsic and reflex joint dynamics at the ankle and the
elbow (Kearney & Hunter 1990; van der Helm et al. 2002 J Neurosci Methods 119:1; de Vlugt et al.
2010 used the same idea at the wrist). The harmonics of ``1 / period`` between ``low_frequency``
and ``high_frequency`` have equal amplitudes and Schroeder phases, ``phi_k = -pi k (k - 1) / N``
(Schroeder 1970 IEEE Trans Inf Theory 16:85), which keep the peak of the sum low for its power;
the sum is scaled so its peak is ``amplitude``. It fades in over the first period with a raised
cosine (no jump in velocity), and the measure uses what follows (``steady_from_s``)::

    q(t) = q_hold + w(t) A sum_k sin(2 pi k f_0 t + phi_k) / S,    w = (1 - cos(pi t / T)) / 2 for t < T

The recorded ``torque`` is what the motor needs; :mod:`myoreflex.measures.impedance` reads
inertia, viscosity and stiffness from it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from myoreflex.errors import ProtocolError, describe
from myoreflex.protocols.base import Protocol, setting
from myoreflex.protocols.stretch import RANGES
from myoreflex.trial import Trial
from myoreflex.units import DEG

if TYPE_CHECKING:
    from myoreflex.simulation import Drive


def multisine(t, *, amplitude: float, low: float, high: float, period: float):
    """``(q, q', q'')`` of the faded-in Schroeder multisine about 0 at times ``t`` (NumPy)."""
    base = 1.0 / period
    harmonics = np.arange(max(1, int(np.ceil(low / base - 1e-9))), int(np.floor(high / base + 1e-9)) + 1)
    n = harmonics.size
    phases = -np.pi * np.arange(1, n + 1) * np.arange(n) / n
    omega = 2 * np.pi * base * harmonics
    grid = np.linspace(0.0, period, 4096, endpoint=False)
    peak = np.max(np.abs(np.sin(np.outer(grid, omega) + phases).sum(axis=1)))
    gain = amplitude / peak
    t = np.asarray(t, dtype=float)
    arg = np.outer(t, omega) + phases
    s = gain * np.sin(arg).sum(axis=1)
    ds = gain * (omega * np.cos(arg)).sum(axis=1)
    dds = -gain * (omega**2 * np.sin(arg)).sum(axis=1)
    fading = t < period
    k = np.pi / period
    w = np.where(fading, 0.5 * (1 - np.cos(k * t)), 1.0)
    dw = np.where(fading, 0.5 * k * np.sin(k * t), 0.0)
    ddw = np.where(fading, 0.5 * k * k * np.cos(k * t), 0.0)
    return w * s, dw * s + w * ds, ddw * s + 2 * dw * ds + w * dds


@dataclasses.dataclass(frozen=True)
class MultisinePerturbation(Protocol):
    """Rotate the joint about ``hold_angle`` (rad; None: the middle of its stretch range) by a multisine
    of peak ``amplitude`` (rad) with harmonics of ``1 / period`` in [``low_frequency``,
    ``high_frequency``] Hz, for ``cycles`` periods after a one-period fade-in.

    Examples
    --------
    >>> from myoreflex import default_params
    >>> test = MultisinePerturbation(cycles=2)
    >>> result = test.measure(test.run(default_params("ankle")))
    >>> result.vaf_percent > 90, 0.0 < result.inertia_kg_m2 < 0.1
    (True, True)
    """

    name: ClassVar[str] = "perturbation"
    reference: ClassVar[str] = ("Kearney & Hunter 1990 Crit Rev Biomed Eng 18:55; Schroeder 1970 IEEE Trans Inf "
                                "Theory 16:85; measure: IBK least squares")
    joints: ClassVar[tuple[str, ...]] = ("ankle", "elbow", "wrist", "knee")
    measured: ClassVar[tuple[str, ...]] = ("angle", "angular_velocity", "torque")

    amplitude: float = setting(2 * DEG, unit="rad", doc="peak rotation about the hold angle", bounds=(1e-4, 0.35))
    low_frequency: float = setting(0.5, unit="Hz", doc="lowest harmonic", bounds=(0.05, 50.0))
    high_frequency: float = setting(8.0, unit="Hz", doc="highest harmonic", bounds=(0.1, 100.0))
    period: float = setting(2.0, unit="s", doc="period of the multisine (its frequency resolution is 1/period)",
                            bounds=(0.1, 60.0))
    cycles: float = setting(3.0, unit="1", doc="periods recorded after the fade-in", bounds=(1.0, 100.0))
    hold_angle: float | None = None

    def _hold(self, joint: str) -> float:
        start, end = RANGES[joint]
        return 0.5 * (start + end) if self.hold_angle is None else self.hold_angle

    def drive(self, joint: str) -> Drive:
        from myoreflex.simulation import Drive

        self.check_joint(joint)
        if not self.high_frequency > self.low_frequency:
            raise ProtocolError(describe("perturbation frequencies", "high_frequency above low_frequency",
                                         (self.low_frequency, self.high_frequency)))
        if self.high_frequency < 1.0 / self.period:
            raise ProtocolError(describe("perturbation period", f"at most 1/high_frequency = {1 / self.high_frequency:g} s",
                                         self.period, "no harmonic of 1/period lies in the band"))
        hold = self._hold(joint)

        def kinematics(t):
            q, dq, ddq = multisine(t, amplitude=self.amplitude, low=self.low_frequency, high=self.high_frequency,
                                   period=self.period)
            return hold + q, dq, ddq

        return Drive(initial_angle=hold, duration=self.period * (1.0 + self.cycles), gravity_scale=0.0,
                     kinematics=kinematics)

    def metadata(self) -> dict:
        return {**super().metadata(), "steady_from_s": self.period}

    @classmethod
    def measure(cls, trial: Trial, *, lenient: bool = False):  # no quality gates (yet)
        from myoreflex.measures.impedance import measure

        return measure(trial)
