"""The five kinds of spasm of the source document, each with its mechanism, its sources and a
simulated surface-EMG signature.

The project's source page names five kinds of spasm to tell apart (SEED-KNOWLEDGE, "Five types of
spasm"). Each is an entry of :data:`KINDS` (a :class:`SpasmKind`: what it is, the mechanism, the EMG
signature, where the evidence is weak, the sources) and :func:`simulate_spasm` makes a recording of
it: two surface-EMG channels (the affected muscle and a neighbour, ``emg_<muscle>`` in V, white
noise of ``noise_uv``) and, where the kind has a trigger, an event channel (``movement`` or
``stimulus``, 1 while on). ``none`` is rest: noise only. The motor-unit discharges come from the
Fuglevand pool (:mod:`myoreflex.physiology.motor_units`) or are placed as the mechanism says
(ectopic bursts, fasciculations), and become EMG through the volume conductor of
:mod:`myoreflex.physiology.surface_emg`.

========================  ==========================================================================
kind                      signature simulated (sources in :data:`KINDS`)
========================  ==========================================================================
``calf_cramp``            sustained, strong discharge of many units in one head of gastrocnemius
                          (14.5 pps mean, 6-25 pps, rates waxing and waning at 1.4 Hz), the other
                          head silent but for crosstalk; no trigger (Minetto et al. 2009; Ross &
                          Thomas 1995; Khan & Burne 2007)
``tension_pain``          low-level, uninterrupted activity of a few low-threshold units in both
                          upper trapezii (a few tens of uV), no trigger (Veiersted et al. 1993;
                          Hanvold et al. 2013; evidence weak: Holte & Westgaard 2002)
``neck_back_spasm``       both cervical paraspinals co-activate 0.1-0.3 s after each head movement
                          starts and stay on 0.4-1 s after it ends (guarding; Falla & Farina 2008;
                          Geisser et al. 2005; evidence weak for spondylosis as such)
``hemifacial_spasm``      brief clonic bursts of high-frequency (250-350 Hz) discharges, synchronous
                          in orbicularis oculi and oris; with ``lsr_test`` a stimulus of the
                          zygomatic branch gives a direct response in oculi (~3 ms) and a lateral
                          spread response in oris at ~10 ms (Nielsen 1984; Misawa et al. 2006)
``fasciculation``         isolated single motor-unit potentials at rest, irregular (Poisson), a few
                          units per muscle each at 0.25-0.6 Hz, independent in the two muscles
                          (de Carvalho & Swash 2013; Kleine et al. 2012; rates unverified)
``none``                  rest: noise only
========================  ==========================================================================

Every number that is an assumption says so in :data:`KINDS` and in the constants below. This is a
research and teaching model of EMG signatures, not a diagnostic tool.

Examples
--------
>>> trial = simulate_spasm("hemifacial_spasm", seed=1, duration_s=4.0)
>>> sorted(trial.channels), trial.metadata["spasm_kind"]
(['emg_orbicularis_oculi', 'emg_orbicularis_oris', 'stimulus'], 'hemifacial_spasm')
"""

from __future__ import annotations

import dataclasses

import numpy as np

from myoreflex.errors import ParameterError, describe
from myoreflex.physiology.motor_units import MotorUnitPoolParams, firing_rates, max_excitation, spike_trains
from myoreflex.physiology.surface_emg import SurfaceEmgParams, surface_emg, unit_depths
from myoreflex.registry import Registry
from myoreflex.trial import Channel, Trial

MINETTO_2009 = ("Minetto, Holobar, Botter & Farina 2009 J Neurophysiol 102:1890 (electrically elicited cramps, "
                "abductor hallucis: units active 23.6 +- 16.2 s, 14.5 +- 5.1 pps, min 6.0, max 25.0 pps, ISI CV "
                "44.6 %, common rate oscillation at 1.4 Hz)")
ROSS_THOMAS_1995 = ("Ross & Thomas 1995 (induced cramp localised to part or all of the medial gastrocnemius head, "
                    "lateral head and soleus silent; unit rates higher and more variable than voluntary)")
