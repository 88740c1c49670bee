#!/usr/bin/env python
"""Check (or rewrite) the committed type stubs of the compiled modules.

The stubs of ``accord._core`` (``python/accord/_core/*.pyi``, one file per submodule) and
``accord._cuda`` (``python/accord/_cuda.pyi``) are generated from the built modules by
pybind11-stubgen, then sorted and formatted by ruff with the project's settings.  The
check regenerates them into a temporary directory and fails, showing the difference,
when a committed stub is stale; ``accord._cuda`` is skipped when it was not built.

    python tools/check_stubs.py                  # check (CI)
    python tools/check_stubs.py --write          # regenerate after changing a binding
    python tools/check_stubs.py --require-cuda   # fail instead of skipping accord._cuda

Needs the installed (or editable) accord, ``pybind11-stubgen`` and ``ruff``.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "accord"
MODULES = ("accord._core", "accord._cuda")


def generate(module: str, out: Path) -> None:
    """pybind11-stubgen for ``module`` into ``out``, then ruff (imports, format)."""
    subprocess.run(
        [sys.executable, "-m", "pybind11_stubgen", module, "--output-dir", str(out), "--exit-code"],
        check=True,
    )
    config = ["--config", str(ROOT / "pyproject.toml")]
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run(
        [*ruff, "check", *config, "--no-cache", "--quiet", "--fix", "--select", "I", str(out)],
        check=True,
    )
    subprocess.run([*ruff, "format", *config, "--no-cache", "--quiet", str(out)], check=True)


def stub_files(base: Path, module: str) -> dict[str, Path]:
    """The stubs of ``module`` under ``base`` (a directory holding ``accord/``), by path
    relative to the package."""
    name = module.split(".")[-1]
    pkg = base / "accord"
    files = {}
    if (pkg / f"{name}.pyi").is_file():
        files[f"{name}.pyi"] = pkg / f"{name}.pyi"
    if (pkg / name).is_dir():
        for p in sorted((pkg / name).rglob("*.pyi")):
            files[str(p.relative_to(pkg))] = p
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the committed stubs")
    ap.add_argument(
        "--require-cuda",
        action="store_true",
        help="fail when accord._cuda is not built (default: skip it)",
    )
    args = ap.parse_args(argv)
    for tool in ("pybind11_stubgen", "ruff"):
        if importlib.util.find_spec(tool) is None:
            print(
                f"check_stubs: {tool} is not installed (pip install {tool.replace('_', '-')})",
                file=sys.stderr,
            )
            return 2
    stale = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for module in MODULES:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                if module == "accord._cuda" and not args.require_cuda:
                    print(f"check_stubs: {module} skipped (not built: {exc})")
                    continue
                print(f"check_stubs: cannot import {module}: {exc}", file=sys.stderr)
                return 2
            generate(module, out)
            fresh = stub_files(out, module)
            committed = stub_files(PACKAGE.parent, module)
            if args.write:
                for rel in committed.keys() - fresh.keys():
                    committed[rel].unlink()
                for rel, path in fresh.items():
                    (PACKAGE / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, PACKAGE / rel)
                print(f"check_stubs: wrote {len(fresh)} stub(s) of {module}")
                continue
            for rel in sorted(fresh.keys() | committed.keys()):
                new = fresh[rel].read_text().splitlines(keepends=True) if rel in fresh else []
                old = (
                    committed[rel].read_text().splitlines(keepends=True) if rel in committed else []
                )
                if new != old:
                    stale += 1
                    sys.stdout.writelines(
                        difflib.unified_diff(
                            old,
                            new,
                            f"python/accord/{rel} (committed)",
                            f"python/accord/{rel} (from the build)",
                        )
                    )
            print(
                f"check_stubs: {module}: {len(fresh)} stub(s) "
                + ("checked" if not stale else "compared")
            )
    if stale:
        print(
            f"check_stubs: {stale} stub(s) are stale; regenerate them with "
            "`python tools/check_stubs.py --write` and commit the result",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
