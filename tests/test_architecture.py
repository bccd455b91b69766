"""docs/architecture.md against the code: every module of ``warmpool`` has a row in its table
and a place in its layers, imports point down or sideways (never up), and there is no circle.

The imports are read from the source (``ast``), so the page cannot drift from the code unseen.
"""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "warmpool"
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def modules() -> set[str]:
    return {path.stem for path in PACKAGE.glob("*.py")}


def imports(module: str) -> set[str]:
    """The modules of ``warmpool`` that ``module`` imports (``from .x import``, ``from . import
    x``, ``from warmpool.x import``), itself and the package's face left out."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("warmpool."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(
                alias.name.split(".")[1]
                for alias in node.names
                if alias.name.startswith("warmpool.")
            )
    return {name for name in found if name in modules()} - {module, "__init__"}


def table_rows() -> list[str]:
    return re.findall(r"^\| `(\w+)` \|", PAGE, flags=re.M)


def layers() -> list[list[str]]:
    """The layers of the page's text block, top first."""
    (block,) = re.findall(r"```text\n(.*?)```", PAGE, flags=re.S)
    return [
        [name.strip() for name in line.split("  ")[-1].strip().split(",")]
        for line in block.splitlines()
        if line.strip()
    ]


def test_every_module_has_one_row_in_the_table() -> None:
    rows = table_rows()
    assert sorted(rows) == sorted(modules())
    assert len(rows) == len(set(rows))


def test_every_module_has_one_layer() -> None:
    placed = [name for layer in layers() for name in layer]
    assert sorted(placed) == sorted(modules())


def test_imports_never_point_up() -> None:
    """A module imports only modules of its own layer or a lower one."""
    depth = {name: i for i, layer in enumerate(layers()) for name in layer}
    upward = [
        f"{module} -> {target}"
        for module in sorted(modules())
        for target in sorted(imports(module))
        if depth[target] < depth[module]
    ]
    assert upward == []


def test_imports_have_no_circle() -> None:
    graph = {module: imports(module) for module in modules()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the assertion below reports it
        raise AssertionError(f"import circle: {error.args[1]}") from None


def test_the_foundations_import_nothing_of_warmpool() -> None:
    """As the page says: the lowest layer stands on nothing else of the package."""
    assert {module: imports(module) for module in layers()[-1]} == {
        module: set() for module in layers()[-1]
    }


def test_only_the_doors_import_the_emulator() -> None:
    """As the page says: below the facade, nothing imports ``warmpool.emulator``."""
    importers = {module for module in modules() if "emulator" in imports(module)}
    assert importers <= set(layers()[0])


def test_the_reader_sees_the_imports_it_checks() -> None:
    """The import reader finds what the code imports (so the checks above can fail)."""
    assert imports("intake") == {"identity", "jobs", "validation"}
    assert "lifecycle" in imports("pools")  # ``from . import lifecycle as lc``
    assert "server" in imports("cli")


# -- warmpool.sim: a layer on the emulator's public API --------------------------------------

SIM = PACKAGE / "sim"

#: The modules of ``warmpool`` whose public names (their ``__all__``) ``warmpool.sim`` may use:
#: the package's face and the modules users import too.
PUBLIC_MODULES = {"warmpool", "warmpool.errors", "warmpool.events", "warmpool.billing"}


def sim_imports() -> list[tuple[str, str, str]]:
    """``(sim module, imported module, name)`` for every ``from ... import name`` of
    ``warmpool`` in ``warmpool/sim``, relative imports resolved."""
    found = []
    for path in sorted(SIM.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    module = node.module or ""
                elif node.level == 1:
                    module = "warmpool.sim" + (f".{node.module}" if node.module else "")
                else:
                    module = "warmpool" + (f".{node.module}" if node.module else "")
                if module.startswith("warmpool"):
                    found += [(path.stem, module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [
                    (path.stem, alias.name, "")
                    for alias in node.names
                    if alias.name.startswith("warmpool")
                ]
    return found


def test_sim_uses_only_the_public_api_of_the_emulator() -> None:
    """``warmpool.sim`` builds on the emulator's public API, never its internals: it imports
    public names (in ``__all__``) of the package's face and its public modules, and its own
    modules."""
    import importlib

    wrong = []
    for module, source, name in sim_imports():
        if source == "warmpool.sim" or source.startswith("warmpool.sim."):
            continue
        if source not in PUBLIC_MODULES:
            wrong.append(f"{module}: from {source} import {name}")
            continue
        exported = getattr(importlib.import_module(source), "__all__", ())
        if name not in exported:
            wrong.append(f"{module}: {source}.{name} is not public")
    assert wrong == []
    assert ("replay", "warmpool", "WarmPoolEmulator") in sim_imports()  # the reader reads