KHAN_BURNE_2007 = ("Khan & Burne 2007 J Neurophysiol 98:1102 (cramp EMG in one head of gastrocnemius while the "
                   "other stays silent; reflexly inhibited by tendon stimulation: spinally driven)")
SCHWELLNUS = "Schwellnus 2009 / Schwellnus et al. 2011 (altered neuromuscular control after fatiguing exercise)"
VEIERSTED_1993 = ("Veiersted, Westgaard & Andersen 1993 Scand J Work Environ Health 19:284 (fewer EMG gaps, "
                  "i.e. less rest, in the trapezius of workers who later got trapezius myalgia)")
HANVOLD_2013 = ("Hanvold et al. 2013 Scand J Work Environ Health 39:390 (sustained trapezius activity > 0.5 % "
                "EMGmax for > 4 min predicted neck-shoulder pain)")
WESTGAARD_1999 = ("Westgaard 1999 Cephalalgia 19 Suppl 25 (review: low-threshold trapezius units under mental "
                  "stress; evidence suggestive, not firm)")
HOLTE_WESTGAARD_2002 = ("Holte & Westgaard 2002 Am J Ind Med 41:393 (stress-related shoulder-neck pain not "
                        "necessarily with raised trapezius activity; pain-free workers relaxed more in leisure)")
FALLA_FARINA_2008 = ("Falla & Farina 2008 J Electromyogr Kinesiol 18:255 (review: neck pain reorganises neck "
                     "muscle control, more superficial-muscle co-activation)")
LINDSTROM_2011 = ("Lindstroem, Schomacher, Farina, Rechter & Falla 2011 Man Ther 16:80 (neck pain: more "
                  "antagonist splenius activity, co-activation rising with pain)")
GEISSER_2005 = ("Geisser et al. 2005 J Pain 6:711 (meta-analysis: paraspinal activity fails to relax at full "
                "flexion in low back pain, the flexion-relaxation phenomenon lost; not read here)")
NIELSEN_1984 = ("Nielsen 1984 Neurology 34:418 (62 patients: ephaptic transmission between facial-nerve branches "
                "and ectopic excitation; after-activity trains at 250-350 Hz; synchronous clonic activity)")
MISAWA_2006 = ("Misawa et al. 2006 J Neurol Neurosurg Psychiatry 77:216 (abnormal muscle response in 24/28 "
               "patients, early component mean onset latency 10.0 ms)")
ISU_LSR = "Isu et al. (lateral spread response latency about 10 ms in all 40 patients; ANCHORS 9)"
AUGER_1979 = ("Auger 1979 Neurology 29:1261 (synkinesis recorded simultaneously in orbicularis oculi and oris in "
              "all 23 patients with hemifacial spasm)")
DE_CARVALHO_SWASH_2013 = ("de Carvalho & Swash 2013 JAMA Neurol 70:1562 (fasciculation potentials in benign "
                          "fasciculation syndrome, 44 % time-locked pairs; normal morphology)")
KLEINE_2012 = ("Kleine et al. 2012 Clin Neurophysiol 123:399 (high-density surface EMG of gastrocnemius "
               "fasciculations for 15 min in benign fasciculations and ALS)")

RATE_HZ = 2000.0
"""Default sampling rate of a simulated recording (Hz): resolves MUAPs and leaves a band above the
EMG spectrum (700-950 Hz) in which the analysis measures the noise."""

