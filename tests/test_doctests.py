"""Every documentation example in the product's modules runs (Google-style docstrings)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = (
    "blocks",
    "cxone",
    "dashboard",
    "deployments",
    "dial_lists",
    "failover",
    "flows",
    "ledger",
    "rnd",
    "tasks",
)


def modules() -> list[str]:
    found = []
    for package in PACKAGES:
        found.append(package)
        path = importlib.import_module(package).__path__
        found += [f"{package}.{info.name}" for info in pkgutil.iter_modules(path)]
    return sorted(found)


@pytest.mark.parametrize("module", modules())
def test_documentation_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
