"""The package's layers import only downwards: model <- engines <- training <- study <- papers, with
tasks beside them importing nothing of the package; nothing but the top-level facade imports papers."""

import ast
from pathlib import Path

import pytest

import lstmlib

PACKAGE = Path(lstmlib.__file__).parent

#: Layer -> the layers it may import (besides itself, the argument checks and the version).
ALLOWED = {
    "_checks": set(),
    "_version": set(),
    "model": set(),
    "engines": {"model"},
    "training": {"model", "engines"},
    "tasks": set(),
    "study": {"model", "engines", "training", "tasks"},
    "papers": {"model", "engines", "training", "tasks", "study"},
}


def layer_of(module: str) -> str:
    """``lstmlib.engines.online`` -> ``engines``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every lstmlib import in ``path``, lazy ones included."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    package = list(rel.parts[:-1])  # the package a relative import starts from (also for __init__.py)
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            names = [name] if node.module else [f"{name}.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names if n.startswith("lstmlib")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("lstmlib")]
    return found


def test_the_scanner_resolves_relative_imports():
    online = PACKAGE / "engines" / "online.py"
    modules = {name for _, name in imports_of(online)}
    assert "lstmlib.engines.kernels" in modules or "lstmlib.engines" in modules
    hs = {name for _, name in imports_of(PACKAGE / "papers" / "hochreiter1997" / "jobs.py")}
    assert "lstmlib.study.jobs" in hs and "lstmlib.papers.hochreiter1997.protocols" in hs


def test_every_layer_is_known():
    layers = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert layers - {"__init__"} <= set(ALLOWED), sorted(layers - set(ALLOWED))


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    bad = []
    for line, module in imports_of(path):
        target = layer_of(module)
        if target in ("", "_checks", "_version", own) or target in ALLOWED[own]:
            here = path.relative_to(PACKAGE).parts[1:2]
            if own == "papers" and target == "papers" and here != ("__init__.py",):
                # a paper package imports only itself, never another paper (papers/__init__ lists them all)
                if module.split(".")[2:3] != list(here):
                    bad.append(f"line {line}: {module} (another paper)")
            if target == "" and own != "__init__":
                bad.append(f"line {line}: {module} (the top-level facade)")
            continue
        bad.append(f"line {line}: {module} ({own} may import {sorted(ALLOWED[own]) or 'nothing'})")
    assert not bad, f"{path.relative_to(PACKAGE)} imports upward:\n" + "\n".join(bad)


def test_the_facade_exposes_every_layer():
    for name in ("model", "engines", "training", "tasks", "study", "papers"):
        assert hasattr(lstmlib, name), name
    for key in ("hochreiter1997", "gers2001", "gers2002"):
        assert hasattr(lstmlib.papers, key), key
