"""Every documented decision and every section of the behaviour contract has tests citing it.

The behaviour contract, ``docs/behaviour.md``, numbers its sections §1, §2, ... (some with
subsections, §5.1); the decisions in ``docs/decisions.md`` are numbered D1, D2, ... and each names
the sections it refines. Tests cite both in their docstrings (``behaviour §6.5 / D4: ...``). A
rule nobody tests is a promise nobody checks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.contract import (
    behaviour_headings,
    behaviour_sections,
    decision_lines,
    refined_by,
    refines,
)

TESTS = Path(__file__).resolve().parent
#: The sections of docs/behaviour.md that state behaviour (§1 defines words).
BEHAVIOUR_SECTIONS = [section for section in behaviour_sections() if section != "1"]


def _test_sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(TESTS.glob("test_*.py"))
        if path.name != Path(__file__).name
    )


def _decision_numbers() -> list[int]:
    return list(decision_lines())


def test_decisions_are_numbered_without_gaps() -> None:
    """docs/decisions.md numbers its decisions D1..Dn in order, each once."""
    numbers = _decision_numbers()
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 20


def test_behaviour_sections_are_numbered_in_order() -> None:
    """docs/behaviour.md numbers its sections 1..n, and each section's subsections n.1..n.k,
    in the order they appear."""
    expected: list[tuple[int, str]] = []
    top = sub = 0
    for level, _ in behaviour_headings():
        if level == 2:
            top, sub = top + 1, 0
            expected.append((2, str(top)))
        else:
            sub += 1
            expected.append((3, f"{top}.{sub}"))
    assert behaviour_headings() == expected
    assert top >= 11


@pytest.mark.parametrize("number", _decision_numbers())
def test_every_decision_is_cited_by_a_test(number: int) -> None:
    """Each decision Dn of docs/decisions.md is cited by at least one test."""
    assert re.search(rf"\bD{number}\b", _test_sources()), f"no test cites D{number}"


@pytest.mark.parametrize("section", BEHAVIOUR_SECTIONS)
def test_every_behaviour_section_is_cited_by_a_test(section: str) -> None:
    """Each section of docs/behaviour.md from §2 on, subsections included, is cited by a test
    (a test citing §5.3 cites §5 too)."""
    pattern = rf"§{re.escape(section)}(?!\d)"
    assert re.search(pattern, _test_sources()), f"no test cites behaviour §{section}"


@pytest.mark.parametrize("number", _decision_numbers())
def test_every_decision_names_the_sections_it_refines(number: int) -> None:
    """Each decision's first line says which sections of docs/behaviour.md it refines,
    ``**Dn. Title** (refines §a, §b)``, and those sections exist."""
    sections = refines(decision_lines()[number])
    assert sections, f"D{number} does not say which section it refines: '(refines §n)'"
    missing = [s for s in sections if s not in behaviour_sections()]
    assert not missing, f"D{number} refines sections docs/behaviour.md does not have: {missing}"


def test_refinements_agree_with_the_behaviour_contract() -> None:
    """A decision refines a section exactly when that section's "Refined by" line names it."""
    from_decisions = {
        (number, section) for number, line in decision_lines().items() for section in refines(line)
    }
    from_behaviour = refined_by()
    assert sorted(from_decisions - from_behaviour) == [], "missing from 'Refined by' lines"
    assert sorted(from_behaviour - from_decisions) == [], "missing from '(refines ...)'"
