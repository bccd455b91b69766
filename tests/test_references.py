"""The repository stands on its own: every reference in it leads somewhere inside it.

Checked in every doc (``docs/*.md``, README.md, CHANGELOG.md), every module, test, benchmark and
example, and the CI scripts:

- a section citation ``§n`` or ``§n.m`` names a section docs/behaviour.md has (a section of
  another document is cited with its name in front: ``RFC 9112 §2.2``);
- a relative link ``[text](target)`` of a Markdown file (outside code) leads to a file that
  exists, relative to the file that links;
- a Markdown file named in passing (``docs/replay.md``, ``README.md``, ``concepts.md``) exists,
  relative to the file that names it, to the repository, or in ``docs/``;
- nothing names the contract, the reference notes or the guide's text as files outside the
  repository, nor calls the AWS guide by another name: docs/behaviour.md, docs/references.md
  and the guide's title are what to cite.

``test_the_checks_find_what_they_look_for`` shows each check failing on a bad line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.contract import ROOT, behaviour_sections

#: Where references live: the docs, the package, its tests, benchmarks, examples and CI.
_TREES = {
    "docs": ("*.md",),
    "warmpool": ("*.py",),
    "tests": ("*.py",),
    "benchmarks": ("*.py",),
    "examples": ("*.py", "*.md"),
    ".ci": ("*",),
}
_TOP = ("README.md", "CHANGELOG.md", "pyproject.toml")

#: ``§5`` or ``§5.4``.
_SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
#: A section of another document: its name right before the ``§``.
_OTHER_DOCUMENT = re.compile(r"\bRFC \d+ $")
#: ``[text](target)``; the target has no spaces (Markdown's rule without angle brackets).
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
#: An inline code span: links are not looked for inside one (regular expressions look alike).
_CODE = re.compile(r"`[^`]*`")
_URL = re.compile(r"<?[a-z][a-z0-9+.-]*://[^\s)>\]`'\"]+>?")
#: A Markdown file's path or name: ``docs/replay.md``, ``../README.md``, ``concepts.md``.
_MD_MENTION = re.compile(r"(?<![\w./*-])((?:\.\.?/)*\w[\w./-]*\.md)\b")
#: What an outside reference looks like. Written so that this file does not match itself.
_FORBIDDEN = {
    r"\bSPEC\.md\b": "names a behaviour contract outside the repository: cite docs/behaviour.md",
    r"\bSPEC\s*§": "cites the old contract: write 'behaviour §n'",
    r"\baws-fact[s]": "names reference notes outside the repository: cite docs/references.md",
    r"\.\./shared\b": "names a directory outside the repository",
    r"\bseed\s+doc": "calls the AWS guide by an old name: name it 'the AWS guide'",
    r"\bthe\s+seed\b": "calls the AWS guide by an old name: name it 'the AWS guide'",
    r"\bseed[\s_-]+rules?\b": "names the AWS guide's rules by an old name: name them after it",
}


def _sources() -> list[Path]:
    paths = [ROOT / name for name in _TOP]
    for tree, patterns in _TREES.items():
        for pattern in patterns:
            paths.extend(
                path
                for path in (ROOT / tree).rglob(pattern)
                if path.is_file() and "__pycache__" not in path.parts
            )
    return sorted(set(paths))


SOURCES = _sources()


def _lines(path: Path) -> list[tuple[int, str]]:
    return list(enumerate(path.read_text(encoding="utf-8").splitlines(), start=1))


def _where(path: Path, line: int) -> str:
    try:
        shown = path.relative_to(ROOT)
    except ValueError:
        shown = path
    return f"{shown}:{line}"


def bad_sections(path: Path, sections: set[str]) -> list[str]:
    """Each ``§n`` in ``path`` that docs/behaviour.md does not have."""
    problems = []
    for number, line in _lines(path):
        for match in _SECTION.finditer(line):
            if _OTHER_DOCUMENT.search(line[: match.start()]):
                continue
            if match.group(1) not in sections:
                problems.append(f"{_where(path, number)}: §{match.group(1)} is not a section")
    return problems


def _md_exists(path: Path, name: str) -> bool:
    candidates = [path.parent / name, ROOT / name]
    if "/" not in name:
        candidates.append(ROOT / "docs" / name)
    return any(candidate.is_file() for candidate in candidates)


def _missing_target(path: Path, target: str) -> str | None:
    """The file a relative link of ``path`` leads to, if it does not exist."""
    target = target.strip("<>")
    if _URL.fullmatch(target) or target.startswith(("#", "mailto:")):
        return None
    file = target.split("#", 1)[0]
    return file if file and not (path.parent / file).exists() else None


def bad_files(path: Path) -> list[str]:
    """Each relative link in ``path`` (a Markdown file) to a file that does not exist, and each
    Markdown file ``path`` names that does not exist."""
    problems = []
    markdown, fenced = path.suffix == ".md", False
    for number, line in _lines(path):
        if markdown and line.lstrip().startswith("```"):
            fenced = not fenced
        if markdown and not fenced:
            for match in _LINK.finditer(_CODE.sub(" ", line)):
                missing = _missing_target(path, match.group(1))
                if missing:
                    problems.append(
                        f"{_where(path, number)}: the link target {missing} does not exist"
                    )
        prose = _URL.sub(" ", _LINK.sub(" ", line))
        for match in _MD_MENTION.finditer(prose):
            if not _md_exists(path, match.group(1)):
                problems.append(f"{_where(path, number)}: {match.group(1)} does not exist")
    return problems


def outside_names(path: Path) -> list[str]:
    """Each line of ``path`` that names something outside the repository."""
    problems = []
    for number, line in _lines(path):
        for pattern, why in _FORBIDDEN.items():
            if re.search(pattern, line, flags=re.IGNORECASE):
                problems.append(f"{_where(path, number)}: {why}")
    return problems


@pytest.fixture(scope="module")
def sections() -> set[str]:
    return set(behaviour_sections())


def test_the_sources_include_docs_code_and_tests() -> None:
    """The checks below read the docs, the package, the tests and this file."""
    names = {path.relative_to(ROOT).as_posix() for path in SOURCES}
    expected = {"docs/behaviour.md", "docs/references.md", "README.md", "warmpool/emulator.py"}
    assert expected | {"tests/test_references.py", "benchmarks/baseline.py", ".ci/run"} <= names


def test_every_section_cited_exists(sections: set[str]) -> None:
    """behaviour §1-§13: every ``§n`` in a doc, docstring, comment or test is a section of
    docs/behaviour.md."""
    problems = [problem for path in SOURCES for problem in bad_sections(path, sections)]
    assert not problems, "\n".join(problems)


def test_every_markdown_file_named_exists() -> None:
    """Relative links lead to files that exist; every ``*.md`` named is in the repository."""
    problems = [problem for path in SOURCES for problem in bad_files(path)]
    assert not problems, "\n".join(problems)


def test_nothing_names_files_outside_the_repository() -> None:
    """No contract, notes or guide text outside the repository is named, and the AWS guide is
    called by its name."""
    problems = [problem for path in SOURCES for problem in outside_names(path)]
    assert not problems, "\n".join(problems)


def test_the_checks_find_what_they_look_for(tmp_path: Path, sections: set[str]) -> None:
    """Each check fails on a bad line (so the tests above can fail), and passes good ones."""
    # Built from pieces, so that the checks do not find these lines in this file itself.
    section, md, outside = "§", ".md", "SPEC" + ".md"
    page = tmp_path / f"page{md}"
    page.write_text(
        f"Good: behaviour {section}6.5, {section}13, RFC 9112 {section}2.2, `[a](-b)`,"
        f" [guide](https://example.com/a{md}), [self](page{md}#top).\n"
        f"Bad: behaviour {section}99 and {section}5.9.\n"
        f"Bad: [gone](gone{md}), docs/nowhere{md}.\n"
        f"Bad: {outside} and the " + "seed" + " document.\n"
        "```text\n"
        f"[a](-b) in a code block, {section}2\n"
        "```\n",
        encoding="utf-8",
    )
    assert [p.split(": ", 1)[1] for p in bad_sections(page, sections)] == [
        f"{section}99 is not a section",
        f"{section}5.9 is not a section",
    ]
    assert [p.split(": ", 1)[1] for p in bad_files(page)] == [
        f"the link target gone{md} does not exist",
        f"docs/nowhere{md} does not exist",
        f"{outside} does not exist",
    ]
    # The file outside, and the guide's two old names: three problems, all on line 4.
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in outside_names(page)] == ["4"] * 3


def test_references_names_the_botocore_version_of_the_bundled_model() -> None:
    """docs/references.md names the botocore release the bundled model excerpt comes from."""
    model = json.loads((ROOT / "warmpool/data/sagemaker-training-model.json").read_text())
    version = re.match(r"botocore (\d+\.\d+\.\d+) ", model["source"])
    assert version is not None
    references = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    assert f"**botocore {version.group(1)}**" in references
