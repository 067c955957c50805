"""Figures (issue 15): no pyplot state and no backend switch, ``ax=``/``axes=``, only the panels with
data, units from the channels, and the landmarks of each measure drawn.

Synthetic trials with known answers (a damped cosine swing, ramps with a step of EMG), so that each
test runs in well under a second and can fail on one thing: the backend test switches to a backend
the old code did not use ("pdf"), the warning test turns every warning into a failure.
"""

import warnings

import numpy as np
import pytest

from myoreflex.errors import ParameterError
from myoreflex.measures import decomposition, emg, pendulum, threshold
from myoreflex.trial import Channel, Trial
from myoreflex.units import DEG

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure

from myoreflex.report import figures


def swing(*, emg_unit=None, duration=10.0):
    """A knee released from 0 towards a 65 deg plateau (damped cosine, 100 Hz); with ``emg_unit``
    a quadriceps EMG channel in that unit."""
    t = np.arange(0.0, duration, 0.01)
    s = np.clip(t - 0.5, 0.0, None)
    omega = 2 * np.pi / 1.05
    q = 65 * DEG * (1 - np.exp(-0.6 * s) * (np.cos(omega * s) + 0.6 / omega * np.sin(omega * s)))
    channels = {"angle": Channel(q, "rad")}
    if emg_unit:
        channels["emg_quadriceps"] = Channel(1e-4 * np.sin(40 * t) * (t > 0.8), emg_unit)
    return Trial(t, channels, {"source": "swing.csv"})


def ramp(velocity, *, reflex_at=None, source=None):
    """0 -> 1 rad at ``velocity`` rad/s (1 kHz), torque 2 q + 0.05 q'; with ``reflex_at`` (rad) a
    flexor EMG (unit 1) stepping to 0.2 past that angle."""
    t = np.arange(0.0, 0.5 + 1.0 / velocity + 0.5, 0.001)
    q = np.clip((t - 0.5) * velocity, 0.0, 1.0)
    w = np.gradient(q, t)
    channels = {"angle": Channel(q, "rad"), "torque": Channel(2 * q + 0.05 * w, "N m")}
    if reflex_at is not None:
        channels["emg_flexors"] = Channel(np.where(q > reflex_at, 0.2, 0.0), "1")
    return Trial(t, channels, {"source": source or f"ramp {velocity} rad/s"})


def texts(*artists):
    """Every text of the figures or Axes given: titles, labels, annotations, legend entries."""
    found = []
    for artist in artists:
        axes = artist.axes if isinstance(artist, Figure) else [artist]
        if isinstance(artist, Figure):
            found += [t.get_text() for t in artist.texts]
        for ax in axes:
            found += [t.get_text() for t in ax.texts]
            found += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
            legend = ax.get_legend()
            if legend is not None:
                found += [t.get_text() for t in legend.get_texts()]
    return "\n".join(found)


def fitted_tsrt():
    return threshold.tsrt(velocities_deg_s=[30, 60, 90, 120], dsrt_deg=[96, 88, 84, 76], joint_range_deg=(70, 160))


def decomposed():
    return decomposition.measure(ramp(0.1), ramp(4.0, reflex_at=0.5), lever_arm_m=0.095)


DRAWINGS = {
    "pendulum": lambda: figures.pendulum_figure([swing()], ["swing"]),
    "stretch": lambda: figures.stretch_figure([ramp(1.0, reflex_at=0.5)], ["1 rad/s"]),
    "emg": lambda: figures.emg_figure(ramp(1.0, reflex_at=0.5), method="hodges_bui"),
    "tsrt": lambda: figures.tsrt_figure(fitted_tsrt()),
    "decomposition": lambda: figures.decomposition_figure(decomposed()),
}


# ------------------------------------------------------------------------------------------------
# The user's matplotlib state


@pytest.mark.parametrize("kind", DRAWINGS)
def test_drawing_leaves_the_backend_and_pyplot_alone(kind, tmp_path):
    import matplotlib.pyplot as plt

    before = matplotlib.get_backend()
    try:
        matplotlib.use("pdf")  # not Agg: a figure that switched to Agg would show here
        open_before = plt.get_fignums()
        figure = DRAWINGS[kind]()
        assert matplotlib.get_backend() == "pdf"
        assert plt.get_fignums() == open_before  # nothing registered with pyplot
        assert isinstance(figure, Figure)
        assert figures.save_figure(figure, tmp_path / f"{kind}.png").stat().st_size > 1000
    finally:
        matplotlib.use(before)


