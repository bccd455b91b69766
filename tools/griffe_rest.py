"""A griffe extension for the docs site: warmpool's reST-flavoured docstrings as Markdown.

The docstrings are written for ``help()`` and Sphinx habits; mkdocstrings renders Markdown.
Three constructs would render wrongly, so they are rewritten on each object griffe loads
(griffe's copy only; the source and the doctests are untouched):

- a doctest block (``>>>`` lines and their output) becomes a fenced ``pycon`` block, where
  Markdown would read ``>>>`` as three nested quotes;
- a reST literal block (a paragraph ending in ``::`` and the indented lines after it) becomes a
  fenced ``text`` block, and the ``::`` a ``:``;
- an attribute documented by ``#:`` comments just above it, as Sphinx reads them, gets
  those comments as its docstring;
- a role such as ``:class:`~warmpool.Quota``` or ``:meth:`advance``` becomes an optional
  cross-reference: a link where the name is rendered on the site, plain code otherwise (the
  name is resolved in the scope of the object the docstring belongs to).

mkdocs.yml names this file among the Python handler's extensions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import griffe

__all__ = ["RestDocstrings", "to_markdown"]

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|data|attr|exc|obj|const):`([^`]+)`")
_EXPLICIT = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$")
_FENCE = "```"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _fence(line: str) -> bool:
    return line.strip().startswith(_FENCE)


def _role(match: re.Match[str], resolve: Callable[[str], str]) -> str:
    text = match[1]
    explicit = _EXPLICIT.match(text)
    if explicit:
        title, target = explicit["title"], explicit["target"]
    else:
        target = text
        title = text.lstrip("~").rsplit(".", 1)[-1] if text.startswith("~") else text
    target = target.lstrip("~")
    identifier = resolve(target)
    return f'<autoref identifier="{identifier}" optional><code>{title}</code></autoref>'


def _roles(line: str, resolve: Callable[[str], str]) -> str:
    """Rewrite the roles in one line of prose, leaving ``code spans`` alone."""
    parts = re.split(r"(``.*?``)", line)
    return "".join(
        part if part.startswith("``") else _ROLE.sub(lambda m: _role(m, resolve), part)
        for part in parts
    )


def to_markdown(text: str, resolve: Callable[[str], str] = lambda name: name) -> str:
    """The Markdown of a dedented reST-flavoured docstring ``text``.

    ``resolve`` turns a role's target (as written, without ``~``) into the identifier to link.

    >>> print(to_markdown("Use :class:`~warmpool.Quota`::\\n\\n    q = 1\\n\\n>>> 1 + 1\\n2"))
    Use <autoref identifier="warmpool.Quota" optional><code>Quota</code></autoref>:
    <BLANKLINE>
    ```text
    q = 1
    ```
    <BLANKLINE>
    ```pycon
    >>> 1 + 1
    2
    ```
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _fence(line):
            # Already Markdown (or rewritten before): copy the fenced block as it is.
            out.append(line)
            i += 1
            while i < len(lines) and not _fence(lines[i]):
                out.append(lines[i])
                i += 1
            if i < len(lines):
                out.append(lines[i])
                i += 1
            continue
        if stripped.startswith(">>>"):
            # A doctest block runs to the next blank line (or fence), at its first line's
            # indentation.
            pad = " " * _indent(line)
            out.append(f"{pad}{_FENCE}pycon")
            while i < len(lines) and lines[i].strip() and not _fence(lines[i]):
                out.append(pad + lines[i][len(pad) :])
                i += 1
            out.append(f"{pad}{_FENCE}")
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            # A literal block: the indented lines after the blank line(s) that follow.
            head = _roles(line.rstrip()[:-2].rstrip(), resolve)
            start = i + 1
            while start < len(lines) and not lines[start].strip():
                start += 1
            base = _indent(line)
            end = start
            while end < len(lines) and (
                not lines[end].strip() or (_indent(lines[end]) > base and not _fence(lines[end]))
            ):
                end += 1
            while end > start and not lines[end - 1].strip():
                end -= 1
            if end > start and head.strip():
                out.append(head + ":")
            body = lines[start:end]
            if body:
                cut = min(_indent(b) for b in body if b.strip())
                pad = " " * base
                out.extend(["", f"{pad}{_FENCE}text"])
                out.extend(pad + b[cut:] if b.strip() else "" for b in body)
                out.append(f"{pad}{_FENCE}")
                i = end
                continue
            out.append(head + ":")
            i += 1
            continue
        out.append(_roles(line, resolve))
        i += 1
    return "\n".join(out)


def _resolver(obj: griffe.Object) -> Callable[[str], str]:
    """Resolve a role's target in the scope of ``obj``: a name, or a dotted name whose first
    part is in scope; anything else (``time``, ``warmpool.pools``) is kept as written."""

    def resolve(target: str) -> str:
        if target.startswith("warmpool.") or target == "warmpool":
            return target
        first, dot, rest = target.partition(".")
        try:
            return obj.resolve(first) + dot + rest
        except (griffe.NameResolutionError, griffe.AliasResolutionError, KeyError):
            return target

    return resolve


def comment_docstring(lines: list[str], lineno: int) -> str | None:
    """The text of the ``#:`` comment lines just above line ``lineno`` (1-based) of ``lines``,
    or ``None`` when there are none.

    >>> comment_docstring(["x = 0", "#: The answer,", "#: of course.", "ANSWER = 42"], 4)
    'The answer,\nof course.'
    """
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        found.append(lines[index].lstrip()[2:].strip())
        index -= 1
    return "\n".join(reversed(found)) or None


class RestDocstrings(griffe.Extension):
    """Give attributes their ``#:`` comments as docstrings, and rewrite each loaded object's
    docstring with :func:`to_markdown`."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        _rewrite(obj)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        # griffe calls on_object for the members of a package, not for the package itself.
        _rewrite(pkg)


def _rewrite(obj: griffe.Object) -> None:
    if obj.docstring is None and obj.is_attribute and obj.lineno:
        text = comment_docstring(obj.module.lines, obj.lineno)
        if text:
            obj.docstring = griffe.Docstring(text, lineno=obj.lineno - 1, parent=obj)
    if obj.docstring is not None:
        obj.docstring.value = to_markdown(obj.docstring.value, _resolver(obj))
