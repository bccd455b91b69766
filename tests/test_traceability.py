"""Every documented decision and every section of the behaviour contract has tests citing it.

The decisions in ``docs/decisions.md`` are numbered D1, D2, ...; tests cite them (and SPEC
sections as ``§n``) in their docstrings. A decision nobody tests is a promise nobody checks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
DECISIONS = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
#: The sections of SPEC.md that state behaviour (§1 defines words).
SPEC_SECTIONS = range(2, 12)


def _test_sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(TESTS.glob("test_*.py"))
        if path.name != Path(__file__).name
    )


def _decision_numbers() -> list[int]:
    return [int(number) for number in re.findall(r"^\*\*D(\d+)\.", DECISIONS, flags=re.M)]


def test_decisions_are_numbered_without_gaps() -> None:
    """docs/decisions.md numbers its decisions D1..Dn in order, each once."""
    numbers = _decision_numbers()
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 20


@pytest.mark.parametrize("number", _decision_numbers())
def test_every_decision_is_cited_by_a_test(number: int) -> None:
    """Each decision Dn of docs/decisions.md is cited by at least one test."""
    assert re.search(rf"\bD{number}\b", _test_sources()), f"no test cites D{number}"


@pytest.mark.parametrize("section", SPEC_SECTIONS)
def test_every_spec_section_is_cited_by_a_test(section: int) -> None:
    """Each behaviour section of SPEC.md (§2-§11) is cited by at least one test."""
    assert re.search(rf"§{section}(?!\d)", _test_sources()), f"no test cites SPEC §{section}"
