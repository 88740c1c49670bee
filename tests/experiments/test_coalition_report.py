import math

import numpy as np
import pytest

from accord.cli import main
from accord.experiments.coalition import DEFAULTS, report_tables
from accord.runner import ResultStore, load, parse_config, report_experiment

T_975_2 = 4.302652729911275  # Student t quantile 0.975 with 2 degrees of freedom
CONFIG = """
[experiment]
kind = "coalition"
name = "synth"
runs = 3
seed = 1
[settings]
environment = "software-5"
stages = 60
gamma = 0.9
rewards_profile = [1, 2]
[grid]
method = ["myopic", "vpi"]
negotiation = ["fn", "osp"]
prior = ["uniform", "misinformed"]
[[extra]]
method = "informed"
negotiation = ["fn", "osp"]
prior = "uniform"
[[extra]]
environment = "crime"
phase_start = 40
method = ["myopic", "informed"]
negotiation = "fn"
prior = "uniform"
"""
#: uniform-prior distance 1 - 1/|T_j| of the software company's five agents
START = np.array([2 / 3, 0.75, 2 / 3, 0.75, 2 / 3])
LEVEL = {"myopic": 1.0, "vpi": 2.0, "informed": 4.0}
SPREAD = {"myopic": 0.5, "vpi": 1.0, "informed": 0.0}


def level(p):
    """Reward per stage from stage 10 on is level(p) + SPREAD * run; 100 before."""
    return (
        LEVEL[p["method"]]
        + (0.5 if p["negotiation"] == "osp" else 0.0)
        - (0.25 if p["prior"] == "misinformed" else 0.0)
        + (10.0 if p["environment"] == "crime" else 0.0)
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    cfg = parse_config(CONFIG, str(d / "synth.toml"))
    store = ResultStore(d / "res")
    store.init(cfg)
    for t in cfg.tasks():
        p = t.params
        r = np.full(60, level(p) + SPREAD[p["method"]] * t.run)
        r[:10] = 100.0
        values = {"rewards": r}
        if p["environment"] == "software-5":  # in the core from stage 5 + 5 run (vpi: 5 run)
            first = 5 * t.run + (0 if p["method"] == "vpi" else 5)
            values["in_core"] = np.arange(60) >= first
            # final belief distances: the prior's, except run 0 of vpi learns agent 0's type
            d = np.full((5, 5), 0.7) if p["prior"] == "misinformed" else np.tile(START, (5, 1))
            np.fill_diagonal(d, 0.0)
            if p["method"] == "vpi" and t.run == 0:
                d[1:, 0] = 0.0
            values["distance"] = d.reshape(-1)
        store.write(t, values)
    return store


def test_tables_against_hand_computation(store):
    tables = report_tables(load(store.root))
    acc, final, core = tables["accumulated"], tables["final"], tables["core"]
    key = [(r["setting"], r["negotiation"], r["prior"], r["method"]) for r in acc]
    assert key[:5] == [
        ("software-5", "fn", "uniform", "myopic"),
        ("software-5", "fn", "uniform", "vpi"),
        ("software-5", "fn", "uniform", "informed"),
        ("software-5", "fn", "misinformed", "myopic"),
        ("software-5", "fn", "misinformed", "vpi"),
    ]
    assert len(acc) == len(final) == 12 and key[-2:] == [
        ("crime phase_start=40", "fn", "uniform", "myopic"),
        ("crime phase_start=40", "fn", "uniform", "informed"),
    ]
    head = sum(100.0 * 0.9**t for t in range(10))
    tail = sum(0.9**t for t in range(10, 60))
    for a, f in zip(acc, final, strict=True):
        p = {
            **a["params"],
            "method": a["method"],
            "negotiation": a["negotiation"],
            "prior": a["prior"],
        }
        assert a["runs"] == 3 and a["params"]["rewards_profile"] == [1, 2]
        per_run = [head + (level(p) + SPREAD[p["method"]] * run) * tail for run in range(3)]
        sd = np.std(per_run, ddof=1)
        assert a["mean"] == pytest.approx(np.mean(per_run))
        assert a["ci"] == pytest.approx(T_975_2 * sd / math.sqrt(3), abs=1e-9)
        # final 50 stages: level + spread * run, averaged over runs 0, 1, 2
        assert f["window"] == 50
        assert f["mean"] == pytest.approx(level(p) + SPREAD[p["method"]])
        assert f["ci"] == pytest.approx(T_975_2 * SPREAD[p["method"]] / math.sqrt(3))
        informed = level({**p, "method": "informed", "prior": "uniform"})
        assert f["informed"] == pytest.approx(informed) and f["informed_prior"] == "uniform"
        assert f["percent"] == pytest.approx(100 * f["mean"] / informed)
    row = final[3]  # software-5, fn, misinformed, myopic: informed from the uniform prior
    assert row["percent"] == pytest.approx(100 * (1 - 0.25 + 0.5) / 4.0)

    assert len(core) == 10  # crime has no in_core: not in Table 4
    for c in core:
        assert c["setting"] == "software-5" and c["runs"] == 3
        assert c["converged"] == (3 if c["method"] == "vpi" else 2)


def test_report_command_prints_and_draws(store, tmp_path, capsys):
    assert main(["report", str(store.root), "--out", str(tmp_path / "fig")]) == 0
    out = capsys.readouterr().out
    for text in (
        "Settings",
        "software-5: environment=software-5, stages=60, gamma=0.9",
        "Table 1",
        "Tables 2/3",
        "Table 4",
        "% informed",
        "6 figures written",
        f"figures in {tmp_path / 'fig'}",
    ):
        assert text in out
    names = sorted(p.name for p in (tmp_path / "fig").iterdir())
    assert names == [
        "accumulated_crime-phase_start-40_fn_uniform.png",
        "accumulated_software-5_fn_misinformed.png",
        "accumulated_software-5_fn_uniform.png",
        "accumulated_software-5_osp_misinformed.png",
        "accumulated_software-5_osp_uniform.png",
        "phase_crime-phase_start-40_fn_uniform.png",
    ]
    for n in names:
        assert (tmp_path / "fig" / n).read_bytes()[:4] == b"\x89PNG"


def test_report_errors(tmp_path, capsys):
    empty = ResultStore(tmp_path / "empty")
    empty.init(parse_config(CONFIG, "synth.toml"))
    assert main(["report", str(empty.root)]) == 2
    assert "has no finished runs yet" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "is not a results directory" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"report_experiment\(\): .* has no finished runs"):
        report_experiment(empty.root)


