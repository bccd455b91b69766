"""The docs site (``mkdocs.yml``): every page of ``docs/`` is in the nav, every nav entry is a
page, and the docstrings' reST habits are turned into Markdown (``tools/griffe_rest.py``).

The site itself is built by ``.ci/run`` (``mkdocs build --strict``, which also fails on a broken
link or anchor); these tests need neither a build nor a network.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Pages of docs/ left out of the nav on purpose, with the reason. None today.
NOT_IN_NAV: dict[str, str] = {}


def _config() -> Any:
    """mkdocs.yml as mkdocs reads and validates it (nothing is built)."""
    config = require("mkdocs.config")
    return config.load_config(config_file=str(ROOT / "mkdocs.yml"))


def _nav_files(nav: Any) -> Iterator[str]:
    """The files the nav names, in order, sections entered."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_files(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_files(value)


def _pages() -> set[str]:
    return {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}


def _griffe_rest() -> Any:
    require("griffe")
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    return importlib.import_module("griffe_rest")


def test_every_page_of_docs_is_in_the_nav() -> None:
    """A page missing from the nav would be built but reachable by no menu; one left out on
    purpose is listed in ``NOT_IN_NAV`` with its reason."""
    missing = _pages() - set(_nav_files(_config()["nav"])) - set(NOT_IN_NAV)
    assert not missing, f"docs pages not in mkdocs.yml's nav: {sorted(missing)}"


def test_every_nav_entry_is_a_page_of_docs_once() -> None:
    files = list(_nav_files(_config()["nav"]))
    assert not sorted(set(files) - _pages()), "the nav names files docs/ does not have"
    assert len(files) == len(set(files)), f"a page is in the nav twice: {files}"
    assert not set(files) & set(NOT_IN_NAV)


def test_the_site_is_built_from_docs_with_material_and_strict_links() -> None:
    """Every link check is at least a warning, and ``strict`` makes warnings fail the build."""
    config = _config()
    assert Path(config["docs_dir"]) == DOCS
    assert config["theme"].name == "material"
    assert config["strict"] is True
    levels = [level for group in config["validation"].values() for level in group.values()]
    assert levels and min(levels) >= logging.WARNING


def test_the_changelog_page_includes_the_changelog() -> None:
    text = (DOCS / "changelog.md").read_text(encoding="utf-8")
    (included,) = re.findall(r'^--8<-- "([^"]+)"$', text, flags=re.M)
    assert (ROOT / included).resolve() == (ROOT / "CHANGELOG.md").resolve()


def test_the_reference_documents_importable_modules() -> None:
    """Each ``::: name`` block of docs/reference.md names a module or an object that
    imports, so a rename fails here as well as in the build."""
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    names = re.findall(r"^::: ([\w.]+)$", text, flags=re.M)
    assert "warmpool" in names
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            parent, _, attribute = name.rpartition(".")
            assert hasattr(importlib.import_module(parent), attribute), name


# tools/griffe_rest.py: reST habits to Markdown.


def test_a_doctest_block_becomes_a_pycon_fence() -> None:
    rest = _griffe_rest()
    text = "Intro.\n\n>>> 1 + 1\n2\n\nAfter."
    assert rest.to_markdown(text) == "Intro.\n\n```pycon\n>>> 1 + 1\n2\n```\n\nAfter."


def test_an_indented_doctest_block_keeps_its_indentation() -> None:
    rest = _griffe_rest()
    text = "- item\n\n    >>> x = 1\n    >>> x\n    1"
    fenced = "- item\n\n    ```pycon\n    >>> x = 1\n    >>> x\n    1\n    ```"
    assert rest.to_markdown(text) == fenced


def test_a_literal_block_becomes_a_text_fence_and_its_colons_one() -> None:
    rest = _griffe_rest()
    text = 'A policy such as::\n\n    {"Version": 1,\n     "Statement": []}\n\nThen more.'
    assert rest.to_markdown(text) == (
        'A policy such as:\n\n```text\n{"Version": 1,\n "Statement": []}\n```\n\nThen more.'
    )


def test_a_role_becomes_an_optional_cross_reference() -> None:
    rest = _griffe_rest()
    assert rest.to_markdown(":class:`~warmpool.Quota` and :meth:`advance`", str.upper) == (
        '<autoref identifier="WARMPOOL.QUOTA" optional><code>Quota</code></autoref> and '
        '<autoref identifier="ADVANCE" optional><code>advance</code></autoref>'
    )
    assert rest.to_markdown(":func:`the replay <warmpool.sim.replay>`") == (
        '<autoref identifier="warmpool.sim.replay" optional><code>the replay</code></autoref>'
    )