CRAMP_OSCILLATION_HZ = 1.4
"""Common oscillation of the discharge rates during cramp (Minetto et al. 2009: coherence peak at
1.4 +- 0.4 Hz)."""
HFS_INTRABURST_HZ = (250.0, 350.0)
"""Discharge frequency within a hemifacial-spasm burst (Nielsen 1984: interspike frequency of the
after-activity trains 250-350 Hz; used here for the spontaneous bursts too, an assumption)."""
LSR_LATENCY_S = 0.010
"""Onset latency of the lateral spread response (Misawa et al. 2006: 10.0 ms; Isu et al.: ~10 ms)."""
DIRECT_LATENCY_S = 0.003
"""Latency of the direct response of the stimulated branch's muscle (assumed: a typical distal
facial-nerve motor latency of about 3 ms; not from a source read here)."""
STIMULUS_RATE_HZ = 1.0
"""Rate of the facial-nerve stimuli of the lateral-spread test (assumed, 1 Hz)."""
FASCICULATION_RATE_HZ = (0.25, 0.6)
"""Discharge rate of one fasciculating unit (Hz), 2-4 units per muscle: 30-144 fasciculations a
minute per muscle. ANCHORS 9: 0.1-1 Hz per unit, unverified; the range keeps a few fasciculations in a
4-s recording, which is more than a benign calf usually shows (an assumption for short examples)."""


@dataclasses.dataclass(frozen=True)
class SpasmKind:
    """One kind of spasm: its name in the source document, what it is, the EMG signature, the sources.

    Attributes
    ----------
    name : the key (``calf_cramp``, ...).
    source_name : how the source document names it.
    what : a sentence on what it is.
    mechanism : the mechanism, in our words, with the evidence for it.
    signature : the EMG signature simulated.
    muscles : the EMG channels' muscles (affected first, then the neighbour).
    trigger : the event channel (``movement``, ``stimulus``) or "" when the kind has none.
    evidence : where the evidence is weak, or the simulation assumes.
    sources : the references.
    """

    name: str
    source_name: str
    what: str
    mechanism: str
    signature: str
    muscles: tuple[str, ...]
    trigger: str
    evidence: str
    sources: tuple[str, ...]


def _time(duration_s: float, rate_hz: float) -> np.ndarray:
    return np.arange(0.0, duration_s, 1.0 / rate_hz)


def _pool_emg(excitation, time, rng, pool: MotorUnitPoolParams, emg: SurfaceEmgParams) -> np.ndarray:
    """Surface EMG (V, with the noise of ``emg``) of a Fuglevand pool driven by ``excitation`` (T,)."""
    trains = spike_trains(firing_rates(excitation, pool), float(time[1] - time[0]), rng, pool)
    return surface_emg(trains, time, unit_depths(pool, emg, rng), pool, emg, rng)


def _noise(time, noise_v, rng) -> np.ndarray:
    return rng.normal(0.0, noise_v, time.size)


def _calf_cramp(time, rng, noise_v, lsr_test):
    pool = MotorUnitPoolParams(isi_variability=0.25)  # the largest the pool allows; Minetto: CV 0.45
    onset = rng.uniform(0.2, 0.8)
    rise = rng.uniform(0.5, 1.2)  # progressive recruitment (Roeleveld et al. 2000: cramp spreads)
    level = rng.uniform(0.28, 0.42) * max_excitation(pool)  # mean rate ~ 14 pps, 6-25 pps (Minetto 2009)
    phase = rng.uniform(0, 2 * np.pi)
    wax = 1.0 + 0.12 * np.sin(2 * np.pi * CRAMP_OSCILLATION_HZ * time + phase)
    excitation = level * np.clip((time - onset) / rise, 0.0, 1.0) * wax
    cramped = _pool_emg(excitation, time, rng, pool, SurfaceEmgParams(noise_rms=0.0))
    crosstalk = rng.uniform(0.02, 0.07)  # the silent head sees the cramped one through the tissue
    return {"emg_gastrocnemius_medialis": cramped + _noise(time, noise_v, rng),
            "emg_gastrocnemius_lateralis": crosstalk * cramped + _noise(time, noise_v, rng)}, {}