def test_report_rejects_foreign_tables():
    import pyarrow as pa

    with pytest.raises(ValueError, match=r"report\(\): the table has no 'rewards' column"):
        report_tables(pa.table({"method": ["a"]}))


def test_hand_built_table_without_gamma():
    """No store metadata and no gamma column: the experiment's default discount."""
    import pyarrow as pa

    r = [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]
    table = pa.table(
        {
            "environment": ["gbu", "gbu"],
            "method": ["vpi", "vpi"],
            "negotiation": ["fn", "fn"],
            "prior": ["uniform", "uniform"],
            "run": [0, 1],
            "seed": [5, 6],
            "rewards": r,
        }
    )
    (row,) = report_tables(table, window=2)["accumulated"]
    g = DEFAULTS["gamma"]
    expected = np.mean([sum(g**t * x for t, x in enumerate(run)) for run in r])
    assert row["setting"] == "gbu" and row["params"] == {"environment": "gbu"}
    assert row["mean"] == pytest.approx(expected)
    (final,) = report_tables(table, window=2)["final"]
    assert final["mean"] == pytest.approx(2.0) and final["informed"] is None
    assert final["percent"] is None and report_tables(table)["core"] == []


def test_belief_distance_table(store):
    rows = report_tables(load(store.root))["distance"]
    assert {r["method"] for r in rows} == {"myopic", "vpi", "informed"}
    for r in rows:
        if r["method"] == "vpi":
            # one run of three moved 4 of its 20 pairs to 0
            assert r["at_prior"] == pytest.approx(1 - 4 / 60)
        else:
            assert r["at_prior"] == 1.0
        if r["prior"] == "misinformed" and r["method"] == "myopic":
            assert r["mean"] == pytest.approx(0.7)
        assert r["below_half"] == pytest.approx(4 / 60 if r["method"] == "vpi" else 0.0)


def test_belief_distances_of_settings_that_only_some_cells_set(tmp_path):
    """A setting column set in some cells only (null elsewhere) keeps its default in
    the others when the prior distances are rebuilt."""
    cfg = parse_config(
        """
[experiment]
kind = "coalition"
name = "mixed"
runs = 1
seed = 1
[settings]
environment = "software-5"
stages = 5
negotiation = "fn"
prior = "misinformed"
[grid]
method = ["myopic"]
[[extra]]
method = "myopic"
spread = "opposite"
""",
        str(tmp_path / "mixed.toml"),
    )
    store = ResultStore(tmp_path / "res")
    store.init(cfg)
    for t in cfg.tasks():
        d = np.full((5, 5), 0.7)
        np.fill_diagonal(d, 0.0)
        store.write(t, {"rewards": np.ones(5), "distance": d.reshape(-1)})
    rows = report_tables(load(store.root))["distance"]
    assert len(rows) == 2 and all(r["at_prior"] == 1.0 for r in rows)