def test_the_fit_figure_leaves_the_backend_alone_too():
    from myoreflex.fit.result import FittedTrace

    class Fitted:  # what fit_figure reads of a FitResult
        traces = (FittedTrace("cut", "angle", "deg", np.arange(3.0), np.zeros(3), np.ones(3)),)
        warnings = ()
        rmse_deg, converged = 1.0, True

    before = matplotlib.get_backend()
    try:
        matplotlib.use("pdf")
        figures.fit_figure(Fitted())
        assert matplotlib.get_backend() == "pdf"
    finally:
        matplotlib.use(before)


def test_the_fit_figure_folds_the_assumption_messages_into_one_line():
    from myoreflex.fit.result import FittedTrace

    assumed = tuple(f"`{name}` depends on the assumed `limb.inertia` (long explanation {name})"
                    for name in ("limb.damping", "limb.stiffness"))

    class Fitted:  # what fit_figure reads of a FitResult
        traces = (FittedTrace("cut", "angle", "deg", np.arange(3.0), np.zeros(3), np.ones(3)),)
        warnings = ("quality gate `plateau_settled` failed", *assumed)
        assumption_warnings = assumed
        assumptions = {"limb.inertia": {}, "body_mass": {}}
        rmse_deg, converged = 1.0, True

    text = " ".join(" ".join(t.get_text().split()) for t in figures.fit_figure(Fitted()).texts)  # unwrapped
    assert "plateau_settled" in text and "2 warnings" in text
    # body_mass is held too, but no message names it: the banner names only the assumptions that move
    assert "2 parameters depend on the assumed limb.inertia more than" in text and "limb.damping, limb.stiffness" in text
    assert "long explanation" not in text


def test_a_joint_fits_figure_shows_only_the_panels_with_data_each_column_titled():
    # fit_pendulum_and_stretch: the pendulum has an angle and no torque, the stretches torque and EMG.
    from myoreflex.fit.result import FittedTrace

    def trace(label, channel, unit):
        return FittedTrace(label, channel, unit, np.arange(3.0), np.zeros(3), np.ones(3))

    class Fitted:  # what fit_figure reads of a FitResult
        traces = (trace("swing", "angle", "deg"), *(trace(f"{v} deg/s", channel, unit) for v in (60, 180)
                                                     for channel, unit in (("torque", "N m"), ("emg_quadriceps", "1"))))
        warnings = ()
        rmse_deg, rmse_nm, converged = 1.0, 0.5, True

    shown = [ax for ax in figures.fit_figure(Fitted()).axes if ax.get_visible()]
    assert len(shown) == 5  # of the 3 x 3 grid
    assert sorted(ax.get_title() for ax in shown if ax.get_title()) == ["180 deg/s", "60 deg/s", "swing"]
    assert sum(ax.get_xlabel() == "time (s)" for ax in shown) == 3  # the lowest panel of each column


# ------------------------------------------------------------------------------------------------
# ax= / axes=


def test_each_figure_draws_into_the_axes_it_is_given():
    mine = Figure(figsize=(12, 8))
    grid = mine.subplots(3, 2)
    assert figures.tsrt_figure(fitted_tsrt(), ax=grid[0, 0]) is mine
    assert figures.decomposition_figure(decomposed(), ax=grid[0, 1]) is mine
    assert figures.pendulum_figure([swing()], ["swing"], axes=[grid[1, 0]]) is mine
    assert figures.stretch_figure([ramp(1.0)], ["ramp"], axes=[grid[1, 1], grid[2, 0], grid[2, 1]]) is mine
    assert len(mine.axes) == 6  # nothing added
    assert all(ax.lines or ax.patches or ax.collections for ax in mine.axes)
    assert "TSRT" in texts(grid[0, 0]) and "cut-off" in texts(grid[0, 1])
    assert grid[1, 0].get_ylabel().startswith("knee flexion")
    assert grid[2, 1].get_xlabel() == "joint angle (deg)"  # the torque-angle loop, the last panel


def test_a_pendulum_figure_into_a_subfigure_returns_the_root_figure():
    mine = Figure()
    sub = mine.subfigures(1, 2)[0]
    ax = sub.subplots()
    assert figures.pendulum_figure([swing()], ["swing"], axes=ax) is mine


