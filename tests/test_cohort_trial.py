"""Virtual trials (issue 17): paired statistics, the treated arm, the tables, resume and Dask.

One small trial (40 stroke subjects, 10 s pendulums, chunks of 10 subjects = 20 simulations) is run
once in this process (module fixture) and is the reference of every other run: the Dask
LocalCluster run and the interrupted-then-resumed run must give the same numbers, exactly. All runs
use chunks of 20 simulations, so one compiled batch shape serves them all; a persistent JAX
compilation cache in a temporary folder lets the Dask workers load that compilation instead of
repeating it (as in tests/test_cohort.py).

Subject ``FAIL`` is made to fail its control arm: at severity 1 with the motor neurons' threshold at
0, their gain at its upper bound and no limb damping the leg is still swinging at the end of the
10 s test, which the pendulum's ``plateau_settled`` quality gate refuses. Intrathecal baclofen
settles it, so only the control arm fails: the subject must be named and excluded from both arms.
"""

import itertools
import json
import math

import jax
import numpy as np
import pytest
from scipy import stats

from myoreflex.cohort import TrialResult, build_params, cohort_trial, read_results, trial_figure
from myoreflex.cohort.population import sample_population
from myoreflex.cohort.trial import _arm_rows, _population, paired_effect
from myoreflex.errors import OutputError, ParameterError
from myoreflex.protocols.pendulum import PendulumTest
from myoreflex.treatments import apply_treatment

PROTOCOL = PendulumTest(duration=10.0)
CHUNK = 10  # subjects per chunk: 20 simulations
N_SUBJECTS = 40
FAIL = 6
TREATMENT = "baclofen_intrathecal"
RESAMPLES = 2_000


def population():
    rows = sample_population(N_SUBJECTS, conditions={"stroke": 1.0}, seed=0)
    rows[FAIL] = {**rows[FAIL], "severity": 1.0, "motoneuron.threshold": 0.0, "motoneuron.gain": 0.2,
                  "limb.damping": 0.0}
    return rows


def run_trial(out, **options):
    return cohort_trial(population(), TREATMENT, out=out, protocol=PROTOCOL, chunk_size=CHUNK,
                        resamples=RESAMPLES, seed=3, **options)


@pytest.fixture(scope="module")
def compile_cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jax-cache")
    previous = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", str(folder))
    yield folder
    jax.config.update("jax_compilation_cache_dir", previous)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, compile_cache):
    out = tmp_path_factory.mktemp("trial") / "trial.csv"
    calls = []
    result = run_trial(out, progress=lambda done, total: calls.append((done, total)))
    return result, calls


# ---------------------------------------------------------------------------------------------
# Statistics (laws and a comparator)


def test_t_interval_and_dz_agree_with_scipys_paired_t_test():
    rng = np.random.default_rng(1)
    control = rng.normal(1.0, 0.2, 50)
    treated = control + rng.normal(0.1, 0.05, 50)
    effect = paired_effect(control, treated, seed=0, resamples=4000)
    interval = stats.ttest_rel(treated, control).confidence_interval(0.95)
    # the same formula computed two ways: agreement to rounding
    assert effect.ci95 == pytest.approx((interval.low, interval.high), rel=1e-12)
    differences = treated - control
    assert effect.cohen_dz == pytest.approx(differences.mean() / differences.std(ddof=1), rel=1e-12)
    assert effect.n == 50 and effect.sd_difference == pytest.approx(differences.std(ddof=1), rel=1e-12)
    # for near-normal differences the percentile bootstrap and t-intervals agree to a few hundredths
    # of their width (the bootstrap is a little narrower: it divides by n, not n - 1)
    width = effect.ci95[1] - effect.ci95[0]
    assert effect.bootstrap_ci95 == pytest.approx(effect.ci95, abs=0.1 * width)


def test_bootstrap_is_fixed_by_its_seed_and_effects_move_with_a_shift():
    rng = np.random.default_rng(2)
    control, treated = rng.normal(0, 1, 30), rng.normal(0.5, 1, 30)
    first = paired_effect(control, treated, seed=5, resamples=1000)
    assert paired_effect(control, treated, seed=5, resamples=1000) == first
    assert paired_effect(control, treated, seed=6, resamples=1000).bootstrap_ci95 != first.bootstrap_ci95
    shifted = paired_effect(control, treated + 0.25, seed=5, resamples=1000)  # law: a constant shift
    assert shifted.mean_difference == pytest.approx(first.mean_difference + 0.25, abs=1e-12)
    assert shifted.ci95 == pytest.approx(tuple(v + 0.25 for v in first.ci95), abs=1e-12)
    assert shifted.bootstrap_ci95 == pytest.approx(tuple(v + 0.25 for v in first.bootstrap_ci95), abs=1e-12)
    scaled = paired_effect(3 * control, 3 * treated, seed=5, resamples=1000)  # d_z has no unit
    assert scaled.cohen_dz == pytest.approx(first.cohen_dz, rel=1e-12)


