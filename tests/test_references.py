"""Every ``Author (Year)`` citation in the code has an entry in docs/references.rst, and
no code or page cites the team's source notes instead of the literature."""

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIBLIOGRAPHY = ROOT / "docs" / "references.rst"
SOURCES = [ROOT / "python", ROOT / "csrc", ROOT / "cuda"]
SUFFIXES = {".py", ".pyi", ".h", ".hpp", ".cpp", ".cu", ".cuh"}

_NAME = r"(?:(?:van|von|de)\s)?(?:O'|Mc|d')?[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?"
_AUTHORS = rf"{_NAME}(?:(?:,\s+|,?\s+(?:&|and)\s+){_NAME})*(?:\s+et\s+al\.)?"
#: "Shapley (1953)", "Castro & Liskov 1999", "Hart & Mas-Colell's (2000)", "Mnih et al. 2015".
CITATION = re.compile(rf"({_AUTHORS})(?:'s)?,?\s+\(?((?:1[89]|20)\d\d)[a-z]?\b")
#: Words that precede a year without being an author ("Annals of Statistics, 1991").
NOT_AUTHORS = {"Statistics", "Robust", "Learning", "Theory", "Nature", "Biometrika"}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", text).lower()


def _keys() -> set[str]:
    return {_plain(k) for k in re.findall(r"^\.\. \[(\w+)\]", BIBLIOGRAPHY.read_text(), re.M)}


def _citations():
    for root in SOURCES:
        for path in sorted(root.rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            text = re.sub(r"\s*(?:#|//)\s*", " ", path.read_text(encoding="utf-8"))
            text = re.sub(r"\s+", " ", text)
            for m in CITATION.finditer(text):
                surnames = re.split(r",\s+|,?\s+(?:&|and)\s+", m.group(1).replace(" et al.", ""))
                if surnames[0] not in NOT_AUTHORS:
                    yield path.relative_to(ROOT), m.group(0), _plain(surnames[0]), m.group(2)


def test_bibliography_keys_are_unique():
    keys = re.findall(r"^\.\. \[(\w+)\]", BIBLIOGRAPHY.read_text(), re.M)
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+(?:EtAl)?\d{4}", k) for k in keys), keys


def test_every_citation_is_in_the_bibliography():
    keys = _keys()
    missing = sorted(
        {
            f"{path}: {text}"
            for path, text, surname, year in _citations()
            if not any(k.startswith(surname) and k.endswith(year) for k in keys)
        }
    )
    assert not missing, "cited but not in docs/references.rst:\n" + "\n".join(missing)


@pytest.mark.parametrize("root", ["python", "docs", "examples", "README.md"])
def test_no_citation_of_source_notes(root):
    pattern = re.compile(r"seed 00\d|seeds/|DESIGN\.md", re.I)
    paths = [ROOT / root] if (ROOT / root).is_file() else sorted((ROOT / root).rglob("*"))
    hits = []
    for path in paths:
        if path.suffix in {".py", ".rst", ".md", ".toml", ".json"} and "_build" not in path.parts:
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not hits, "\n".join(hits)
