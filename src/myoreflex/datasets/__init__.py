"""Example recordings by name: the public recordings myoreflex is checked against, ready to use.

Recordings whose licence allows redistribution (MIT, Apache-2.0) ship inside the package with their
licence (``files/<folder>/LICENSE``); the others are fetched on first use from their upstream
repository at a pinned commit, checked against a SHA-256 where one is recorded, and kept in the
user's cache folder (``pooch``, the ``datasets`` extra). A local folder laid out like the project's
shared data (``<folder>/<path>``, e.g. ``../shared/data``) overrides both: set ``MYOREFLEX_DATA``.

==========================  =========  =======================================================
name                        licence    what
==========================  =========  =======================================================
see :data:`DATASETS` (``myoreflex datasets list`` prints the table)
==========================  =========  =======================================================

Every command that reads a file takes a dataset name where the file goes, when no file of that name
exists (``myoreflex assess pendulum cp1-right-pendulum --coordinate knee_angle_r``).

Examples
--------
>>> from myoreflex import datasets
>>> datasets.path("cp1-right-pendulum").name
'CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot'
>>> datasets.DATASETS["cp1-right-pendulum"].licence
'MIT'
>>> trial = datasets.load("cp1-right-pendulum")
>>> trial.unit("angle"), trial.rate_hz
('rad', 100.0)
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from myoreflex.errors import ParameterError, RecordingError, describe

FILES = Path(__file__).with_name("files")
"""The recordings that ship with the package, in the shared data layout (``<folder>/<path>``)."""
DATA_ENV = "MYOREFLEX_DATA"
"""Environment variable naming a local folder in the shared data layout that overrides every source."""

KUL_CP = ("github.com/KULeuvenNeuromechanics/PredSim-workshop-bcn-2024 at 3cbfb12, folder "
          "'S4 Modelling neuromusculoskeletal deficits' (KU Leuven / UZ Leuven gait lab)")
SPASTIC_MYO_ELBOW = "github.com/myo-manipulation/SpasticMyoElbow at 0b36437 (Heriot-Watt / Edinburgh)"
TUTORIAL = "github.com/VDB-Bram/Tutorial-Direct-Collocation at b45b84c (KU Leuven; Afschrift, Willaert)"
SIM_PENDULUM = "github.com/WillaertJente/SimPendulum at 5481f1c (KU Leuven; Willaert)"


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One named recording: where it lies in the shared data layout, its licence and source, how to
    read it (``options`` of :func:`myoreflex.io.read_trials`) and, for one that does not ship, the
    URL of its upstream file and that file's SHA-256 (None: not recorded, the download is not
    checked and says so)."""

    name: str
    path: str
    what: str
    licence: str
    source: str
    options: dict = dataclasses.field(default_factory=dict)
    url: str | None = None
    sha256: str | None = None
    derived: bool = False  # written by myoreflex from the source's files (a manifest), not copied from it

    @property
    def ships(self) -> bool:
        return self.url is None


def _cp1(name, file, what, **options):
    return Dataset(name, f"kuleuven-cp-ipsa-pendulum/Data/Data_CP1/{file}", what, "MIT", KUL_CP, options)


_ELBOW = "elbow-stretch-spasticmyoelbow"
DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        _cp1("cp1-right-pendulum", "IK/CP4_T0_Pendulum_Sit_ISO_r_T1_IK.mot",
             "pendulum test of the spastic right knee of a child with cerebral palsy (OpenSim IK, 100 Hz, "
             "flexion negative)", angle_channel="knee_angle_r", angle_sign=-1.0),
        _cp1("cp1-left-pendulum", "IK/CP4_T0_Pendulum_Sit_ISO_l_T5_IK.mot",
             "pendulum test of the same child's less affected left knee", angle_channel="knee_angle_l",
             angle_sign=-1.0),
        _cp1("cp1-pendulums", "IK", "folder of both CP1 pendulum tests (for `assess folder`)"),
        _cp1("cp1-right-ankle-stretches", "IPSA/CP4_T0_PF_R.mat",
             "8 slow and fast manual stretches of the right plantarflexors with EMG (IPSA, 200 Hz); its "
             "pinfo holds the child's body mass and height"),
        _cp1("cp1-right-knee-stretches", "IPSA/CP4_T0_MEH_R.mat",
             "8 slow and fast manual stretches of the right hamstrings with EMG (IPSA, 200 Hz)"),
        *(Dataset(f"elbow-healthy-{speed}", f"{_ELBOW}/derived_csv/ref_data_0_1_v{speed}.csv",
                  f"a healthy elbow extended by a robot at {speed} deg/s (angle, torque; 500 Hz)", "Apache-2.0",
                  SPASTIC_MYO_ELBOW)
          for speed in range(10, 100, 10)),
        Dataset("cp1-pendulum-manifest", "kuleuven-cp-ipsa-pendulum/manifest_cp1_right_pendulum.csv",
                "a cohort manifest (subject,file) of CP1's right pendulum test, for `cohort fit --test pendulum`",
                "MIT", KUL_CP, derived=True),
        Dataset("elbow-stretch-manifest", f"{_ELBOW}/manifest_healthy_elbow.csv",
                "a cohort manifest (subject,file) of the healthy elbow at 30, 60 and 90 deg/s, for `cohort fit`",
                "Apache-2.0", SPASTIC_MYO_ELBOW, derived=True),
        Dataset("elbow-stroke-curve", f"{_ELBOW}/data/ref_data_1.csv",
                "27 angle-torque points of a chronic-stroke elbow, digitised from McPherson et al. 2019 "
                "(no header: angle deg, torque N m)", "Apache-2.0", SPASTIC_MYO_ELBOW),
        Dataset("pendulum-tutorial", "kuleuven-pendulum-tutorial/DataPendulum.mat",
                "a child's pendulum test (knee angle, 100 Hz, 0 = horizontal, flexion negative); no "
                "licence stated upstream, so fetched, not shipped", "none stated", TUTORIAL,
                url="https://raw.githubusercontent.com/VDB-Bram/Tutorial-Direct-Collocation/"
                    "b45b84c8cf2416fee977217568fb061e8c429ed6/DataPendulum.mat",
                sha256="cec186308ca597723d978d8f5c61d573ae7fe66adc30b38f5912a98a28b05240"),
        Dataset("td5-pendulum", "simpendulum/TD5/IK_Trial02.mot",
                "a typically developing child's pendulum test (OpenSim IK, left knee, flexion negative); no "
                "licence stated upstream, so fetched, not shipped; SHA-256 not recorded (the registry was "
                "written without access to the upstream file)", "none stated", SIM_PENDULUM,
                {"angle_channel": "knee_angle_l", "angle_sign": -1.0},
                url="https://raw.githubusercontent.com/WillaertJente/SimPendulum/"
                    "5481f1c6c42153ee31aae5a2b77ecd75dad10e75/Implicit/Muscle/Experimental%20data/TD5/IK_Trial02.mot"),
    )
}
"""Every named recording. Those without ``url`` ship with the package."""


