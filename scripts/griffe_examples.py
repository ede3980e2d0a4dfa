"""A griffe extension for the documentation site: read "Example:" as an examples section.

The project's Google-style docstrings head their doctests "Example:" (the tests run them,
tests/test_doctests.py); griffe's Google parser knows only "Examples:" and would render the
singular as an admonition of quoted text, so the site reads each docstring as if it said
"Examples:". The docstrings themselves are left alone.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

SINGULAR = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Renames each docstring's "Example:" heading to "Examples:" as griffe loads it."""

    def on_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        obj: griffe.Object,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        if obj.docstring is not None:
            obj.docstring.value = SINGULAR.sub(r"\1Examples:", obj.docstring.value)
