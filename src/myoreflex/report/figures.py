"""Figures a clinician would read: angle or torque and EMG against time, and torque against angle.

A result measured with failed quality gates (``lenient=True``, :mod:`myoreflex.measures.gates`) is
never drawn as a clean one: :func:`pendulum_figure` and :func:`stretch_figure` take its
``warnings`` and :func:`fit_figure` reads the fit's, and print them in red above the plot.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from myoreflex.errors import require_extra
from myoreflex.trial import Trial
from myoreflex.units import DEG

DISCLAIMER = "myoreflex: research and teaching tool, not a medical device"
WARNING_COLOUR = "#b00020"
WARNING_WIDTH = 150  # characters per line of the warning banner


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
    lines = [f"NOT A CLEAN RESULT: {count} (failed quality gates are measured only with lenient=True / --lenient)"]
    for message in messages:
        lines += textwrap.wrap(message, WARNING_WIDTH, initial_indent="- ", subsequent_indent="  ")
    fig.text(0.01, 1.0, "\n".join(lines), ha="left", va="bottom", fontsize=7, color=WARNING_COLOUR,
             family="monospace")


def _pyplot():
    matplotlib = require_extra("matplotlib", "plot")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path: str | Path) -> Path:
    """Write a figure atomically (temporary name in the same folder, then rename)."""
    from myoreflex.io.results import atomic_path

    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120, bbox_inches="tight", format=Path(path).suffix.lstrip(".") or "png")
    return Path(path)


def _emg_axis(ax, trials, labels):
    lowest = highest = 0.0
    for trial, label in zip(trials, labels):
        for muscle in trial.emg_names():
            values = trial[f"emg_{muscle}"]
            ax.plot(trial.time, values, label=f"{label}: {muscle}")
            lowest, highest = min(lowest, float(np.min(values))), max(highest, float(np.max(values)))
    # Zero in view, so that a quiet muscle reads as a flat line at its tone, not as the 1e-10 ripple
    # of a noise-free simulation magnified by an offset axis.
    if highest > lowest:
        ax.set_ylim(1.15 * lowest, 1.15 * highest)
    ax.set_ylabel("EMG (normalised excitation)")
    ax.set_xlabel("time (s)")
    if ax.lines:
        ax.legend(fontsize=7, loc="upper right")
    else:  # a recording without EMG: say so rather than draw an empty scale and legend
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no EMG in the recording", transform=ax.transAxes, ha="center", va="center",
                color="grey")


def pendulum_figure(trials: Sequence[Trial], labels: Sequence[str], title: str = "Pendulum test", *,
                    warnings: Sequence[str] | None = None, records: Sequence | None = None):
    """Knee angle (flexion positive, deg) and EMG against time, one line per Trial.

    ``warnings`` (messages) and the ``warnings`` of ``records`` (measure records, e.g. a lenient
    :func:`myoreflex.measures.pendulum.measure`) are printed in red above the plot.

    Examples
    --------
    >>> metrics = pendulum.measure(trial, lenient=True)                                    # doctest: +SKIP
    >>> save_figure(pendulum_figure([trial], ["cut.csv"], records=[metrics]), "cut.png")  # doctest: +SKIP
    PosixPath('cut.png')
    """
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    for trial, label in zip(trials, labels):
        top.plot(trial.time, trial["angle"] / DEG, label=label)
    top.invert_yaxis()
    top.set_ylabel("knee flexion (deg, down = flexion)")
    top.set_title(title)
    top.legend()
    _emg_axis(bottom, trials, labels)
    fig.text(0.01, 0.005, DISCLAIMER, fontsize=7, color="grey")
    _warning_banner(fig, _warnings_of(warnings, records))
    return fig


def stretch_figure(trials: Sequence[Trial], labels: Sequence[str], title: str = "Motorized stretch", *,
                   warnings: Sequence[str] | None = None, records: Sequence | None = None):
    """Torque and EMG against time, and torque against angle, one line per Trial.

    ``warnings`` and the ``warnings`` of ``records`` (e.g. a lenient decomposition) are printed in
    red above the plot, as in :func:`pendulum_figure`.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 6))
    (torque_ax, angle_ax), (emg_ax, loop_ax) = axes
    for trial, label in zip(trials, labels):
        torque_ax.plot(trial.time, trial["torque"], label=label)
        angle_ax.plot(trial.time, trial["angle"] / DEG, label=label)
        loop_ax.plot(trial["angle"] / DEG, trial["torque"], label=label)
    torque_ax.set_ylabel("resisting torque (N m)")
    torque_ax.set_title(title)
    angle_ax.set_ylabel("joint angle (deg)")
    loop_ax.set_xlabel("joint angle (deg)")
    loop_ax.set_ylabel("resisting torque (N m)")
    torque_ax.legend(fontsize=7)
    _emg_axis(emg_ax, trials, labels)
    fig.text(0.01, 0.005, DISCLAIMER, fontsize=7, color="grey")
    fig.tight_layout()
    _warning_banner(fig, _warnings_of(warnings, records))
    return fig


def fit_figure(result, title: str = "Model fit"):
    """Every fitted channel of a :class:`~myoreflex.fit.FitResult` against time: data and fitted model.

    One row per channel (angle, torque, EMG), one column per recording (stretch), from
    ``result.traces``; the title gives the RMSE (with its quality grade) and whether the fit
    converged; ``result.warnings`` (failed quality gates of a lenient fit, identifiability) are
    printed in red above it.

    Examples
    --------
    >>> result = fit_stretch(trials, default_params("elbow"))            # doctest: +SKIP
    >>> save_figure(fit_figure(result, "elbow stretch fit"), "fit.png")  # doctest: +SKIP
    PosixPath('fit.png')
    """
    plt = _pyplot()
    traces = list(result.traces)
    if not traces:
        from myoreflex.errors import ParameterError, describe

        raise ParameterError(describe("fit result", "fitted traces to draw", "none"))
    channels = list(dict.fromkeys(trace.channel for trace in traces))
    labels = list(dict.fromkeys(trace.label for trace in traces))
    fig, axes = plt.subplots(len(channels), len(labels), figsize=(4.2 * len(labels) + 1, 3.0 * len(channels)),
                             squeeze=False, sharex="col")
    for trace in traces:
        ax = axes[channels.index(trace.channel)][labels.index(trace.label)]
        ax.plot(trace.time, trace.observed, color="0.55", lw=1.0, label="recorded")
        ax.plot(trace.time, trace.fitted, color="C3", lw=1.4, label="fitted model")
        ax.set_ylabel(f"{trace.channel} ({trace.unit})")
        if channels.index(trace.channel) == 0:
            ax.set_title(trace.label, fontsize=8)
        if channels.index(trace.channel) == len(channels) - 1:
            ax.set_xlabel("time (s)")
    axes[0][0].legend(fontsize=7)
    quality = getattr(result, "quality", None)
    errors = [f"RMSE {result.rmse_deg:.2f} deg" + (f" ({quality})" if quality else "") if result.rmse_deg is not None
              else "",
              f"RMSE {result.rmse_nm:.2f} N m" if getattr(result, "rmse_nm", None) is not None else ""]
    summary = ", ".join(e for e in errors if e)
    fig.suptitle(f"{title}: {summary}, converged {result.converged}", fontsize=10)
    fig.text(0.01, 0.005, DISCLAIMER, fontsize=7, color="grey")
    fig.tight_layout()
    _warning_banner(fig, _warnings_of(getattr(result, "warnings", ())))
    return fig
