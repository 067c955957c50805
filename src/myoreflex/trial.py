"""The one data model for a recording, real or simulated.

A :class:`Trial` holds a strictly increasing time vector (s), named channels with their units and
free-form metadata (source, subject, side, joint, rate, condition, ...). Simulators and readers
both produce Trials and every measure consumes them, so a measure never knows (or cares) whether
the numbers came from a patient or from the model.

Channel vocabulary (SI units): ``angle`` (rad), ``angular_velocity`` (rad/s), ``torque`` (N m),
``emg_<muscle>`` (normalised excitation, 1, or V for recordings), ``ia_<muscle>`` / ``ii_<muscle>``
/ ``ib_<muscle>`` (pps), ``force_<muscle>`` (N), ``activation_<muscle>`` (1).
Angle sign convention: each joint's positive direction is the one that stretches the tested muscle
group (knee flexion, elbow extension, ankle dorsiflexion, wrist extension); see
:mod:`myoreflex.physiology.limb`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from myoreflex.errors import RecordingError, Status, describe


@dataclasses.dataclass(frozen=True)
class Channel:
    """One signal: values sampled at the Trial's times, with its unit."""

    values: np.ndarray
    unit: str


@dataclasses.dataclass(frozen=True)
class Trial:
    """Time, named channels with units, and metadata. Immutable; validated on construction."""

    time: np.ndarray
    channels: Mapping[str, Channel]
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    status: Status = Status.OK

    def __post_init__(self):
        source = self.metadata.get("source", "trial")
        time = np.asarray(self.time, dtype=float)
        if time.ndim != 1 or time.size < 2:
            raise RecordingError(describe(f"`{source}`, time", "a 1-D vector of at least 2 samples", time.shape))
        if not np.all(np.isfinite(time)):
            raise RecordingError(describe(f"`{source}`, time", "finite values", "NaN or inf"))
        if np.any(np.diff(time) <= 0):
            at = int(np.argmax(np.diff(time) <= 0))
            raise RecordingError(
                describe(f"`{source}`, time", "strictly increasing values", f"{time[at]:g} then {time[at + 1]:g}")
            )
        channels = {}
        for name, channel in self.channels.items():
            values = np.asarray(channel.values, dtype=float)
            if values.shape[:1] != time.shape:
                raise RecordingError(
                    describe(f"`{source}`, channel `{name}`", f"{time.size} samples", values.shape[:1])
                )
            channels[name] = Channel(values, channel.unit)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "channels", MappingProxyType(channels))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.channel(name).values

    def __contains__(self, name: str) -> bool:
        return name in self.channels

    def channel(self, name: str) -> Channel:
        """The named channel; a missing one raises :class:`RecordingError` listing what exists."""
        try:
            return self.channels[name]
        except KeyError:
            source = self.metadata.get("source", "trial")
            raise RecordingError(
                describe(f"`{source}`, channel `{name}`", f"one of {sorted(self.channels)}", "no such channel")
            ) from None

    def unit(self, name: str) -> str:
        return self.channel(name).unit

    @property
    def sampling_rate(self) -> float:
        """Mean sampling rate in Hz."""
        return (self.time.size - 1) / (self.time[-1] - self.time[0])

    @property
    def duration(self) -> float:
        return float(self.time[-1] - self.time[0])

    def with_channels(self, **channels: Channel) -> Trial:
        """A copy with channels added or replaced."""
        return dataclasses.replace(self, channels={**self.channels, **channels})

    def with_metadata(self, **metadata: Any) -> Trial:
        """A copy with metadata added or replaced."""
        return dataclasses.replace(self, metadata={**self.metadata, **metadata})

    def window(self, start: float, stop: float) -> Trial:
        """The samples with ``start <= time <= stop``."""
        keep = (self.time >= start) & (self.time <= stop)
        return dataclasses.replace(
            self,
            time=self.time[keep],
            channels={k: Channel(c.values[keep], c.unit) for k, c in self.channels.items()},
        )

    def emg_names(self) -> list[str]:
        """Muscle names of the ``emg_<muscle>`` channels."""
        return [name[4:] for name in self.channels if name.startswith("emg_")]
