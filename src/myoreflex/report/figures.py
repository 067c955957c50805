"""Figures a clinician would read, each marking the landmarks its measure used.

- :func:`pendulum_figure`: knee angle (and EMG, when recorded) against time, with the release, the
  start angle, the first minimum, the plateau and the R1 construction (first-swing excursion over
  plateau amplitude, Bajd & Bowman 1982) of :func:`myoreflex.measures.pendulum.measure`; the time
  axis shows the swing until it settles (:func:`swing_view`), the whole recording on request;
- :func:`stretch_figure`: torque, angle and EMG against time and torque against angle, with each
  stretch's EMG onset (its method named) and dynamic stretch reflex threshold
  (:func:`myoreflex.measures.threshold.dsrt`), and a decomposition's time points P0-P2;
- :func:`emg_figure`: each muscle's EMG in its unit with the baseline and search windows and the
  onset of :func:`myoreflex.measures.emg.measure`, the method named;
- :func:`tsrt_figure`: the TSRT regression of :func:`myoreflex.measures.threshold.tsrt`, the DSRTs
  against velocity, the fitted line, its 95 % interval and the extrapolated threshold;
- :func:`decomposition_figure`: the NeuroFlexor components against the healthy values and cut-offs
  of Pennati et al. 2016 (:mod:`myoreflex.measures.decomposition`);
- :func:`fit_figure`: a fit's recorded and fitted traces.

Drawing only. The figures are :class:`matplotlib.figure.Figure` objects built without pyplot: no
figure is registered with pyplot and the backend the user chose (``matplotlib.get_backend()``) is
never changed. Each function takes ``ax=`` (one panel) or ``axes=`` (several) to draw into the
user's own figure, and draws only the panels the trials have data for (no EMG panel for a
kinematics-only recording). Axis labels carry each channel's unit (``trial.unit(name)``): an EMG
recorded in V is labelled V, a simulated excitation (unit ``1``) "normalised excitation".

A result measured with failed quality gates (``lenient=True``, :mod:`myoreflex.measures.gates`) is
never drawn as a clean one: the figures take its ``warnings`` (``warnings=`` or the ``records``'
own) and print them in red above the plot. Landmarks a figure measures itself (no record given) are
drawn only when every quality gate passed.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from myoreflex.errors import MyoreflexError, ParameterError, describe, require_extra
from myoreflex.trial import Trial
from myoreflex.units import DEG

DISCLAIMER = "myoreflex: research and teaching tool, not a medical device"
WARNING_COLOUR = "#b00020"
WARNING_WIDTH = 150  # characters per line of the warning banner
LANDMARK_COLOUR = "0.25"
NOTE_COLOUR = "0.45"


# ------------------------------------------------------------------------------------------------
# Figures and axes without pyplot


def _new_figure(figsize: tuple[float, float]):
    """A bare :class:`~matplotlib.figure.Figure` (no pyplot, no backend switch); ``savefig`` picks the
    writer from the file's format."""
    require_extra("matplotlib", "plot")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def _root_figure(ax):
    """The top-level figure holding ``ax`` (also when ``ax`` lies in a subfigure)."""
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10: ax.figure is the root
        return ax.figure


def _given_axes(axes, count: int, what: str) -> list:
    """``axes`` (one Axes or a sequence) as a list of ``count`` Axes; anything else is an error."""
    listed = list(np.ravel(np.asarray(axes, dtype=object))) if not hasattr(axes, "plot") else [axes]
    if len(listed) != count or not all(hasattr(a, "plot") for a in listed):
        raise ParameterError(describe("axes", f"{count} matplotlib Axes ({what})", f"{len(listed)} item(s)",
                                      "pass one Axes per panel, or none to get a new figure"))
    return listed


