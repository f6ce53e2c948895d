"""Tests about the tests: every top-level function in a test module is a test or a fixture."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _is_fixture(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
    return False


def test_every_top_level_function_in_test_modules_runs() -> None:
    stray = []
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("test_"):
                if not _is_fixture(node) and not node.name.startswith("_"):
                    stray.append(f"{path.relative_to(TESTS)}:{node.lineno} {node.name}")
    assert not stray, f"functions that never run (rename to test_* or make private): {stray}"


def test_every_test_package_has_an_init() -> None:
    missing = [
        str(d.relative_to(TESTS))
        for d in TESTS.rglob("*")
        if d.is_dir()
        and d.name != "__pycache__"
        and any(d.glob("test_*.py"))
        and not (d / "__init__.py").exists()
    ]
    assert not missing
