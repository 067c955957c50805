"""Measures: recording in, numbers out, identical for recorded and simulated Trials.

The contract, kept by every module here:

- ``measure(...)`` takes the Trial (or the Trials a measure needs) and returns a frozen record
  named ``<Module>Measures`` (``PendulumMeasures``, ``StretchMeasures``, ``DecompositionMeasures``,
  ``ManualMeasures``, ``ThresholdMeasures``, ``TardieuMeasures``, ``EmgMeasures``,
  ``ImpedanceMeasures``); a module may also keep the verb its field uses (``decompose``,
  ``tsrt``, ``tardieu``), which is the same function.
- Every record is a :class:`Record`: ``as_dict()`` gives plain JSON values, with the unit in
  each field's name (``peak_torque_nm``, ``emg_onset_angle_deg``).
- Every algorithm choice (``method=``, ``catch=``, ``rule=``) is an entry of a
  :class:`myoreflex.registry.Registry` whose values are :class:`Method` records (the function and
  the reference it implements), picked by ``REGISTRY.lookup(name)``: an unknown name raises
  :class:`~myoreflex.errors.ParameterError` listing the known ones.
- Measures read the Trial's typed metadata (``trial.stretch_onset_s``), never convert units (the
  readers did) and never care whether the Trial was simulated.
- Every gated measure (``pendulum``, ``decomposition``, ``manual``, ``threshold``) declares its
  quality gates in ``GATES`` (:mod:`myoreflex.measures.gates`: each rule with the number it tests,
  its limit and why) and takes ``lenient: bool = False``: a recording that fails a gate raises
  :class:`~myoreflex.errors.QualityGateError` naming the file, the gate, the number and the limit;
  with ``lenient=True`` the numbers come back with one message per failed gate in the record's
  ``warnings`` (a tuple; a list in ``as_dict()``; empty when every gate passed).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np


class Method(NamedTuple):
    """A registry entry of an algorithm choice: the function and the reference it implements."""

    function: Callable[..., Any]
    reference: str


def as_json(value: Any) -> Any:
    """``value`` as plain JSON values: records and mappings become dicts, tuples and arrays lists,
    numpy scalars Python numbers, non-finite floats None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: as_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [as_json(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def shown(value: Any, digits: int = 4) -> str:
    """A number for people: ``digits`` significant digits, ``-`` for none or not finite (JSON keeps
    full precision; the command line, the report and the app print through this).

    Examples
    --------
    >>> shown(1.214800721), shown(None), shown(4), shown(float("nan")), shown(True)
    ('1.215', '-', '4', '-', 'yes')
    """
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}" if math.isfinite(value) else "-"
    return str(value)


class Record:
    """Mixin of the frozen measure records: ``as_dict()`` as plain JSON values (see :func:`as_json`)."""

    def as_dict(self) -> dict[str, Any]:
        """The record's fields as plain JSON values, units in the names."""
        return as_json(self)
