"""The layering rules hold: what each package may import, read from the source (not run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {
    "blocks",
    "compliance",
    "cxone",
    "dashboard",
    "deployments",
    "dial_lists",
    "failover",
    "flows",
    "ledger",
    "rnd",
    "simulator",
    "tasks",
}
# package -> top-level names it must never import
FORBIDDEN = {
    "cxone": {"prefect", *OURS - {"cxone"}},
    "compliance": {"prefect", *OURS - {"compliance"}},
    "failover": {"prefect", *OURS - {"failover"}},
    "dial_lists": {"prefect", *OURS - {"dial_lists", "compliance", "cxone", "ledger"}},
    "ledger": {"prefect", *OURS - {"ledger", "cxone"}},
    "rnd": {"prefect", *OURS - {"rnd", "cxone"}},
    "simulator": OURS - {"simulator"},
    "blocks": {"simulator", "tasks", "flows", "dashboard", "deployments"},
    "tasks": {"simulator", "flows", "dashboard", "deployments"},
    "flows": {"simulator", "dashboard", "deployments"},
    "dashboard": {"simulator", "tasks", "flows", "deployments"},
    "deployments": {"simulator", "dashboard"},
}


def imported_names(path: Path) -> set[str]:
    """Top-level module names a file imports (absolute imports only; relative stay inside)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_its_layer_allows(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    broken = {
        str(path.relative_to(ROOT)): sorted(imported_names(path) & FORBIDDEN[package])
        for path in files
        if imported_names(path) & FORBIDDEN[package]
    }
    assert broken == {}


def test_the_rules_catch_a_forbidden_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import prefect.flows\nfrom simulator import create_app\nfrom . import x\n")
    assert imported_names(module) == {"prefect", "simulator"}