def test_the_wrong_number_of_axes_is_refused_with_the_panels_named():
    mine = Figure()
    one = mine.subplots()
    with pytest.raises(ParameterError, match=r"axes.*2 matplotlib Axes \(angle, EMG\)"):
        figures.pendulum_figure([swing(emg_unit="V")], ["swing"], axes=[one])
    assert figures.pendulum_figure([swing(emg_unit="V")], ["swing"], axes=[one], emg=False) is mine


# ------------------------------------------------------------------------------------------------
# Only the panels with data; units from the channels


def test_a_kinematics_only_pendulum_gets_no_emg_panel_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning (matplotlib's empty legend included) fails
        figure = figures.pendulum_figure([swing()], ["swing"])
    assert len(figure.axes) == 1
    assert "EMG" not in texts(figure)
    with_emg = figures.pendulum_figure([swing(emg_unit="V")], ["swing"])
    assert len(with_emg.axes) == 2


def test_a_stretch_without_emg_or_torque_draws_only_what_it_has():
    angle_only = Trial(np.arange(0.0, 2.0, 0.01), {"angle": Channel(np.linspace(0, 1, 200), "rad")})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = figures.stretch_figure([angle_only], ["angle"])
    assert [ax.get_ylabel() for ax in figure.axes] == ["joint angle (deg)"]
    no_emg = figures.stretch_figure([ramp(1.0)], ["ramp"])
    assert len(no_emg.axes) == 3 and "EMG" not in texts(no_emg)


@pytest.mark.parametrize("unit,label", [("V", "EMG (V)"), ("1", "EMG (normalised excitation)")])
def test_the_emg_axis_carries_the_channel_unit(unit, label):
    figure = figures.pendulum_figure([swing(emg_unit=unit)], ["swing"])
    assert figure.axes[1].get_ylabel() == label
    trial = ramp(1.0, reflex_at=0.5)
    trial = trial.with_channels(emg_flexors=Channel(trial["emg_flexors"], unit))
    stretch = figures.stretch_figure([trial], ["ramp"], landmarks=False)
    assert label in [ax.get_ylabel() for ax in stretch.axes]


# ------------------------------------------------------------------------------------------------
# Landmarks


def _lines_at(ax, y=None, x=None):
    """Horizontal lines of ``ax`` at height ``y`` / vertical lines at ``x`` (within 1e-6)."""
    found = []
    for line in ax.lines:
        xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
        if y is not None and ys.size == 2 and np.allclose(ys, y, atol=1e-6):
            found.append(line)
        if x is not None and xs.size == 2 and np.allclose(xs, x, atol=1e-6):
            found.append(line)
    return found


def test_the_pendulum_figure_marks_release_plateau_first_minimum_and_the_r1_construction():
    trial = swing()
    m = pendulum.measure(trial)
    ax = figures.pendulum_figure([trial], ["swing"], records=[m]).axes[0]
    assert _lines_at(ax, y=m.plateau_deg), "no line at the plateau angle"
    assert _lines_at(ax, x=m.release_time_s), "no line at the release"
    markers = {(round(float(l.get_xdata()[0]), 6), round(float(l.get_ydata()[0]), 6)) for l in ax.lines
               if len(l.get_xdata()) == 1}
    assert (round(m.release_time_s + m.time_to_first_peak_s, 6), round(m.first_peak_angle_deg, 6)) in markers
    assert (round(m.release_time_s, 6), round(m.start_angle_deg, 6)) in markers
    written = texts(ax)
    assert f"R1 = F1 / A0 = {m.r1:.2f}" in written and f"R2n = R1 / 1.6 = {m.r2n:.2f}" in written
    assert f"F1 = {m.first_swing_excursion_deg:.1f} deg" in written
    assert f"A0 = {m.plateau_amplitude_deg:.1f} deg" in written
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 2  # the first-swing excursion and the plateau amplitude
    # The arrows run from the start angle to the first minimum and to the plateau.
    ends = sorted((a.xyann[1], a.xy[1]) for a in arrows)
    assert ends == sorted([(m.start_angle_deg, m.first_peak_angle_deg), (m.start_angle_deg, m.plateau_deg)])


def test_pendulum_landmarks_are_measured_when_no_record_is_given_and_can_be_turned_off():
    trial = swing()
    m = pendulum.measure(trial)
    assert "R2n" in texts(figures.pendulum_figure([trial], ["swing"]))
    plain = figures.pendulum_figure([trial], ["swing"], landmarks=False).axes[0]
    assert "R1" not in texts(plain) and not _lines_at(plain, y=m.plateau_deg)


def test_a_long_recording_is_shown_from_its_release_until_it_settles_not_to_its_end():
    # 20 s recorded (PendulumTest's default), the swing over in about 9 s: the time axis ends 1 s after
    # the leg last lies more than 0.5 deg from the plateau (half the 1 deg prominence of the smallest
    # swing the measure counts), every landmark and counted swing in view; the x-label says what was
    # recorded. Before, the axis ran to 20 s and the swings filled its left part.
    trial = swing(duration=20.0)
    m = pendulum.measure(trial)
    ax = figures.pendulum_figure([trial], ["swing"], records=[m]).axes[0]
    low, high = ax.get_xlim()
    t, q = trial.time, trial["angle"] / DEG
    away = t[np.abs(q - m.plateau_deg) > 0.5]
    settled = float(away[-1])  # 8.6 s for this swing (65 deg, decay 0.6 /s)
    assert 8.0 < settled < 9.5
    assert high == pytest.approx(settled + 1.0, abs=0.05 * (high - low))
    assert high < 11.0 and low <= m.release_time_s - 0.4
    last_swing = float(t[np.argmax(t > settled) - 1])
    assert low < m.release_time_s < m.release_time_s + m.time_to_first_peak_s < last_swing < high
    assert "recorded 0.0-20.0 s" in ax.get_xlabel() and "full_trace=True" in ax.get_xlabel()
    # The whole recording on request, and whenever there is nothing to cut.
    whole = figures.pendulum_figure([trial], ["swing"], records=[m], full_trace=True).axes[0]
    assert whole.get_xlim()[1] >= t[-1] and whole.get_xlabel() == "time (s)"
    short = figures.pendulum_figure([swing(duration=3.0)], ["cut"]).axes[0]
    assert short.get_xlim()[1] >= 2.99 and short.get_xlabel() == "time (s)"


def test_the_emg_panel_follows_the_swing_view_also_in_the_users_axes():
    trial = swing(emg_unit="V", duration=20.0)
    own = figures.pendulum_figure([trial], ["swing"])
    assert own.axes[1].get_xlim() == own.axes[0].get_xlim() and own.axes[0].get_xlim()[1] < 11.0
    assert "recorded 0.0-20.0 s" in own.axes[1].get_xlabel()  # the note under the lowest panel
    mine = Figure()
    angle, emg_panel = mine.subplots(2, 1)  # not shared: the figure sets both
    figures.pendulum_figure([trial], ["swing"], axes=[angle, emg_panel])
    assert emg_panel.get_xlim() == angle.get_xlim() and angle.get_xlim()[1] < 11.0


def test_the_view_spans_every_trial_of_a_figure():
    short_swing = swing(duration=20.0)
    longer = Trial(short_swing.time + 2.0, dict(short_swing.channels), {"source": "later.csv"})  # released at 2.5 s
    ax = figures.pendulum_figure([short_swing, longer], ["first", "later"]).axes[0]
    low, high = ax.get_xlim()
    assert low < 0.5 and 10.0 < high < 13.0
    assert "the swings" in ax.get_xlabel() and "recorded 0.0-22.0 s" in ax.get_xlabel()


def test_a_recording_failing_a_gate_gets_no_landmarks_unless_its_record_is_passed():
    cut = swing(duration=3.0)  # the leg still swings: plateau_settled fails
    drawn = texts(figures.pendulum_figure([cut], ["cut"]))
    assert "R1 = F1" not in drawn and "landmarks not drawn" in drawn and "NOT A CLEAN" not in drawn
    record = pendulum.measure(cut, lenient=True)
    flagged = texts(figures.pendulum_figure([cut], ["cut"], records=[record]))
    assert "R1 = F1" in flagged and "NOT A CLEAN RESULT" in flagged


def test_the_stretch_figure_marks_the_emg_onset_with_its_method_and_the_dsrt():
    trial = ramp(1.0, reflex_at=0.5)
    reflex = threshold.dsrt(trial)
    figure = figures.stretch_figure([trial], ["ramp"])
    emg_ax = next(ax for ax in figure.axes if ax.get_ylabel().startswith("EMG"))
    assert _lines_at(emg_ax, x=reflex.onset_s), "no line at the EMG onset"
    assert "(hodges_bui)" in texts(emg_ax)
    assert f"DSRT {reflex.dsrt_deg:.1f}" in texts(figure)


def test_the_stretch_figure_marks_the_decomposition_time_points():
    result = decomposed()
    figure = figures.stretch_figure([ramp(0.1), ramp(4.0, reflex_at=0.5)], ["slow", "fast"], records=[result])
    torque_ax = figure.axes[0]
    for time in (result.p0_s, result.p1_s, result.p2_s):
        assert _lines_at(torque_ax, x=time)
    assert "P1 at speed" in texts(torque_ax)


def test_the_emg_figure_marks_each_onset_and_names_the_method():
    trial = ramp(1.0, reflex_at=0.5)
    record = emg.measure(trial, method="hodges_bui")
    figure = figures.emg_figure(trial, record)
    muscle_ax = figure.axes[1]
    assert _lines_at(muscle_ax, x=record.onset_s["flexors"])
    assert "(hodges_bui)" in texts(muscle_ax) and muscle_ax.get_ylabel() == "EMG (normalised excitation)"


def test_the_tsrt_figure_draws_the_points_the_line_its_interval_and_the_threshold():
    result = fitted_tsrt()
    ax = figures.tsrt_figure(result).axes[0]
    points = next(l for l in ax.lines if l.get_marker() == "o")
    assert np.allclose(points.get_xdata(), result.velocities_deg_s)
    assert np.allclose(points.get_ydata(), result.dsrt_deg)
    line = next(l for l in ax.lines if l.get_linestyle() == "-" and len(l.get_xdata()) > 10)
    assert line.get_ydata()[0] == pytest.approx(result.tsrt_deg)  # at 0 deg/s
    # The band of the line at zero velocity is the TSRT's own confidence interval.
    band = next(c for c in ax.collections if c.get_label().startswith("95 %"))
    ys = band.get_paths()[0].vertices[:, 1]
    xs = band.get_paths()[0].vertices[:, 0]
    at_zero = np.sort(ys[np.isclose(xs, 0.0)])
    assert at_zero[0] == pytest.approx(result.tsrt_ci_deg[0]) and at_zero[-1] == pytest.approx(result.tsrt_ci_deg[1])
    assert f"TSRT {result.tsrt_deg:.1f} deg" in texts(ax)


def test_a_tsrt_without_any_onset_shows_its_note_instead_of_a_line():
    result = threshold.tsrt(velocities_deg_s=[30, 60, 120], dsrt_deg=[None, None, None], joint_range_deg=(80, 160))
    ax = figures.tsrt_figure(result).axes[0]
    assert "beyond the tested range" in texts(ax) and not [l for l in ax.lines if len(l.get_xdata()) > 10]


def test_the_decomposition_bars_stand_against_the_pennati_cut_offs():
    result = decomposed()
    ax = figures.decomposition_figure(result).axes[0]
    heights = [p.get_height() for p in ax.patches if p.get_label() != "_nolegend_" or True][:3]
    expected = [getattr(result, f"{name}_n") for name, _ in figures.COMPONENTS]
    assert np.allclose(sorted(heights), sorted(expected))
    cut_lines = [c for c in ax.collections if c.get_label().startswith("cut-off")]
    assert cut_lines
    written = texts(ax)
    for name, symbol in figures.COMPONENTS:
        assert f"cut-off {symbol} {decomposition.PENNATI_CUTOFFS_N[name]:g} N" in written
    # The flagged component's bar is red, the others are not.
    colours = {round(p.get_height(), 9): matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    for name, _ in figures.COMPONENTS:
        red = colours[round(getattr(result, f"{name}_n"), 9)] == figures.WARNING_COLOUR
        assert red == bool(result.flags[name]), name


def test_without_a_lever_arm_the_bars_are_torques_and_no_cut_off_is_drawn():
    result = decomposition.measure(ramp(0.1), ramp(4.0, reflex_at=0.5))
    ax = figures.decomposition_figure(result).axes[0]
    assert ax.get_ylabel() == "component (N m)"
    assert "cut-off EC" not in texts(ax) and "not applicable" in texts(ax)
