"""Reading docs/behaviour.md and docs/decisions.md: their sections, decisions and refinements.

Shared by ``test_traceability.py`` (every section and decision is tested, and the two documents
agree on which decision refines which section) and ``test_references.py`` (every ``§n`` cited
anywhere exists).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEHAVIOUR = ROOT / "docs" / "behaviour.md"
DECISIONS = ROOT / "docs" / "decisions.md"

#: A section heading of docs/behaviour.md: ``## 4. Time`` or ``### 5.1 Create``.
_HEADING = re.compile(r"^(#{2,3}) (\d+(?:\.\d+)?)\.? \S", re.M)
#: The line under a section that names the decisions refining it: ``Refined by D3, D4.``
_REFINED_BY = re.compile(r"^Refined by (D\d+(?:, D\d+)*)\.$")
#: The first line of a decision: ``**D4. Title** (refines §6.5; ...`` or ``(refines §4, §5.5)``.
_DECISION = re.compile(r"^\*\*D(\d+)\.")
_REFINES = re.compile(r"^\*\*D\d+\.[^\n]*?\*\* \(refines (§[\d.]+(?:, §[\d.]+)*)[);]")


def behaviour_sections() -> list[str]:
    """The section numbers of docs/behaviour.md in document order: ``["1", "2", ..., "5.1"]``."""
    text = BEHAVIOUR.read_text(encoding="utf-8")
    return [match.group(2) for match in _HEADING.finditer(text)]


def behaviour_headings() -> list[tuple[int, str]]:
    """(level, number) of each section heading: level 2 for ``##``, 3 for ``###``."""
    text = BEHAVIOUR.read_text(encoding="utf-8")
    return [(len(match.group(1)), match.group(2)) for match in _HEADING.finditer(text)]


def refined_by() -> set[tuple[int, str]]:
    """(decision, section) for each decision a section's "Refined by" line names."""
    pairs: set[tuple[int, str]] = set()
    section: str | None = None
    for line in BEHAVIOUR.read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading:
            section = heading.group(2)
            continue
        refined = _REFINED_BY.match(line)
        if refined:
            assert section is not None, f"a 'Refined by' line before any section: {line!r}"
            pairs.update((int(d[1:]), section) for d in refined.group(1).split(", "))
    return pairs


def decision_lines() -> dict[int, str]:
    """The first line of each decision of docs/decisions.md, by number."""
    lines: dict[int, str] = {}
    for line in DECISIONS.read_text(encoding="utf-8").splitlines():
        match = _DECISION.match(line)
        if match:
            lines[int(match.group(1))] = line
    return lines


def refines(line: str) -> list[str]:
    """The sections a decision's first line says it refines (``[]`` if it names none)."""
    match = _REFINES.match(line)
    if match is None:
        return []
    return [section.removeprefix("§") for section in match.group(1).split(", ")]