def _panels(names: Sequence[str], axes, figsize, what: str, *, ncols: int = 1, height_ratios=None):
    """The figure and one Axes per panel name: the user's ``axes`` in order, or a new figure."""
    if axes is not None:
        listed = _given_axes(axes, len(names), what)
        return _root_figure(listed[0]), dict(zip(names, listed)), False
    fig = _new_figure(figsize)
    nrows = math.ceil(len(names) / ncols)
    grid = fig.add_gridspec(nrows, ncols, height_ratios=height_ratios)
    made = {}
    for index, name in enumerate(names):
        share = made[names[0]] if ncols == 1 and index and names[0] != "loop" else None
        made[name] = fig.add_subplot(grid[index // ncols, index % ncols], sharex=share)
    return fig, made, True


def _finish(fig, own: bool, messages: Sequence[str]) -> None:
    """Disclaimer and layout on a figure of ours; the warning banner on any figure."""
    if own:
        fig.tight_layout()
        fig.text(0.01, 0.005, DISCLAIMER, fontsize=7, color="grey")
    _warning_banner(fig, messages)


def _warnings_of(warnings=None, records=None) -> list[str]:
    """The messages to print: ``warnings`` (strings) and every record's ``warnings``, in order, once each."""
    messages = list(warnings or ())
    for record in records or ():
        messages += list(getattr(record, "warnings", ()) or ())
    return list(dict.fromkeys(str(m) for m in messages))


def _warning_banner(fig, messages: Sequence[str]) -> None:
    """The failed quality gates (and other warnings) in red above the figure (saved with it: the
    figures are written with ``bbox_inches="tight"``, which takes in text outside the axes)."""
    if not messages:
        return
    count = f"{len(messages)} warning{'s' if len(messages) > 1 else ''}"
    gates = any("gate" in message for message in messages)
    why = " (failed quality gates are measured only with lenient=True / --lenient)" if gates else ""
    # wrapped to the figure's width (7 pt monospace: about 17 characters per inch), so the banner
    # does not widen the saved figure and shrink the plot
    width = max(40, min(WARNING_WIDTH, int(17 * fig.get_figwidth())))
    lines = textwrap.wrap(f"NOT A CLEAN RESULT: {count}{why}", width)
    for message in messages:
        lines += textwrap.wrap(message, width, initial_indent="- ", subsequent_indent="  ")
    fig.text(0.01, 1.0, "\n".join(lines), ha="left", va="bottom", fontsize=7, color=WARNING_COLOUR,
             family="monospace")


def _note(ax, text: str) -> None:
    """A grey remark in the lower left of a panel (what was not drawn, and why)."""
    ax.text(0.01, 0.02, text, transform=ax.transAxes, fontsize=7, color=NOTE_COLOUR, ha="left", va="bottom")


def save_figure(figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write a figure atomically (temporary name in the same folder, then rename).

    Examples
    --------
    >>> save_figure(tsrt_figure(tsrt(velocities_deg_s=[30, 60, 90], dsrt_deg=[95, 90, 82])),
    ...             "tsrt.png")  # doctest: +SKIP
    PosixPath('tsrt.png')
    """
    from myoreflex.io.results import atomic_path

    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi, bbox_inches="tight", format=Path(path).suffix.lstrip(".") or "png")
    return Path(path)


# ------------------------------------------------------------------------------------------------
# Channels with their units


def _angle_deg(trial: Trial, name: str = "angle") -> tuple[np.ndarray, str]:
    """An angle channel for the eye: in deg when recorded in rad (the vocabulary), else as it is."""
    unit = trial.unit(name)
    return (trial[name] / DEG, "deg") if unit == "rad" else (trial[name], unit)


def emg_unit_label(units: Sequence[str]) -> str:
    """The EMG axis label for channels in ``units``: "normalised excitation" for ``1``, else the unit.

    Examples
    --------
    >>> emg_unit_label(["V"]), emg_unit_label(["1", "1"]), emg_unit_label(["V", "1"])
    ('EMG (V)', 'EMG (normalised excitation)', 'EMG (V; normalised excitation)')
    """
    names = ["normalised excitation" if unit == "1" else unit for unit in dict.fromkeys(units)]
    return f"EMG ({'; '.join(names)})"


def _emg_axis(ax, trials, labels, colours=None):
    """Every EMG channel of ``trials`` against time, labelled with their units."""
    lowest = highest = 0.0
    units = []
    for index, (trial, label) in enumerate(zip(trials, labels)):
        for number, muscle in enumerate(trial.emg_names()):
            values = trial[f"emg_{muscle}"]
            units.append(trial.unit(f"emg_{muscle}"))
            style = {"color": colours[index], "ls": ("-", "--", ":", "-.")[number % 4]} if colours else {}
            ax.plot(trial.time, values, lw=1.0, label=f"{label}: {muscle}", **style)
            lowest, highest = min(lowest, float(np.min(values))), max(highest, float(np.max(values)))
    # Zero in view, so that a quiet muscle reads as a flat line at its tone, not as the 1e-10 ripple
    # of a noise-free simulation magnified by an offset axis.
    if highest > lowest:
        ax.set_ylim(1.15 * lowest, 1.15 * highest)
    ax.set_ylabel(emg_unit_label(units))
    ax.set_xlabel("time (s)")
    ax.legend(fontsize=7, loc="upper right")


def _colours(count: int) -> list[str]:
    return [f"C{i % 10}" for i in range(count)]


# ------------------------------------------------------------------------------------------------
# Pendulum test


def _pendulum_records(trials, records, landmarks: bool):
    """One :class:`~myoreflex.measures.pendulum.PendulumMeasures` (or None) per trial, and the notes
    of trials whose landmarks are not drawn."""
    from myoreflex.measures import pendulum

    given = [r for r in records or () if isinstance(r, pendulum.PendulumMeasures)]
    if not landmarks:
        return [None] * len(trials), []
    if len(given) == len(trials):
        return given, []
    found, notes = [], []
    for trial in trials:
        try:
            record = pendulum.measure(trial, lenient=True) if "angle" in trial and trial.unit("angle") == "rad" \
                else None
        except (MyoreflexError, ValueError) as exc:
            record, reason = None, str(exc)
        else:
            reason = "" if record is not None else "the angle is not in rad"
        if record is not None and record.warnings:
            record, reason = None, f"{len(record.warnings)} quality gate(s) failed; pass records= to draw them"
        if record is None:
            notes.append(f"{trial.source}: landmarks not drawn ({textwrap.shorten(reason, 90)})")
        found.append(record)
    return found, notes


RELEASE_LEAD_S = 0.5
"""s shown before the release: the held leg, whose extreme over the 0.2 s before the release is the
start angle (ANCHORS 4.1, :mod:`myoreflex.measures.pendulum`)."""
SETTLED_MARGIN_S = 1.0
"""s shown after the swing settles: about one free swing of a shank (1.06-1.34 s, child to adult:
:mod:`myoreflex.measures.pendulum` notes, from Winter 2009 Table 4.1 and ANCHORS 3.3), so that the
leg is seen at rest."""


def _settled_band_deg() -> float:
    """Half the prominence of the smallest swing the pendulum measure counts (1 deg, ANCHORS 4.3): a
    swing that stays within it of the plateau rises less than that above its troughs."""
    from myoreflex.measures.pendulum import PEAK_PROMINENCE

    return PEAK_PROMINENCE / DEG / 2.0


def swing_view(trial: Trial, record=None) -> tuple[float, float, float] | None:
    """The times (s) that frame a pendulum swing: ``(start, settled, stop)``, or None without a swing.

    ``settled`` is the last time after the release that the angle lies more than 0.5 deg from the
    plateau: half the 1 deg prominence of the smallest swing :func:`myoreflex.measures.pendulum.measure`
    counts (ANCHORS 4.3), so every counted swing is in view and what follows is stiller than any
    of them. ``start`` is :data:`RELEASE_LEAD_S` before the release and ``stop``
    :data:`SETTLED_MARGIN_S` after ``settled``, both within the recording. The plateau and the
    release are the ``record``'s (a :class:`~myoreflex.measures.pendulum.PendulumMeasures`);
    without one, the median of the final 0.5 s and the first sample faster than 20 deg/s (the
    measure's definitions, ANCHORS 4.1). The raw angle is read: a recording noisier than 0.5 deg
    settles late, up to its end (the whole recording is then shown). Angles in rad or deg only.

    Examples
    --------
    >>> import numpy as np
    >>> from myoreflex.trial import Channel, Trial
    >>> t = np.arange(0.0, 20.0, 0.01)                       # 20 s, released at 0.5 s
    >>> s = np.clip(t - 0.5, 0.0, None)
    >>> q = np.radians(65) * (1 - np.exp(-1.2 * s) * np.cos(6.0 * s))
    >>> [round(v, 2) for v in swing_view(Trial(t, {"angle": Channel(q, "rad")}))]
    [0.0, 4.29, 5.29]
    """
    from myoreflex.measures import pendulum

    if "angle" not in trial or trial.unit("angle") not in ("rad", "deg"):
        return None
    t = trial.time
    angle, _ = _angle_deg(trial)
    if record is not None:
        rest, release = record.plateau_deg, record.release_time_s
    else:
        rest = float(np.median(angle[t >= t[-1] - pendulum.REST_WINDOW]))
        fast = np.flatnonzero(np.abs(np.gradient(angle, t)) > pendulum.RELEASE_VELOCITY / DEG)
        if fast.size == 0:
            return None
        release = float(t[fast[0]])
    away = np.flatnonzero((t >= release) & (np.abs(angle - rest) > _settled_band_deg()))
    settled = float(t[away[-1]]) if away.size else float(release)
    return (max(float(t[0]), release - RELEASE_LEAD_S), settled,
            min(float(t[-1]), settled + SETTLED_MARGIN_S))


def _time_view(ax, trials, found, full: bool) -> str:
    """Frame the time axis on the swings of ``trials`` (their records ``found``); the x-label's note
    of what is not shown ("" when everything is)."""
    first, last = min(float(t.time[0]) for t in trials), max(float(t.time[-1]) for t in trials)
    views = [swing_view(trial, record) for trial, record in zip(trials, found)]
    if full or any(view is None for view in views):
        return ""
    start, settled, stop = min(v[0] for v in views), max(v[1] for v in views), max(v[2] for v in views)
    if (start - first) + (last - stop) < SETTLED_MARGIN_S:  # next to nothing to cut: all of it
        return ""
    pad = 0.02 * (stop - start)
    ax.set_xlim(start - pad, stop + pad)
    which = "the swing" if len(trials) == 1 else "the swings"
    return (f"shown: {which} to {SETTLED_MARGIN_S:g} s after it settles ({settled:.1f} s); recorded "
            f"{first:.1f}-{last:.1f} s, all with full_trace=True")


def _pendulum_landmarks(ax, record, colour: str, *, full: bool) -> None:
    """Release, start angle, first minimum and plateau of one swing; with ``full`` the R1 construction."""
    release = record.release_time_s
    first = release + record.time_to_first_peak_s
    start, peak, plateau = record.start_angle_deg, record.first_peak_angle_deg, record.plateau_deg
    # One trial: each landmark in the legend with its value; several: the key is written once
    # (pendulum_figure) and each line's R1 and R2n are in its legend entry.
    labels = (f"plateau (resting angle) {plateau:.1f} deg", f"start angle {start:.1f} deg",
              f"first minimum {peak:.1f} deg at +{record.time_to_first_peak_s:.2f} s") if full else (None,) * 3
    ax.axhline(plateau, color=colour, ls="--", lw=0.9, label=labels[0])
    ax.plot([release], [start], "o", color=colour, ms=6, mfc="white", label=labels[1])
    ax.plot([first], [peak], "v" if peak > start else "^", color=colour, ms=7, label=labels[2])
    if not full:
        return
    ax.axvline(release, color=LANDMARK_COLOUR, ls=":", lw=1.0)
    ax.annotate(f"release {release:.2f} s", (release, 0.5), xycoords=("data", "axes fraction"), xytext=(-2, 0),
                textcoords="offset points", ha="right", va="center", rotation=90, fontsize=7,
                color=LANDMARK_COLOUR)
    # The R1 construction: the first swing's excursion and the plateau amplitude, both from the start angle.
    ax.axhline(start, color=LANDMARK_COLOUR, ls=":", lw=0.8)
    arrow = {"arrowstyle": "<->", "color": LANDMARK_COLOUR, "lw": 1.2, "shrinkA": 0, "shrinkB": 0}
    ax.annotate("", xy=(first, peak), xytext=(first, start), arrowprops=arrow)
    ax.annotate(f"first-swing excursion\nF1 = {record.first_swing_excursion_deg:.1f} deg", (first, (start + peak) / 2),
                xytext=(5, 0), textcoords="offset points", fontsize=7, va="center", color=LANDMARK_COLOUR)
    later = first + 1.5 * max(record.time_to_first_peak_s, 0.3)
    ax.annotate("", xy=(later, plateau), xytext=(later, start), arrowprops=arrow)
    ax.annotate(f"plateau amplitude\nA0 = {record.plateau_amplitude_deg:.1f} deg", (later, (start + plateau) / 2),
                xytext=(5, 0), textcoords="offset points", fontsize=7, va="center", color=LANDMARK_COLOUR)
    ax.annotate(f"R1 = F1 / A0 = {record.r1:.2f}\nR2n = R1 / 1.6 = {record.r2n:.2f}", (0.98, 0.5),
                xycoords="axes fraction", ha="right", va="center", fontsize=8, color="black",
                bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})


def pendulum_figure(trials: Sequence[Trial], labels: Sequence[str], title: str = "Pendulum test", *,
                    warnings: Sequence[str] | None = None, records: Sequence | None = None,
                    axes=None, landmarks: bool = True, emg: bool | None = None, full_trace: bool = False):
    """Knee angle (flexion positive, deg) against time, one line per Trial, with its landmarks; EMG
    below when a Trial has any.

    Parameters
    ----------
    trials, labels : the pendulum recordings (``angle`` in rad) and their legend names.
    title : the figure's title.
    warnings : messages printed in red above the plot (failed quality gates).
    records : measure records; their ``warnings`` are printed too, and
        :class:`~myoreflex.measures.pendulum.PendulumMeasures` (one per trial, in order) give the
        landmarks. Without them each trial is measured here (``lenient=True``) and its landmarks
        drawn only if every gate passed.
    axes : Axes to draw into instead of a new figure: one per panel, the angle and (when ``emg``)
        the EMG.
    landmarks : mark the release, the start angle, the first minimum, the plateau and (one trial)
        the R1 construction: the first-swing excursion F1 and the plateau amplitude A0 as arrows;
        R1 and R2n in the legend.
    emg : draw the EMG panel; None (default): when a trial has an ``emg_<muscle>`` channel.
    full_trace : False (default): the time axis shows the swing, from :data:`RELEASE_LEAD_S` before
        the release to :data:`SETTLED_MARGIN_S` after the leg settles (:func:`swing_view`; the
        simulated stroke knee, severity 0.7, settles 3.8 s into its 20 s), and the x-label says what
        was recorded beyond it; the whole trace when a trial has no swing to frame or the view
        would hide less than :data:`SETTLED_MARGIN_S` of it. True: the whole recording.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure, or the one holding ``axes``.

    Examples
    --------
    >>> metrics = pendulum.measure(trial, lenient=True)                                    # doctest: +SKIP
    >>> save_figure(pendulum_figure([trial], ["cut.csv"], records=[metrics]), "cut.png")  # doctest: +SKIP
    PosixPath('cut.png')
    """
    if emg is None:
        emg = any(trial.emg_names() for trial in trials)
    names = ["angle", "emg"] if emg else ["angle"]
    fig, panels, own = _panels(names, axes, (8, 6) if emg else (8, 4.2), "angle, EMG",
                               height_ratios=[2, 1] if emg else None)
    top = panels["angle"]
    colours = _colours(len(trials))
    found, notes = _pendulum_records(trials, records, landmarks)
    units = set()
    for trial, label, colour, record in zip(trials, labels, colours, found):
        angle, unit = _angle_deg(trial)
        units.add(unit)
        name = label if record is None else f"{label}: R1 {record.r1:.2f}, R2n {record.r2n:.2f}"
        top.plot(trial.time, angle, color=colour, lw=1.3, label=name)
        if record is not None:
            _pendulum_landmarks(top, record, colour, full=len(trials) == 1)
    if len(trials) > 1 and any(r is not None for r in found):
        top.text(0.99, 0.03, "o start angle   \u25bc first minimum   - - plateau (resting angle)",
                 transform=top.transAxes, ha="right", va="bottom", fontsize=7, color=LANDMARK_COLOUR)
    top.invert_yaxis()
    top.set_ylabel(f"knee flexion ({'/'.join(sorted(units))}, down = flexion)")
    top.set_title(title)
    top.legend(fontsize=7, loc="upper right")
    for index, note in enumerate(notes):
        top.text(0.01, 0.02 + 0.05 * index, note, transform=top.transAxes, fontsize=7, color=NOTE_COLOUR)
    if emg:
        _emg_axis(panels["emg"], trials, labels, colours)
    view = _time_view(top, trials, found, full_trace)
    bottom = panels["emg"] if emg else top
    if emg and view:
        panels["emg"].set_xlim(top.get_xlim())  # also when the panels are the user's, not shared
    bottom.set_xlabel(f"time (s); {view}" if view else "time (s)")
    _finish(fig, own, _warnings_of(warnings, records))
    return fig


# ------------------------------------------------------------------------------------------------
# Stretches


def _dsrt_of(trial: Trial, records, method: str):
    """The stretch's :class:`~myoreflex.measures.threshold.DsrtMeasures`: given, else measured (None
    when the trial has no EMG or no stretch to measure)."""
    from myoreflex.measures import threshold

    for record in records or ():
        if isinstance(record, threshold.DsrtMeasures) and record.source == trial.source:
            return record
    if not trial.emg_names() or "angle" not in trial:
        return None
    try:
        return threshold.dsrt(trial, method=method)
    except (MyoreflexError, ValueError):
        return None


def stretch_figure(trials: Sequence[Trial], labels: Sequence[str], title: str = "Motorized stretch", *,
                   warnings: Sequence[str] | None = None, records: Sequence | None = None,
                   axes=None, landmarks: bool = True, onset_method: str = "hodges_bui"):
    """Torque, angle and EMG against time, and torque against angle, one line per Trial, with each
    stretch's EMG onset and DSRT.

    Panels (those the trials have data for, in this order): ``torque`` (N m), ``angle``, ``emg``
    (in the channels' unit) and ``loop`` (torque against angle).

    Parameters
    ----------
    trials, labels : the stretches and their legend names.
    warnings, records : as :func:`pendulum_figure`. A
        :class:`~myoreflex.measures.decomposition.DecompositionMeasures` in ``records`` marks its
        time points P0 (start), P1 (at speed) and P2 (end of the constant velocity) of the fast
        stretch; a :class:`~myoreflex.measures.threshold.DsrtMeasures` of a trial (same source) is
        used for its onset.
    axes : Axes to draw into: one per panel drawn, in the order above.
    landmarks : mark each stretch's EMG onset of the stretched muscle (first EMG channel, method
        named) on the EMG panel and its DSRT (the angle at the onset, Levin & Feldman 1994) on the
        angle and loop panels (:func:`myoreflex.measures.threshold.dsrt`).
    onset_method : the onset method of the DSRT when measured here (as :func:`stretch.measure`).

    Examples
    --------
    >>> fig = stretch_figure([slow, fast], ["5 deg/s", "236 deg/s"], records=[decomposition])  # doctest: +SKIP
    """
    has_torque = any("torque" in t for t in trials)
    has_angle = any("angle" in t for t in trials)
    has_emg = any(t.emg_names() for t in trials)
    names = [name for name, present in (("torque", has_torque), ("angle", has_angle), ("emg", has_emg),
                                        ("loop", has_torque and has_angle)) if present]
    if not names:
        raise ParameterError(describe("trials", "an angle, torque or emg_<muscle> channel to draw", "none"))
    ncols = 2 if len(names) > 1 else 1
    fig, panels, own = _panels(names, axes, (11, 3 * math.ceil(len(names) / ncols)), ", ".join(names), ncols=ncols)
    colours = _colours(len(trials))
    for index, (trial, label, colour) in enumerate(zip(trials, labels, colours)):
        angle, angle_unit = _angle_deg(trial) if "angle" in trial else (None, "")
        if "torque" in trial and "torque" in panels:
            panels["torque"].plot(trial.time, trial["torque"], color=colour, label=label)
            panels["torque"].set_ylabel(f"resisting torque ({trial.unit('torque')})")
        if angle is not None:
            panels["angle"].plot(trial.time, angle, color=colour, label=label)
            panels["angle"].set_ylabel(f"joint angle ({angle_unit})")
            if "torque" in trial:
                panels["loop"].plot(angle, trial["torque"], color=colour, label=label)
                panels["loop"].set_xlabel(f"joint angle ({angle_unit})")
                panels["loop"].set_ylabel(f"resisting torque ({trial.unit('torque')})")
        reflex = _dsrt_of(trial, records, onset_method) if landmarks and has_emg else None
        if reflex is not None:
            _onset_landmarks(panels, trial, reflex, colour, row=len(trials) - 1 - index)
    panels[names[0]].set_title(title)
    panels[names[0]].legend(fontsize=7)
    for name in ("torque", "angle"):
        if name in panels:
            panels[name].set_xlabel("time (s)")
    if has_emg:
        _emg_axis(panels["emg"], trials, labels, colours)
    if landmarks:
        from myoreflex.measures.decomposition import DecompositionMeasures

        for record in records or ():
            if isinstance(record, DecompositionMeasures) and "torque" in panels:
                _phase_lines(panels["torque"], record)
    _finish(fig, own, _warnings_of(warnings, records))
    return fig


def _onset_landmarks(panels, trial: Trial, reflex, colour: str, row: int = 0) -> None:
    """The EMG onset (method named) and the DSRT of one stretch, or a note that it has none; ``row``
    staggers the labels of several stretches."""
    if reflex.onset_s is None:
        if "emg" in panels:
            _note(panels["emg"], f"{trial.source}: no EMG onset in emg_{reflex.muscle} ({reflex.method})")
        return
    onset = reflex.onset_s
    if "emg" in panels:
        panels["emg"].axvline(onset, color=colour, ls="-.", lw=1.0,
                              label=f"onset emg_{reflex.muscle} {onset:.3f} s ({reflex.method})")
    angle, _ = _angle_deg(trial)
    at = float(np.interp(onset, trial.time, angle))
    what = "DSRT" if reflex.dsrt_deg is not None else "onset after the movement"
    if "angle" in panels:
        panels["angle"].plot([onset], [at], "D", color=colour, mfc="white", ms=6)
        panels["angle"].annotate(f"{what} {at:.1f}", (onset, at), xytext=(-6, 4 + 9 * row),
                                 textcoords="offset points", ha="right", fontsize=7, color=colour)
    if "loop" in panels and "torque" in trial:
        torque = float(np.interp(onset, trial.time, trial["torque"]))
        panels["loop"].plot([at], [torque], "D", color=colour, mfc="white", ms=6)
        panels["loop"].annotate(f"{what} {at:.1f}", (at, torque), xytext=(-4, 6 + 9 * row), textcoords="offset points",
                                ha="right", fontsize=7, color=colour)


def _phase_lines(ax, record) -> None:
    """The decomposition's time points on the fast stretch: P0 start, P1 at speed, P2 end of plateau."""
    points = (("P0 start", record.p0_s), ("P1 at speed", record.p1_s), ("P2 end of plateau", record.p2_s))
    for row, (name, time) in enumerate(points):
        ax.axvline(time, color=LANDMARK_COLOUR, ls=":", lw=0.9)
        ax.annotate(name, (time, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10 - 9 * row),
                    textcoords="offset points", fontsize=7, color=LANDMARK_COLOUR)
    _note(ax, f"P0-P2: decomposition time points of the {record.fast_velocity_deg_s:.0f} deg/s stretch")


def emg_figure(trial: Trial, record=None, title: str | None = None, *, method: str | None = None,
               muscles: Sequence[str] | None = None, axes=None, span_s: float | None = 1.0, **method_params):
    """Each muscle's EMG in its unit with the rest (baseline) and search windows and its onset.

    Parameters
    ----------
    trial : one stretch with ``emg_<muscle>`` channels and an angle or angular velocity.
    record : an :class:`~myoreflex.measures.emg.EmgMeasures` of ``trial``; None: measured here
        (:func:`myoreflex.measures.emg.measure` with ``method``, default its default, and
        ``method_params``).
    title : default names the trial's source and the method.
    muscles : which muscles (default those of ``record``, or every EMG channel).
    axes : Axes to draw into: the angle (when the trial has one), then one per muscle.
    span_s : seconds shown before and after the searched window (the rest of the baseline is cut
        off the view); None: the whole trial.

    Examples
    --------
    >>> fig = emg_figure(trial, method="hodges_bui")  # doctest: +SKIP
    """
    from myoreflex.measures import emg as emg_measures

    if record is None:
        options = {"method": method} if method else {}
        record = emg_measures.measure(trial, muscles=list(muscles) if muscles else None, **options, **method_params)
    chosen = list(muscles or record.onset_s)
    names = (["angle"] if "angle" in trial else []) + [f"emg_{m}" for m in chosen]
    fig, panels, own = _panels(names, axes, (8, 1.2 + 1.6 * len(names)), ", ".join(names))
    if "angle" in panels:
        angle, unit = _angle_deg(trial)
        panels["angle"].plot(trial.time, angle, color="C0")
        panels["angle"].set_ylabel(f"angle ({unit})")
    for index, (name, ax) in enumerate(panels.items()):
        first = index == 0
        ax.axvspan(*record.baseline_s, color="C2", alpha=0.12, lw=0, label="baseline (rest)" if first else None)
        ax.axvspan(*record.search_s, color="C1", alpha=0.10, lw=0, label="searched" if first else None)
        if span_s is not None:
            ax.set_xlim(max(trial.time[0], record.search_s[0] - span_s), min(trial.time[-1], record.search_s[1] + span_s))
        if name == "angle":
            ax.legend(fontsize=7, loc="upper left")
            continue
        muscle = name[4:]
        ax.plot(trial.time, trial[name], color="0.35", lw=0.6, label=muscle)
        ax.set_ylabel(emg_unit_label([trial.unit(name)]), fontsize=8)
        onset = record.onset_s.get(muscle)
        if onset is None:
            _note(ax, f"no onset ({record.method})")
        else:
            censored = " (already active)" if record.left_censored.get(muscle) else ""
            ax.axvline(onset, color=WARNING_COLOUR, lw=1.2, label=f"onset {onset:.3f} s ({record.method}){censored}")
            if "angle" in panels:
                panels["angle"].axvline(onset, color=WARNING_COLOUR, lw=0.8, ls="--")
        ax.legend(fontsize=7, loc="upper left")
    last = panels[names[-1]]
    last.set_xlabel("time (s)")
    heading = title or f"EMG onsets: {trial.source}, method `{record.method}` ({record.reference})"
    panels[names[0]].set_title(textwrap.fill(heading, 100), fontsize=9)
    _finish(fig, own, [])
    return fig


# ------------------------------------------------------------------------------------------------
# Threshold and decomposition


def _line_band(result, velocity: np.ndarray):
    """The fitted DSRT line at ``velocity`` and the half-width of its confidence interval (None with
    2 points): ``t s sqrt(1/n + (v - vbar)^2 / Sxx)``, which at v = 0 is the TSRT's interval."""
    from scipy import stats

    x, y = np.asarray(result.velocities_deg_s, float), np.asarray(result.dsrt_deg, float)
    line = result.tsrt_deg - result.mu_s * velocity
    if x.size <= 2:
        return line, None
    residual = y - (result.tsrt_deg - result.mu_s * x)
    s = math.sqrt(float(np.sum(residual**2)) / (x.size - 2))
    t_crit = float(stats.t.ppf(0.5 + result.confidence / 2, x.size - 2))
    sxx = float(np.sum((x - x.mean()) ** 2))
    return line, t_crit * s * np.sqrt(1.0 / x.size + (velocity - x.mean()) ** 2 / sxx)


def tsrt_figure(result, title: str = "Tonic stretch reflex threshold", *, ax=None):
    """The TSRT regression: each stretch's DSRT against its velocity, the fitted line, its confidence
    band and the threshold extrapolated to zero velocity.

    ``result`` is a :class:`~myoreflex.measures.threshold.ThresholdMeasures`. Stretches without a
    DSRT (no onset, or an onset after the movement) are marked at their velocity above the tested
    range, which is shaded. A result that is not estimable shows its points and its note.

    Examples
    --------
    >>> from myoreflex.measures.threshold import tsrt
    >>> r = tsrt(velocities_deg_s=[30, 60, 90, 120], dsrt_deg=[96, 88, 84, 76], joint_range_deg=(70, 160))
    >>> fig = tsrt_figure(r)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("TSRT")]
    ['TSRT 102.0 deg\\n95 % CI 95.3 to 108.7']
    """
    fig, panels, own = _panels(["tsrt"], ax, (7, 4.5), "the regression")
    axis = panels["tsrt"]
    x = np.asarray(result.velocities_deg_s, float)
    if result.range_deg is not None:
        axis.axhspan(*result.range_deg, color="0.92", lw=0, label=f"tested range {result.range_deg[0]:.0f}-"
                                                                    f"{result.range_deg[1]:.0f} deg")
    axis.plot(x, result.dsrt_deg, "o", color="C0", label=f"DSRT of each stretch (n = {result.n_stretches})")
    if result.excluded:
        top = result.range_deg[1] if result.range_deg is not None else (max(result.dsrt_deg, default=0.0))
        axis.plot([v for _, v, _ in result.excluded], [top] * len(result.excluded), "x", color="0.4", ms=8,
                  label=f"no DSRT ({len(result.excluded)}: no onset, or after the movement)")
    if result.estimable:
        fastest = float(max(x.max(), *(v for _, v, _ in result.excluded))) if result.excluded else float(x.max())
        velocity = np.linspace(0.0, 1.05 * fastest, 200)
        line, half = _line_band(result, velocity)
        fit = f"DSRT = {result.tsrt_deg:.1f} - {result.mu_s:.3f} s x velocity (R^2 {result.r_squared:.2f})"
        axis.plot(velocity, line, color="C3", lw=1.4, label=fit)
        if half is not None:
            axis.fill_between(velocity, line - half, line + half, color="C3", alpha=0.15, lw=0,
                              label=f"{100 * result.confidence:.0f} % interval of the line")
        axis.plot(velocity[x.min() > velocity], line[x.min() > velocity], color="C3", lw=1.4, ls="--")
        ci = result.tsrt_ci_deg
        error = None if ci is None else [[result.tsrt_deg - ci[0]], [ci[1] - result.tsrt_deg]]
        axis.errorbar([0.0], [result.tsrt_deg], yerr=error, fmt="*", color="C3", ms=12, capsize=4,
                      label="TSRT (extrapolated to 0 deg/s)")
        text = f"TSRT {result.tsrt_deg:.1f} deg" + (
            f"\n{100 * result.confidence:.0f} % CI {ci[0]:.1f} to {ci[1]:.1f}" if ci is not None else
            "\nno interval (2 points)")
        axis.annotate(text, (0.0, result.tsrt_deg), xytext=(10, 8), textcoords="offset points", fontsize=8,
                      color="C3", bbox={"boxstyle": "round", "fc": "white", "ec": "C3"})
        axis.set_xlim(left=-0.05 * fastest)
    _note(axis, textwrap.fill(result.note, 110))
    axis.set_xlabel("stretch velocity at the onset (deg/s)")
    axis.set_ylabel("angle at EMG onset, DSRT (deg)")
    axis.set_title(f"{title} ({result.method}; Levin & Feldman 1994)", fontsize=9)
    axis.legend(fontsize=7, loc="upper right")
    _finish(fig, own, _warnings_of(result.warnings))
    return fig


COMPONENTS = (("elastic", "EC"), ("viscous", "VC"), ("neural", "NC"))
"""The decomposition components with a healthy cut-off, in NeuroFlexor order, and their symbols."""


def decomposition_figure(result, title: str = "Stretch decomposition", *, ax=None):
    """The elastic, viscous and neural components as bars against the healthy values and cut-offs.

    ``result`` is a :class:`~myoreflex.measures.decomposition.DecompositionMeasures`. With a lever
    arm the bars are forces at the hand (N) beside the healthy mean +- SD of Pennati et al. 2016 and
    their cut-off (mean + 3 SD, a red tick): a bar above its cut-off is drawn red. Without one the
    bars are torques (N m) and the note says why no cut-off applies. Over repeated fast stretches
    the neural bar carries its 95 % interval.

    Examples
    --------
    >>> fig = decomposition_figure(decompose(slow, fast, lever_arm_m=0.095))  # doctest: +SKIP
    """
    from myoreflex.measures.decomposition import PENNATI_HEALTHY_N

    fig, panels, own = _panels(["components"], ax, (6.5, 4.2), "the components")
    axis = panels["components"]
    at_hand = result.lever_arm_m is not None
    unit = "N" if at_hand else "N m"
    scale = 1.0 / result.lever_arm_m if at_hand else 1.0
    positions = np.arange(len(COMPONENTS))
    for position, (name, symbol) in zip(positions, COMPONENTS):
        value = getattr(result, f"{name}_nm") * scale
        flagged = bool(result.flags.get(name))
        axis.bar(position - 0.17, value, width=0.34, color=WARNING_COLOUR if flagged else "C0",
                 label="this stretch (red: above the cut-off)" if position == 0 else None)
        axis.annotate(f"{value:.2f}", (position - 0.17, value), xytext=(0, 2 if value >= 0 else -9),
                      textcoords="offset points", ha="center", fontsize=7)
        if name == "neural" and result.neural_ci95_nm is not None:
            low, high = (scale * v for v in result.neural_ci95_nm)
            axis.errorbar([position - 0.17], [value], yerr=[[value - low], [high - value]], color="black",
                          capsize=3, lw=1, label=f"95 % interval over {result.n_stretches} fast stretches")
        if at_hand and name in result.cutoffs_n:
            mean, sd = PENNATI_HEALTHY_N[name]
            cut = result.cutoffs_n[name]
            axis.errorbar([position + 0.17], [mean], yerr=[sd], fmt="s", color="0.45", capsize=3,
                          label="healthy mean +- SD" if position == 0 else None)
            axis.hlines(cut, position - 0.4, position + 0.4, color=WARNING_COLOUR, lw=2,
                        label="cut-off = healthy mean + 3 SD" if position == 0 else None)
            axis.annotate(f"cut-off {symbol} {cut:g} N", (position + 0.4, cut), xytext=(-2, 3),
                          textcoords="offset points", ha="right", fontsize=7, color=WARNING_COLOUR, zorder=5,
                          bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    axis.axhline(0.0, color="black", lw=0.6)
    axis.set_xticks(positions, [f"{name} ({symbol})" for name, symbol in COMPONENTS])
    axis.set_ylabel(f"component ({unit}{f' at {result.lever_arm_m:g} m' if at_hand else ''})")
    axis.set_title(f"{title}: {result.slow_velocity_deg_s:.0f} vs {result.fast_velocity_deg_s:.0f} deg/s "
                   f"({result.method})", fontsize=9)
    source = result.cutoff_source if at_hand else result.flags_note
    _note(axis, textwrap.fill(f"IC {result.inertial_nm * scale:.2f} {unit} (no cut-off). {source}", 95))
    low, high = axis.get_ylim()
    axis.set_ylim(low - 0.18 * (high - low), high + 0.3 * (high - low))  # room for the note and the legend
    axis.legend(fontsize=7, loc="upper left", ncols=2)
    _finish(fig, own, _warnings_of(result.warnings))
    return fig


# ------------------------------------------------------------------------------------------------
# Fits


def fit_figure(result, title: str = "Model fit", *, axes=None):
    """Every fitted channel of a :class:`~myoreflex.fit.FitResult` against time: data and fitted model.

    One row per channel (angle, torque, EMG), one column per recording (stretch), from
    ``result.traces`` (a recording without a channel leaves its panel out); the title gives the
    RMSE (with its quality grade) and whether the fit converged; ``result.warnings`` (failed quality gates of a lenient fit, identifiability) are
    printed in red above it. ``axes``: Axes to draw into, one per channel and recording (rows of
    channels, row by row).

    Examples
    --------
    >>> result = fit_stretch(trials, default_params("elbow"))            # doctest: +SKIP
    >>> save_figure(fit_figure(result, "elbow stretch fit"), "fit.png")  # doctest: +SKIP
    PosixPath('fit.png')
    """
    traces = list(result.traces)
    if not traces:
        raise ParameterError(describe("fit result", "fitted traces to draw", "none"))
    channels = list(dict.fromkeys(trace.channel for trace in traces))
    labels = list(dict.fromkeys(trace.label for trace in traces))
    cells = [f"{c}|{lab}" for c in channels for lab in labels]
    if axes is not None:
        fig, panels, own = _root_figure(_given_axes(axes, len(cells), "channels x recordings")[0]), \
            dict(zip(cells, _given_axes(axes, len(cells), "channels x recordings"))), False
    else:
        fig = _new_figure((4.2 * len(labels) + 1, 3.0 * len(channels)))
        grid = fig.add_gridspec(len(channels), len(labels))
        panels, own = {}, True
        for row, channel in enumerate(channels):
            for column, label in enumerate(labels):
                share = panels[f"{channels[0]}|{label}"] if row else None
                panels[f"{channel}|{label}"] = fig.add_subplot(grid[row, column], sharex=share)
    rows = {label: [channels.index(t.channel) for t in traces if t.label == label] for label in labels}
    for trace in traces:
        ax = panels[f"{trace.channel}|{trace.label}"]
        ax.plot(trace.time, trace.observed, color="0.55", lw=1.0, label="recorded")
        ax.plot(trace.time, trace.fitted, color="C3", lw=1.4, label="fitted model")
        ax.set_ylabel(f"{trace.channel} ({trace.unit})")
        if channels.index(trace.channel) == min(rows[trace.label]):
            ax.set_title(trace.label, fontsize=8)
        if channels.index(trace.channel) == max(rows[trace.label]):
            ax.set_xlabel("time (s)")
    traced = {f"{t.channel}|{t.label}" for t in traces}
    drawn = [cell for cell in cells if cell in traced]
    for cell in set(cells) - set(drawn):  # a recording without that channel (a joint fit's pendulum has no torque)
        panels[cell].set_visible(False)
    panels[drawn[0]].legend(fontsize=7)
    quality = getattr(result, "quality", None)
    errors = [f"RMSE {result.rmse_deg:.2f} deg" + (f" ({quality})" if quality else "") if result.rmse_deg is not None
              else "",
              f"RMSE {result.rmse_nm:.2f} N m" if getattr(result, "rmse_nm", None) is not None else ""]
    summary = ", ".join(e for e in errors if e)
    heading = f"{title}: {summary}, converged {result.converged}"
    if own:
        fig.suptitle(heading, fontsize=10)
    else:
        panels[drawn[0]].set_title(heading, fontsize=8)
    _finish(fig, own, _warnings_of(_folded_assumptions(result)))
    return fig


def _folded_assumptions(result) -> list[str]:
    """``result.warnings`` with its assumption messages (``assumption_warnings``, one per parameter and
    a few lines each) folded into one naming the parameters and the assumed values that move them: the
    figure's banner stays readable, the text output and the JSON keep every message."""
    assumed = list(getattr(result, "assumption_warnings", ()) or ())
    kept = [message for message in getattr(result, "warnings", ()) if message not in assumed]
    if assumed:
        # each message reads "`name` depends on the assumed `held` (...), `held` (...): ..."
        names = ", ".join(message.split("`")[1] for message in assumed)
        moving = {held for message in assumed for held in message.split("`")[3::2]}
        several = len(assumed) > 1
        held = ", ".join(h for h in getattr(result, "assumptions", None) or () if h in moving) or "values"
        kept.append(f"{len(assumed)} parameter{'s' if several else ''} depend{'' if several else 's'} on the "
                    f"assumed {held} more than on the noise: {names} (ci95_with_assumptions)")
    return kept