def _tension_pain(time, rng, noise_v, lsr_test):
    pool = MotorUnitPoolParams()
    # trapezius under skin and fat, a few low-threshold units seen from some distance (assumed depths)
    emg = SurfaceEmgParams(noise_rms=0.0, min_depth=8e-3, max_depth=20e-3)
    channels = {}
    for side in ("left", "right"):
        level = rng.uniform(1.1, 1.5)  # just above the first thresholds: 4-14 units at ~8-9 pps
        drift = 1.0 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * time + rng.uniform(0, 2 * np.pi))
        ramp = np.clip(time / 0.5, 0.0, 1.0)  # units recruited one by one, not all at the first sample
        channels[f"emg_trapezius_{side}"] = (_pool_emg(level * drift * ramp, time, rng, pool, emg)
                                             + _noise(time, noise_v, rng))
    return channels, {}


def _neck_back_spasm(time, rng, noise_v, lsr_test):
    pool = MotorUnitPoolParams()
    emg = SurfaceEmgParams(noise_rms=0.0, min_depth=5e-3, max_depth=25e-3)
    duration = time[-1]
    movement = np.zeros(time.size)
    guard = np.zeros(time.size)
    start = rng.uniform(0.4, 1.0)
    period = rng.uniform(2.2, 3.2)
    while start < duration - 0.8:
        length = rng.uniform(0.7, 1.2)
        movement[(time >= start) & (time < start + length)] = 1.0
        latency = rng.uniform(0.1, 0.3)  # assumed: guarding starts with the movement, after a reaction time
        hold = rng.uniform(0.4, 1.0)  # stays on after the movement ends (loss of relaxation, Geisser 2005)
        on, off = start + latency, start + length + hold
        guard = np.maximum(guard, np.clip((time - on) / 0.1, 0, 1) * np.clip((off + 0.2 - time) / 0.2, 0, 1))
        start += period
    level = rng.uniform(0.12, 0.25) * max_excitation(pool)
    channels = {}
    for side in ("left", "right"):
        gain = rng.uniform(0.85, 1.15)
        channels[f"emg_paraspinal_{side}"] = (_pool_emg(level * gain * guard, time, rng, pool, emg)
                                              + _noise(time, noise_v, rng))
    return channels, {"movement": movement}


def _hfs_bursts(time, rng):
    """Discharge times of the facial units during spontaneous clonic bursts: one generator (the
    ectopic focus at the nerve's root exit zone) for both branches."""
    duration = time[-1]
    bursts = []
    episode = rng.uniform(0.1, 0.8)
    while episode < duration:
        end = episode + rng.uniform(0.4, 1.2)
        t = episode
        while t < min(end, duration - 0.1):
            bursts.append((t, rng.uniform(0.02, 0.06)))
            t += rng.uniform(0.08, 0.25)  # irregular clonic bursts, 4-12 per s (assumed)
        episode = end + rng.uniform(0.8, 2.0)
    return bursts


def _burst_discharges(bursts, rng, n_units, lag_s):
    trains = [[] for _ in range(n_units)]
    for onset, length in bursts:
        units = rng.random(n_units) < rng.uniform(0.2, 0.5)
        for unit in np.flatnonzero(units):
            rate = rng.uniform(*HFS_INTRABURST_HZ)
            first = onset + lag_s + rng.uniform(0.0, 0.004)
            trains[unit].extend(np.arange(first, onset + lag_s + length, 1.0 / rate))
    return trains


