"""The house a newcomer finds: every module and plugin named in ARCHITECTURE.md, the stages importing only what
comes before them, and the code kept within its size."""

import ast

import pytest

from scripts.read import ROOT

ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
MODULES = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "scripts").rglob("*.py")
                 if path.name != "__init__.py" or path.parent.name != "scripts")
PLUGINS = sorted(path.name for path in (ROOT / "plugins").glob("*.py"))


@pytest.mark.parametrize("module", MODULES)
def test_architecture_names_every_module(module):
    package_init = module.endswith("/__init__.py")
    assert module in ARCHITECTURE or (package_init and module.removesuffix("/__init__.py") + "/" in ARCHITECTURE)


@pytest.mark.parametrize("plugin", PLUGINS)
def test_architecture_names_every_plugin(plugin):
    assert f"`{plugin}`" in ARCHITECTURE or f"plugins/{plugin}" in ARCHITECTURE


def imported(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


@pytest.mark.parametrize("stage, later", [("read", ("adapters", "stage", "link", "derive", "write")),
                                          ("adapters", ("stage", "link", "derive", "write")),
                                          ("stage", ("link", "derive", "write")),
                                          ("link", ("derive", "write"))])
def test_a_stage_imports_no_stage_after_it(stage, later):
    for path in (ROOT / "scripts" / stage).glob("*.py"):
        wrong = {m for m in imported(path) if m.startswith(tuple(f"scripts.{name}" for name in later))}
        assert wrong == set(), path
