"""Virtual clinical tests: one contract (:class:`Protocol`) and one registry (:data:`PROTOCOLS`).

The command line (``myoreflex simulate NAME``), cohorts (``cohort simulate --protocol NAME``)
and :func:`myoreflex.simulate` all work from the contract and read :data:`PROTOCOLS`; adding a
test is one new module with a :class:`Protocol` subclass and one line below
(docs/protocols.md walks through one).
"""

from __future__ import annotations

from myoreflex.errors import ProtocolError, describe
from myoreflex.protocols.base import EDGE_UNITS, Protocol, SettingInfo, from_settings, setting, settings
from myoreflex.protocols.pendulum import CONVERGED_DT, PENDULUM_DT, PendulumTest
from myoreflex.protocols.stretch import RANGES, ManualStretch, MotorizedStretch, stretch_series
from myoreflex.registry import Registry

PROTOCOLS = Registry("protocol", {
    "pendulum": "myoreflex.protocols.pendulum:PendulumTest",
    "motorized_stretch": "myoreflex.protocols.stretch:MotorizedStretch",
    "manual_stretch": "myoreflex.protocols.stretch:ManualStretch",
    "perturbation": "myoreflex.protocols.perturbation:MultisinePerturbation",
    "long_lasting_reflex": "myoreflex.protocols.long_lasting_reflex:LongLastingReflex",
    "clonus": "myoreflex.protocols.clonus:ClonusTest",
    "voluntary": "myoreflex.protocols.voluntary:VoluntaryMovement",
}, aliases={"stretch": "motorized_stretch"}, error=ProtocolError)
"""Every protocol class by its ``name``; ``stretch`` is short for ``motorized_stretch``."""


def register_protocol(protocol: type[Protocol]) -> type[Protocol]:
    """Add a protocol class defined outside myoreflex to :data:`PROTOCOLS` (also a class decorator)."""
    if not (isinstance(protocol, type) and issubclass(protocol, Protocol)):
        raise ProtocolError(describe("register_protocol", "a Protocol subclass", repr(protocol)))
    return PROTOCOLS.register(protocol.name, protocol)


__all__ = [
    "EDGE_UNITS",
    "CONVERGED_DT",
    "PENDULUM_DT",
    "PROTOCOLS",
    "RANGES",
    "ManualStretch",
    "MotorizedStretch",
    "PendulumTest",
    "Protocol",
    "SettingInfo",
    "from_settings",
    "register_protocol",
    "setting",
    "settings",
    "stretch_series",
]