def test_degenerate_inputs_give_nan_or_one_clear_error():
    empty = paired_effect([], [])
    assert empty.n == 0 and math.isnan(empty.mean_difference) and math.isnan(empty.ci95[0])
    assert empty.as_dict() == {"mean_difference": None, "ci95": [None, None], "cohen_dz": None,
                               "bootstrap_ci95": [None, None]}
    one = paired_effect([1.0], [1.5])
    assert one.mean_difference == 0.5 and math.isnan(one.ci95[0]) and math.isnan(one.cohen_dz)
    constant = paired_effect([1.0, 2.0, 3.0], [1.2, 2.2, 3.2])
    assert constant.ci95 == pytest.approx((0.2, 0.2)) and math.isnan(constant.cohen_dz)
    with pytest.raises(ParameterError, match="one length"):
        paired_effect([1.0, 2.0], [1.0])
    with pytest.raises(ParameterError, match="finite"):
        paired_effect([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ParameterError, match="resamples"):
        paired_effect([1.0, 2.0], [1.0, 2.0], resamples=0)


# ---------------------------------------------------------------------------------------------
# The arms (oracle: the treated arm is apply_treatment of the control arm)


def test_treated_rows_rebuild_exactly_the_treated_parameters():
    rows = _population(population()[:8], condition=None, seed=0, joint="knee")[0]
    arms, paths = _arm_rows(rows, TREATMENT, None, "knee")
    assert [row["arm"] for row in arms] == ["control", "treated"] * 8 and set(paths) == {
        "circuit.ia_weight", "circuit.ii_weight", "motoneuron.gain"}
    control = build_params(arms[0::2])
    treated = build_params(arms[1::2])
    want = apply_treatment(build_params(rows), TREATMENT)
    for got, expected, before in zip(jax.tree_util.tree_leaves(treated), jax.tree_util.tree_leaves(want),
                                     jax.tree_util.tree_leaves(control)):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert not np.array_equal(np.asarray(treated.motoneuron.gain), np.asarray(control.motoneuron.gain))


def test_condition_screens_the_population_and_a_size_draws_it():
    rows = sample_population(30, seed=2)
    enrolled, screened, _ = _population(rows, condition="stroke", seed=0, joint="knee")
    assert {row["condition"] for row in enrolled} == {"stroke"}
    assert len(enrolled) + screened == 30 and screened == sum(r["condition"] == "healthy" for r in rows)
    drawn, screened, _ = _population(12, condition="stroke", seed=4, joint="knee")
    assert len(drawn) == 12 and screened == 0 and {row["condition"] for row in drawn} == {"stroke"}
    with pytest.raises(ParameterError, match="at least one subject with condition cerebral_palsy"):
        _population(rows, condition="cerebral_palsy", seed=0, joint="knee")


# ---------------------------------------------------------------------------------------------
# A trial in this process


def test_trial_names_and_excludes_the_failed_subject_and_reports_the_effect(reference):
    result, calls = reference
    subject = population()[FAIL]["subject"]
    assert [item["subject"] for item in result.failed] == [subject]
    failure = result.failed[0]
    assert failure["control"] == "ERROR" and failure["treated"] == "OK"
    assert failure["error"].startswith("control: ERROR: QualityGateError") and "plateau_settled" in failure["error"]
    assert result.n == N_SUBJECTS - 1 and subject not in result.subjects
    # the direction the treatment is built for: less reflex braking, a higher R2n in every subject
    assert result.effect.mean_difference > 0 and result.effect.ci95[0] > 0 and np.all(result.differences > 0)
    assert result.effect == paired_effect(result.control, result.treated, seed=3, resamples=RESAMPLES)
    summary = result.as_dict()
    assert list(summary) == ["treatment", "outcome", "n", "failed", "effect", "control_mean", "treated_mean",
                             "protocol"]
    assert summary["treatment"] == {"name": TREATMENT, "dose": 300.0} and summary["protocol"] == "pendulum"
    assert summary["treated_mean"] - summary["control_mean"] == pytest.approx(summary["effect"]["mean_difference"])
    json.dumps(summary, allow_nan=False)
    assert calls[0] == (0, N_SUBJECTS) and calls[-1] == (N_SUBJECTS, N_SUBJECTS)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))


def test_trial_writes_the_subject_table_the_arms_table_and_provenance(reference):
    result, _ = reference
    table = read_results(result.table)
    assert [row["subject"] for row in table] == [row["subject"] for row in population()]
    included = [row for row in table if row["included"] == "True"]
    assert [row["subject"] for row in included] == list(result.subjects)
    np.testing.assert_array_equal([float(row["difference_r2n"]) for row in included], result.differences)
    failed = table[FAIL]
    assert failed["included"] == "False" and failed["difference_r2n"] == "" and "plateau_settled" in failed["error"]
    assert {table[0][key] for key in ("treatment", "dose_unit", "outcome", "protocol")} == {
        TREATMENT, "ug/day", "r2n", "pendulum"}
    arms = read_results(result.arms_table)
    assert len(arms) == 2 * N_SUBJECTS and arms[1]["subject"] == f"{table[0]['subject']}:treated"
    assert arms[0]["motoneuron.gain"] == "" and float(arms[1]["motoneuron.gain"]) > 0  # the treated value
    record = json.loads(result.provenance.read_text())
    assert record["result"] == json.loads(json.dumps(result.as_dict()))
    assert record["design"].startswith("paired") and record["arms_provenance"]["n_subjects"] == 2 * N_SUBJECTS
    assert record["bootstrap"] == {"resamples": RESAMPLES, "seed": 3, "method": "percentile"}
    assert not (result.arms_table.parent / f"{result.arms_table.name}.parts").exists()


