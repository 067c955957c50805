"""The exception family, the warning class and the run status.

Every error message is made by :func:`describe` so that all of them read the same way:
what (a parameter path, or a file and a channel), what was expected, what was given, and a hint.
"""

from __future__ import annotations

import enum
import math


def describe(what: str, expected: str, got: object, hint: str = "") -> str:
    """One-line error message: ``what: expected EXPECTED; got GOT. HINT``."""
    message = f"{what}: expected {expected}; got {got}"
    return f"{message}. {hint}" if hint else message


class MyoreflexError(Exception):
    """Base of every error raised on purpose by myoreflex."""


class ParameterError(MyoreflexError, ValueError):
    """A parameter is unknown, out of its documented bounds, or malformed."""


class RecordingError(MyoreflexError, ValueError):
    """A recording (file or Trial) is empty, corrupt, or lacks what a measure needs."""


class ProtocolError(MyoreflexError, ValueError):
    """A virtual test was asked for something it cannot do (bad velocity, range, joint)."""


class QualityGateError(RecordingError):
    """A recording fails a measure's documented quality gate (the message names the gate, the number
    it tests and the limit); ``lenient=True`` measures it anyway and names the gate in ``warnings``."""


class OutputError(MyoreflexError, OSError):
    """An output cannot be written where it was asked for (folder missing or read-only, a directory,
    an unknown extension, the same file as an input, a full disk)."""


class SimulationFailed(MyoreflexError, RuntimeError):
    """The integrator produced NaN or inf, or values outside the physical limits (diverged)."""


class FitFailed(MyoreflexError, RuntimeError):
    """A parameter fit did not converge."""


class NotSupported(MyoreflexError, NotImplementedError):
    """A feature needs an optional extra that is not installed, or is not built yet."""


class MyoreflexWarning(UserWarning):
    """Base of every warning emitted by myoreflex."""


class Status(enum.IntEnum):
    """Outcome of a computation, carried as data so that it survives ``jit`` and ``vmap``."""

    OK = 0
    NONFINITE = 1
    DIVERGED = 2  # finite, but outside the physical limits of a joint (myoreflex.simulation)


def require_extra(module: str, extra: str):
    """Import an optional dependency or raise :class:`NotSupported` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise NotSupported(
            describe(
                f"optional dependency `{module}`",
                "it to be installed",
                "ImportError",
                f'install it with: pip install "myoreflex[{extra}]"',
            )
        ) from exc


def checked_number(value, where: str, expected: str, *, low: float = -math.inf, high: float = math.inf) -> float:
    """``value`` as a finite float in [low, high], or a :class:`ParameterError` naming ``where`` and
    ``expected`` (a bool is not a number here)."""
    if isinstance(value, bool):
        raise ParameterError(describe(where, expected, repr(value)))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(describe(where, expected, repr(value))) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ParameterError(describe(where, expected, repr(value)))
    return number