def test_code_spans_and_fenced_blocks_are_left_alone() -> None:
    rest = _griffe_rest()
    text = "``:class:`x```\n\n```python\n>>> :func:`y`\n```"
    assert rest.to_markdown(text) == text


def test_an_attribute_comment_is_its_docstring() -> None:
    rest = _griffe_rest()
    lines = ["X = 1", "", "  #: First line", "  #: second.", "  LIMIT = 2"]
    assert rest.comment_docstring(lines, 5) == "First line\nsecond."
    assert rest.comment_docstring(lines, 1) is None


_LINES = st.sampled_from(
    [
        "",
        "Plain prose.",
        "See :class:`~warmpool.Quota` and ``code``.",
        ">>> emu.advance(60)",
        "... more",
        "42",
        "A block::",
        "    literal text",
        "        deeper",
        "  - a list item",
        "```",
        "```python",
    ]
)


@given(st.lists(_LINES, max_size=20).map("\n".join))
def test_rewriting_twice_changes_nothing_more(text: str) -> None:
    """Rewriting is idempotent: griffe may hand the same docstring over twice."""
    rest = _griffe_rest()
    once = rest.to_markdown(text)
    assert rest.to_markdown(once) == once


def test_no_docstring_of_warmpool_keeps_a_role_or_an_unfenced_doctest() -> None:
    """What the site renders: every docstring of the package, rewritten, has no reST role
    left and no ``>>>`` line outside a fence (Markdown would show it as a quote)."""
    package = _loaded_package()
    seen = 0

    def walk(obj: Any) -> Iterator[Any]:
        yield obj
        for member in obj.members.values():
            if not member.is_alias:
                yield from walk(member)

    for obj in walk(package):
        if obj.docstring is None:
            continue
        seen += 1
        text = obj.docstring.value
        assert not re.search(r":(class|meth|func|mod|data|attr|exc):`", text), obj.path
        fenced = False
        for line in text.splitlines():
            if line.strip().startswith("```"):
                fenced = not fenced
            assert fenced or not line.strip().startswith(">>>"), (obj.path, line)
    assert seen > 100


def _loaded_package() -> Any:
    """warmpool as the site's griffe sees it, docstrings rewritten."""
    griffe = require("griffe")
    rest = _griffe_rest()
    return griffe.load(
        "warmpool",
        search_paths=[str(ROOT)],
        extensions=griffe.load_extensions(rest.RestDocstrings),
        resolve_aliases=True,
    )


def test_every_public_name_of_a_referenced_module_has_a_docstring() -> None:
    """The reference shows only what has a docstring (or ``#:`` comments above it), so each
    name in the ``__all__`` of a module rendered whole on docs/reference.md (no ``members:``
    list) needs one, or it would be missing from the page without a warning."""
    text = (DOCS / "reference.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^::: ([\w.]+)\n((?:    .*\n)*)", text, flags=re.M)
    whole = [name for name, options in blocks if "members:" not in options]
    package = _loaded_package()
    undocumented = []
    for name in whole:
        module = package if name == "warmpool" else package[name.removeprefix("warmpool.")]
        if not module.is_module:
            continue
        runtime = importlib.import_module(name)
        for public in runtime.__all__:
            if public == "__version__":
                continue
            target = module[public]
            target = target.final_target if target.is_alias else target
            if target.is_module and not inspect.ismodule(getattr(runtime, public)):
                # A function named after its module (warmpool.sim.replay): griffe sees the
                # module, so the page renders the function in a block of its own.
                if f"{target.path}.{public}" not in [block for block, _ in blocks]:
                    undocumented.append(f"{name}.{public} (shadowed by its module)")
            elif target.docstring is None or not target.docstring.value.strip():
                undocumented.append(f"{name}.{public}")
    assert not undocumented, f"public names the API reference would leave out: {undocumented}"


@pytest.mark.parametrize("name", ["README.md", "docs/index.md"])
def test_the_docs_say_how_to_build_the_site(name: str) -> None:
    assert "pip install -e '.[docs]' && mkdocs serve" in (ROOT / name).read_text(encoding="utf-8")