def _hemifacial_spasm(time, rng, noise_v, lsr_test):
    pool = MotorUnitPoolParams(n_units=40)
    # facial muscles are thin and lie just under the skin, their motor units small (assumed: depths 1-6 mm,
    # MUAP amplitude factors a fifth of the limb pool's)
    emg = SurfaceEmgParams(noise_rms=0.0, min_depth=1e-3, max_depth=6e-3, first_amplitude=0.2e-3,
                           last_amplitude=2.3e-3)
    bursts = _hfs_bursts(time, rng)
    lag = rng.uniform(0.0, 0.003)  # both branches fire together (assumed: a few ms of conduction difference)
    trains = {"emg_orbicularis_oculi": _burst_discharges(bursts, rng, pool.n_units, 0.0),
              "emg_orbicularis_oris": _burst_discharges(bursts, rng, pool.n_units, lag)}
    events = {}
    if lsr_test:
        stimuli = np.arange(0.5, time[-1] - 0.1, 1.0 / STIMULUS_RATE_HZ)
        stimulus = np.zeros(time.size)
        for s in stimuli:
            stimulus[(time >= s) & (time < s + 1e-3)] = 1.0
            # zygomatic branch: a direct response in oculi, the lateral spread response in oris
            for name, latency, share in (("emg_orbicularis_oculi", DIRECT_LATENCY_S, 0.6),
                                         ("emg_orbicularis_oris", LSR_LATENCY_S, 0.35)):
                for unit in np.flatnonzero(rng.random(pool.n_units) < share):
                    trains[name][unit].append(s + latency + rng.normal(0.0, 0.0003))
        events["stimulus"] = stimulus
    channels = {}
    for name, unit_trains in trains.items():
        sorted_trains = [np.unique(np.round(np.asarray(t), 5)) for t in unit_trains]
        channels[name] = (surface_emg(sorted_trains, time, unit_depths(pool, emg, rng), pool, emg, rng)
                          + _noise(time, noise_v, rng))
    return channels, events


def _fasciculation(time, rng, noise_v, lsr_test):
    pool = MotorUnitPoolParams()
    emg = SurfaceEmgParams(noise_rms=0.0)
    duration = time[-1]
    channels = {}
    for name in ("emg_gastrocnemius_medialis", "emg_soleus"):
        trains = [np.array([]) for _ in range(pool.n_units)]
        depths = unit_depths(pool, emg, rng)
        n = int(rng.integers(2, 5))
        # units of the middle of the pool (assumed: visible twitches need more than the smallest units)
        for unit in rng.choice(np.arange(int(0.3 * pool.n_units), int(0.8 * pool.n_units)), n, replace=False):
            rate = rng.uniform(*FASCICULATION_RATE_HZ)
            count = rng.poisson(rate * duration)
            trains[unit] = np.sort(rng.uniform(0.05, duration - 0.05, count))
        channels[name] = surface_emg(trains, time, depths, pool, emg, rng) + _noise(time, noise_v, rng)
    return channels, {}


def _rest(time, rng, noise_v, lsr_test):
    return {"emg_gastrocnemius_medialis": _noise(time, noise_v, rng), "emg_soleus": _noise(time, noise_v, rng)}, {}


_SIMULATORS = {"calf_cramp": _calf_cramp, "tension_pain": _tension_pain, "neck_back_spasm": _neck_back_spasm,
               "hemifacial_spasm": _hemifacial_spasm, "fasciculation": _fasciculation, "none": _rest}