def _dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise ParameterError(describe("dataset", f"one of {', '.join(DATASETS)}", repr(name)))
    return DATASETS[name]


def cache_folder() -> Path:
    """Where fetched recordings are kept: ``$MYOREFLEX_CACHE_DIR/datasets``, else the user's cache
    folder (``$XDG_CACHE_HOME`` or ``~/.cache``) ``/myoreflex/datasets``."""
    root = os.environ.get("MYOREFLEX_CACHE_DIR")
    if root:
        return Path(root) / "datasets"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "myoreflex" / "datasets"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(dataset: Dataset) -> Path:
    """Download a dataset that does not ship (once; checked against its SHA-256 when recorded)."""
    target = cache_folder() / dataset.path
    if target.is_file() and (dataset.sha256 is None or sha256_of(target) == dataset.sha256):
        return target
    try:
        import pooch
    except ImportError:
        raise RecordingError(describe(f"dataset {dataset.name}", "the `datasets` extra to fetch it "
                                      "(pip install 'myoreflex[datasets]') or a local copy under "
                                      f"${DATA_ENV}", "pooch not installed")) from None
    try:
        got = pooch.retrieve(dataset.url, known_hash=None if dataset.sha256 is None else f"sha256:{dataset.sha256}",
                             fname=target.name, path=target.parent, progressbar=False)
    except Exception as error:  # network down, 404, checksum: one line naming the source
        raise RecordingError(describe(f"dataset {dataset.name} from {dataset.url}", "a download that succeeds "
                                      f"(offline? set {DATA_ENV} to a folder holding {dataset.path})",
                                      f"{type(error).__name__}: {error}")) from None
    return Path(got)


def path(name: str) -> Path:
    """The local path of a named recording: under ``$MYOREFLEX_DATA`` when it holds it, else the copy
    that ships with the package, else the cached download (fetched on first use)."""
    dataset = _dataset(name)
    override = os.environ.get(DATA_ENV)
    if override and (Path(override) / dataset.path).exists():
        return Path(override) / dataset.path
    if dataset.ships:
        return FILES / dataset.path
    return _fetch(dataset)


def load(name: str, **options):
    """The named recording as a Trial (a list of Trials for a multi-segment file), read with the
    dataset's own options (angle channel and sign) unless ``options`` says otherwise. The tutorial's
    bare MATLAB matrix is read here (time s, knee angle deg with 0 horizontal)."""
    from myoreflex.io import read_trials

    dataset = _dataset(name)
    where = path(name)
    if where.is_dir():
        raise ParameterError(describe(f"dataset {name}", "a file (this one is a folder: use path())", str(where)))
    if name == "pendulum-tutorial":
        return _tutorial(where)
    trials = read_trials(where, **{**dataset.options, **options})
    return trials[0] if len(trials) == 1 else trials


def _tutorial(where: Path):
    import numpy as np
    import scipy.io

    from myoreflex.trial import Channel, Trial
    from myoreflex.units import DEG

    table = np.asarray(scipy.io.loadmat(where)["data"], dtype=float)
    time, angle_deg = table[:, 0], table[:, 1]
    rate = round(1.0 / float(np.median(np.diff(time))), 6)
    return Trial(time - time[0], {"angle": Channel(-angle_deg * DEG, "rad")},
                 {"source": where.name, "format": "mat", "rate_hz": rate, "joint": "knee"})


def resolve(argument: str | Path) -> Path:
    """A command-line file argument: an existing path as it is, else a dataset name's path, else the
    argument unchanged (the reader then says the file is missing)."""
    given = Path(argument)
    if given.exists() or str(argument) not in DATASETS:
        return given
    return path(str(argument))


def table() -> str:
    """The datasets as a text table: name, where it comes from, licence, what it is."""
    rows = [(d.name, "ships" if d.ships else "fetched", d.licence, d.what) for d in DATASETS.values()]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{n:<{width}}  {s:<7}  {lic:<11}  {what}" for n, s, lic, what in rows)
