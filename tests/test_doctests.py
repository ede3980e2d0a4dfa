"""Every documentation example in the product's modules runs (Google-style docstrings).

Each docstring that holds examples is a test case of its own, and a case fails unless its
examples ran (a docstring with a `>>>` that doctest does not see, say in a code fence, is
caught by `test_every_example_is_collected`).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

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
FINDER = doctest.DocTestFinder(exclude_empty=True)


def modules() -> list[ModuleType]:
    found = []
    for package in PACKAGES:
        found.append(importlib.import_module(package))
        path = found[-1].__path__
        found += [
            importlib.import_module(f"{package}.{info.name}") for info in pkgutil.iter_modules(path)
        ]
    return sorted(found, key=lambda module: module.__name__)


def cases() -> list[doctest.DocTest]:
    found = {}
    for module in modules():
        for case in FINDER.find(module):
            if case.examples and case.name.startswith(module.__name__):
                found[case.name] = case
    return [found[name] for name in sorted(found)]


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_documentation_examples_run(case):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(case, clear_globs=True)
    assert result.attempted == len(case.examples) > 0
    assert result.failed == 0


def test_every_example_is_collected():
    assert len(CASES) > 0
    examples = sum(len(case.examples) for case in CASES)
    marked = sum(
        (case.docstring or "").count(">>> ") for case in CASES
    )  # every prompt in a collected docstring is an example that ran
    assert examples == marked