KINDS = Registry("spasm kind", {
    "calf_cramp": SpasmKind(
        "calf_cramp", "calf cramp after walking or running",
        "A sudden, painful, involuntary contraction of a calf muscle, typically during or after prolonged or "
        "fatiguing exercise (exercise-associated muscle cramp).",
        "Motor neurons of the cramping muscle discharge on their own: fatigue is thought to raise excitatory "
        "spindle drive and lower autogenic Golgi-tendon-organ inhibition (Schwellnus); the discharge is "
        "spinally driven, since tendon stimulation inhibits it like voluntary EMG (Khan & Burne 2007), and its "
        "motor units fire at voluntary-like rates but more irregularly (Minetto et al. 2009).",
        "Sustained (tens of seconds), strong discharge of many units in one head of gastrocnemius, rates "
        "6-25 pps around 14.5 pps waxing and waning at 1.4 Hz; the neighbouring head silent apart from "
        "crosstalk; no trigger in the recording (the exercise is history).",
        ("gastrocnemius_medialis", "gastrocnemius_lateralis"), "",
        "Unit rates are from electrically elicited cramps of a foot muscle (Minetto 2009), not from "
        "exercise-associated calf cramps; the interval CV is 0.25 here (the pool's largest) against 0.45 "
        "measured. Dehydration and electrolyte loss are not supported as the cause (Schwellnus et al. 2011).",
        (MINETTO_2009, ROSS_THOMAS_1995, KHAN_BURNE_2007, SCHWELLNUS)),
    "tension_pain": SpasmKind(
        "tension_pain", "tension pain (muscle pain with anxiety, irritability, poor sleep)",
        "Tension-type muscle pain of the neck and shoulders with psychological stress; not a reflex spasm.",
        "Hypothesis: under mental stress low-threshold trapezius units stay active for long periods without "
        "rest (few 'EMG gaps'), overloading those fibres (Veiersted et al. 1993; Westgaard 1999; Hanvold et "
        "al. 2013).",
        "Low-level (a few tens of uV), uninterrupted activity of a few low-threshold units at about 8-9 pps "
        "in both upper trapezii, throughout the recording, no trigger.",
        ("trapezius_left", "trapezius_right"), "",
        "Weak and mixed: stress-related shoulder-neck pain is not necessarily accompanied by raised trapezius "
        "EMG (Holte & Westgaard 2002; Bansevicius et al. 1997 found the mean EMG level of little consequence "
        "for pain). Levels and depths of the simulation are assumed.",
        (VEIERSTED_1993, HANVOLD_2013, WESTGAARD_1999, HOLTE_WESTGAARD_2002)),
    "neck_back_spasm": SpasmKind(
        "neck_back_spasm", "neck and back spasm with cervical spondylosis",
        "Painful stiffening of the neck or back muscles in degenerative spine disease (disc and facet "
        "degeneration, nerve-root irritation).",
        "Protective guarding: with pain, superficial neck muscles co-activate more and longer during "
        "movement (Falla & Farina 2008; Lindstroem et al. 2011), and paraspinal muscles fail to relax when "
        "they normally would (loss of flexion-relaxation in back pain, Geisser et al. 2005).",
        "Both cervical paraspinals co-activate 0.1-0.3 s after each head movement starts, at a moderate "
        "level (12-25 % of the pool's maximal excitation), and stay on 0.4-1 s after the movement ends; "
        "a movement channel (1 while the head moves).",
        ("paraspinal_left", "paraspinal_right"), "movement",
        "Weak for the named condition: the EMG evidence is from non-specific neck pain and low back pain, "
        "not from cervical spondylosis as such; 'spasm' there is a clinical impression. Latencies, levels "
        "and hold times are assumed.",
        (FALLA_FARINA_2008, LINDSTROM_2011, GEISSER_2005)),
    "hemifacial_spasm": SpasmKind(
        "hemifacial_spasm", "hemifacial spasm",
        "Involuntary, irregular clonic or tonic contractions of the muscles of one side of the face, usually "
        "starting at the eyelid; most often from a blood vessel compressing the facial nerve at its root "
        "exit zone.",
        "At the compression site demyelinated facial-nerve fibres excite each other (ephaptic transmission) "
        "and fire ectopically: impulses in one branch spread to the others, so muscles of different branches "
        "contract together, and a stimulus to one branch evokes a response in the muscles of another at about "
        "10 ms, the lateral spread response (Nielsen 1984; Misawa et al. 2006 argue for a trigeminal-reflex "
        "component as well).",
        "Brief (20-60 ms) bursts of high-frequency discharges (250-350 Hz), irregularly repeated during "
        "episodes of about a second, synchronous in orbicularis oculi and oris; with the lateral-spread test "
        "a stimulus to the zygomatic branch every second gives a direct response in oculi at ~3 ms and a "
        "response in oris at ~10 ms.",
        ("orbicularis_oculi", "orbicularis_oris"), "stimulus",
        "The 250-350 Hz trains are Nielsen's after-activity, used here for the spontaneous bursts too; the "
        "burst and episode timing, the direct latency and the response sizes are assumed (LSR amplitude is "
        "unverified, ANCHORS 9).",
        (NIELSEN_1984, MISAWA_2006, ISU_LSR, AUGER_1979)),
    "fasciculation": SpasmKind(
        "fasciculation", "benign fasciculation",
        "Visible, brief twitches of small bundles of a resting muscle, most often in the calves, without "
        "weakness or wasting.",
        "Single motor units discharge on their own, mostly from ectopic sites in the distal motor axon, some "
        "from proximal or spinal sites (time-locked pairs; de Carvalho & Swash 2013; F-waves of fasciculation "
        "potentials, Kleine et al. 2012); the potentials have normal morphology.",
        "Isolated single motor-unit potentials at rest, irregular (Poisson) in time, a few units per muscle "
        "each at 0.25-0.6 Hz, independent in the two calf muscles recorded.",
        ("gastrocnemius_medialis", "soleus"), "",
        "Discharge rates per unit (0.1-1 Hz) are unverified (ANCHORS 9); benign and ALS fasciculations are not "
        "told apart by these features (and are not meant to be).",
        (DE_CARVALHO_SWASH_2013, KLEINE_2012)),
    "none": SpasmKind(
        "none", "(rest)", "A relaxed muscle: no motor-unit activity.", "None.",
        "Noise only, in both channels.", ("gastrocnemius_medialis", "soleus"), "", "", ()),
})
"""The five kinds of spasm of the source document and ``none`` (rest): name -> :class:`SpasmKind`."""


