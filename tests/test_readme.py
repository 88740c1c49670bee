"""Every Python snippet of the README runs as written (inputs defined, names current)."""

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_snippets():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_snippet_runs(code, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # snippets that write files write them here
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})


def test_toml_shown_is_the_file_it_names():
    """A TOML block whose first line names a file shows that file exactly."""
    root = README.parent
    blocks = re.findall(r"```toml\n# (\S+\.toml)\n(.*?)```", README.read_text(), re.S)
    assert blocks
    for name, body in blocks:
        assert (root / name).read_text() == body, name