def test_an_interrupted_trial_resumes_and_gives_the_same_numbers(reference, tmp_path):
    expected, _ = reference

    def stop_after_first_chunk(done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_trial(tmp_path / "trial.csv", progress=stop_after_first_chunk)
    assert not (tmp_path / "trial.csv").exists()
    result = run_trial(tmp_path / "trial.csv")
    arms = json.loads(result.arms_table.with_name(result.arms_table.name + ".provenance.json").read_text())
    assert arms["reused_chunks"] == 1 and arms["computed_chunks"] == N_SUBJECTS // CHUNK - 1
    assert result.as_dict() == expected.as_dict()


def test_an_unknown_outcome_stops_after_the_simulations_and_the_rerun_reuses_them(tmp_path):
    rows = population()[:CHUNK]
    options = {"out": tmp_path / "t.csv", "protocol": PROTOCOL, "chunk_size": CHUNK, "resamples": 100}
    with pytest.raises(ParameterError, match=r"outcome: expected a numeric field .*r2n.*; got 'r3'"):
        cohort_trial(rows, TREATMENT, outcome="r3", **options)
    assert (tmp_path / "t.arms.csv.parts").is_dir() and not (tmp_path / "t.csv").exists()
    result = cohort_trial(rows, TREATMENT, outcome="n_oscillations", **options)
    arms = json.loads((tmp_path / "t.arms.csv.provenance.json").read_text())
    assert arms["computed_chunks"] == 0 and arms["reused_chunks"] == 1 and result.outcome == "n_oscillations"


@pytest.mark.parametrize(("treatment", "options", "error", "match"), [
    ("aspirin", {}, ParameterError, "aspirin"),
    ("baclofen_oral:500", {}, ParameterError, r"baclofen_oral dose: expected a value in \[0, 120\] mg/day"),
    ("rhizotomy", {"joint": "elbow"}, ParameterError, "rhizotomy at the elbow"),
    (TREATMENT, {"condition": "flu"}, ParameterError, "condition"),
    (TREATMENT, {"outcome": "status"}, ParameterError, "outcome"),
    (TREATMENT, {"seed": -1}, ParameterError, "seed"),
    (TREATMENT, {"out_name": "trial.txt"}, OutputError, "trial.txt"),
])
def test_bad_input_is_refused_before_any_work(tmp_path, treatment, options, error, match):
    out = tmp_path / options.pop("out_name", "trial.csv")
    with pytest.raises(error, match=match):
        cohort_trial(population()[:4], treatment, out=out, protocol=PROTOCOL, **options)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Dask: the same chunks on a LocalCluster of two worker processes give identical numbers


def test_dask_local_cluster_gives_identical_numbers(reference, compile_cache, tmp_path, monkeypatch):
    """Bit-equality needs the workers to run JAX as this process does. conftest.py calls
    ``myoreflex.configure()`` (one XLA CPU device per core, the small-loop option); workers that
    are not configured compute some values differently in the last bit (2e-15 in one R2n of 80
    here), so the workers are configured too, as the command line configures its own process."""
    distributed = pytest.importorskip("distributed")
    import myoreflex

    expected, _ = reference
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(compile_cache))  # inherited by the workers
    monkeypatch.setenv("JAX_NUMPY_RANK_PROMOTION", "raise")  # as in conftest, for the same cache key
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        client.run(myoreflex.configure)
        result = run_trial(tmp_path / "dask.csv", scheduler=client)
    arms = json.loads(result.arms_table.with_name(result.arms_table.name + ".provenance.json").read_text())
    assert arms["scheduler"].startswith("client of") and arms["computed_chunks"] == N_SUBJECTS // CHUNK
    assert result.as_dict() == expected.as_dict()  # exact equality, every number
    np.testing.assert_array_equal(result.control, expected.control)
    np.testing.assert_array_equal(result.treated, expected.treated)
    assert result.table.read_text() == expected.table.read_text()


# ---------------------------------------------------------------------------------------------
# The figure


def test_trial_figure_draws_both_panels_or_on_a_given_axes(reference):
    from matplotlib.figure import Figure

    result, _ = reference
    figure = trial_figure(result)
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    assert "d_z" in figure.axes[1].get_title() and figure.axes[0].get_xlabel() == "control r2n"
    own = Figure()
    ax = own.add_subplot()
    assert trial_figure(result, ax=ax) is own and len(own.axes) == 1 and ax.get_xlabel() == "treated - control r2n"
    assert isinstance(result, TrialResult)