def simulate_spasm(kind: str, *, seed: int = 0, duration_s: float = 8.0, noise_uv: float = 3.0,
                   rate_hz: float = RATE_HZ, lsr_test: bool | None = None) -> Trial:
    """A simulated surface-EMG recording of one kind of spasm.

    Parameters
    ----------
    kind : a key of :data:`KINDS` (``calf_cramp``, ``tension_pain``, ``neck_back_spasm``,
        ``hemifacial_spasm``, ``fasciculation``, ``none``).
    seed : seed of every random choice (timing, levels, discharges, noise).
    duration_s : length of the recording (s), 2-120.
    noise_uv : RMS of the white noise added to every EMG channel (uV), 0.5-50.
    rate_hz : sampling rate (Hz), 1000-10000; the analysis measures the noise best at 2 kHz or more.
    lsr_test : hemifacial spasm only: stimulate the zygomatic branch once a second and record the
        lateral spread response (default True for ``hemifacial_spasm``).

    Returns
    -------
    Trial
        ``emg_<muscle>`` channels in V (the affected muscle first), a ``movement`` or ``stimulus``
        channel (unit 1) where the kind has one, and metadata ``spasm_kind``, ``seed``, ``noise_uv``,
        ``rate_hz``, ``source`` ("myoreflex simulation").

    Examples
    --------
    >>> trial = simulate_spasm("calf_cramp", seed=0, duration_s=3.0)
    >>> list(trial.channels), trial.unit("emg_gastrocnemius_medialis"), trial.rate_hz
    (['emg_gastrocnemius_medialis', 'emg_gastrocnemius_lateralis'], 'V', 2000.0)
    """
    KINDS.lookup(kind)
    for name, value, low, high in (("duration_s", duration_s, 2.0, 120.0), ("noise_uv", noise_uv, 0.5, 50.0),
                                   ("rate_hz", rate_hz, 1000.0, 10000.0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ParameterError(describe(f"`{name}`", f"a number in [{low:g}, {high:g}]", repr(value)))
    if lsr_test and kind != "hemifacial_spasm":
        raise ParameterError(describe("`lsr_test`", "only with kind hemifacial_spasm", f"kind {kind!r}"))
    rng = np.random.default_rng(seed)
    time = _time(float(duration_s), float(rate_hz))
    channels, events = _SIMULATORS[kind](time, rng, noise_uv * 1e-6, kind == "hemifacial_spasm" and lsr_test is not False)
    out = {name: Channel(values, "V") for name, values in channels.items()}
    out.update({name: Channel(values, "1") for name, values in events.items()})
    return Trial(time, out, {"source": "myoreflex simulation", "protocol": f"spasm {kind}", "spasm_kind": kind,
                             "seed": int(seed), "noise_uv": float(noise_uv), "rate_hz": float(rate_hz)})
