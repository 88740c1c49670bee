"""``accord pbft bench``: the command parses and calls accord.consensus.commands.bench."""

import json

import pytest

from accord.cli import main
from accord.consensus.commands import BENCH_COLUMNS, bench

SIM = [
    "pbft",
    "bench",
    "--transport",
    "sim",
    "--n",
    "4",
    "--batch",
    "10",
    "--seconds",
    "0.2",
    "--clients",
    "8",
]


def test_sim_bench_prints_a_table(capsys):
    assert main(SIM) == 0
    header, row = capsys.readouterr().out.strip().splitlines()
    assert header.split() == list(BENCH_COLUMNS)
    cells = row.split()
    assert cells[:5] == ["sim", "4", "10", "8", "null"] and cells[8] == "virtual"
    assert int(cells[9]) > 0


def test_sim_bench_json_lines_and_protocol_fields(capsys):
    assert (
        main(
            SIM
            + ["--n", "4", "5", "--json", "--pipeline", "2", "--protocol", "client_timeout=0.75"]
        )
        == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [(r["transport"], r["n"], r["batch"]) for r in rows] == [("sim", 4, 10), ("sim", 5, 10)]


def test_sim_view_change_prints_one_line_per_run(capsys):
    rows = bench([4], [10], transport="sim", clients=4, view_change=True)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == len(out) == 1
    assert out[0].startswith(
        "sim n=4 batch=10: primary killed -> first request completed in "
        f"view {rows[0]['new_view']} after "
    )
    assert "s virtual (client_timeout" in out[0]


def test_bad_options(capsys):
    with pytest.raises(ValueError, match=r"bench\(\): transport must be one of 'tcp', 'sim'"):
        bench([4], [10], transport="udp")
    assert main(SIM + ["--protocol", "no_equals_sign"]) == 2
    assert "--protocol takes KEY=VALUE" in capsys.readouterr().err
