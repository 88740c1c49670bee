from runner_toy import CONFIG, register_toy, write_config

from accord.cli import build_parser, main
from accord.runner import load

register_toy()


def test_run_and_report_commands(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path)
    res = tmp_path / "res"
    argv = ["run", str(cfg), "--results", str(res), "--executor", "serial", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"toy-test: 24 runs (6 cells x 4) in {res}: 0 already there, 24 run now" in out
    assert main(argv) == 0
    assert "24 already there, 0 run now" in capsys.readouterr().out
    assert load(res).num_rows == 24

    assert main(["report", str(res)]) == 0
    out = capsys.readouterr().out
    assert "toy report: 24 rows" in out and (res / "report" / "toy.txt").read_text() == "24"

    # default results directory: results/<name> under the working directory
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(cfg), "--executor", "serial", "--no-progress"]) == 0
    assert load(tmp_path / "results" / "toy-test").num_rows == 24


def test_run_command_errors(tmp_path, capsys, monkeypatch):
    bad = write_config(tmp_path, CONFIG.replace("runs = 4", "runs = 0"), "bad.toml")
    assert main(["run", str(bad)]) == 2
    assert "accord: error: load_config(): " in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err

    cfg = write_config(tmp_path)
    monkeypatch.setenv("RUNNER_TOY_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("RUNNER_TOY_STOP_AFTER", "2")
    monkeypatch.setenv("RUNNER_TOY_STOP_HOW", "error")
    res = str(tmp_path / "res")
    assert main(["run", str(cfg), "--results", res, "--executor", "serial"]) == 1
    err = capsys.readouterr().err
    # one line; the worker's traceback is in the results directory
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "RuntimeError: toy failure" in err and "the 2 finished runs are kept" in err
    log = tmp_path / "res" / "logs" / "failure.log"
    assert f"traceback in {log}" in err
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: toy failure" in text and "runner_toy.py" in text
    argv = ["run", str(cfg), "--results", res, "--executor", "serial", "--verbose"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: toy failure" in err
    assert err.strip().splitlines()[-1].startswith("accord: error: run_experiment(): run ")
    monkeypatch.setenv("RUNNER_TOY_STOP_HOW", "interrupt")
    assert main(["run", str(cfg), "--results", res, "--executor", "serial"]) == 130
    assert "interrupted; 2 of 24 runs are finished" in capsys.readouterr().err

    assert main(["run", str(cfg), "--results", res, "--workers", "0"]) == 2
    assert "workers must be >= 1" in capsys.readouterr().err


def test_parser_keeps_existing_commands():
    p = build_parser()
    args = p.parse_args(["run", "c.toml", "--workers", "3", "--executor", "ray"])
    assert (
        args.config,
        args.workers,
        args.executor,
        args.threads,
        args.no_progress,
        args.results,
    ) == ("c.toml", 3, "ray", 1, False, None)
    args = p.parse_args(["report", "r", "--out", "o"])
    assert (args.results, args.out) == ("r", "o")
    assert p.parse_args(["coop", "banzhaf", "g.json"]).file == "g.json"
