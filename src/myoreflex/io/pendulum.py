"""A pendulum recording in myoreflex's convention (knee flexion positive), its sign found from the swing.

A pendulum test releases the shank from full extension and it falls into flexion (Wartenberg 1951
Neurology 1:18), so the side the leg falls to tells the file's sign
(:func:`myoreflex.measures.pendulum.swing_direction`): an OpenSim file (flexion negative) reads as
it is, with no ``angle_sign`` to remember. The command line (``assess``/``fit pendulum``) and the
local app read pendulum recordings through :func:`read_pendulum`.
"""

from __future__ import annotations

from pathlib import Path

from myoreflex.errors import ParameterError, RecordingError, describe
from myoreflex.trial import Trial


def read_pendulum(path: str | Path, *, angle_sign: float | None = None, **options) -> tuple[Trial, dict]:
    """One pendulum recording, flexion positive, and how its sign was chosen.

    ``angle_sign`` None: found from the swing, else checked against it (a sign that makes the leg fall
    towards extension raises :class:`~myoreflex.errors.ParameterError` naming the other). ``options``
    go to the reader (:func:`myoreflex.io.read_trials`). Returns the Trial and ``{"angle_sign",
    "angle_sign_source"}``; a file of several segments raises
    :class:`~myoreflex.errors.RecordingError`.

    Examples
    --------
    >>> from myoreflex import datasets
    >>> trial, sign = read_pendulum(datasets.path("cp1-right-pendulum"), angle_channel="knee_angle_r")
    >>> sign
    {'angle_sign': -1.0, 'angle_sign_source': 'detected from the swing direction'}
    """
    import inspect

    from myoreflex.io import read_trials, reader_for
    from myoreflex.measures.pendulum import swing_direction
    from myoreflex.trial import Channel

    takes_sign = "angle_sign" in inspect.signature(reader_for(path)).parameters

    def read(sign: float) -> Trial:
        trials = read_trials(path, **({"angle_sign": sign} if takes_sign else {}), **options)
        if len(trials) != 1:
            raise RecordingError(describe(f"`{Path(path).name}`", "a single pendulum recording",
                                          f"{len(trials)} segments"))
        trial = trials[0]
        if takes_sign or sign == 1.0:
            return trial
        # a format without the option (Parquet, Motion-BIDS): the angle and its velocity turned here
        flipped = {name: Channel(-trial[name], trial.unit(name)) for name in ("angle", "angular_velocity")
                   if name in trial}
        return trial.with_channels(**flipped)

    trial = read(1.0 if angle_sign is None else angle_sign)
    direction = swing_direction(trial)
    if angle_sign is None:
        return (read(-1.0) if direction < 0 else trial), {
            "angle_sign": direction, "angle_sign_source": "detected from the swing direction"}
    if direction < 0:
        raise ParameterError(describe(
            "angle_sign (--angle-sign)", f"{-angle_sign:g} for this file (its leg falls towards smaller angles "
            f"with {angle_sign:g}: flexion would be negative); or leave it out to detect it", f"{angle_sign:g}"))
    return trial, {"angle_sign": angle_sign, "angle_sign_source": "given (--angle-sign)"}
