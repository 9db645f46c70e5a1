"""Hook names are spelled in one place: gptmath/hooks.py. Everywhere else builds them with its functions."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gptmath", "gpttrain", "scenes", "benchmarks")


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (documentation may show a hook name)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def hook_literals(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line: text` of every string literal (f-string parts included) in code that contains "hook_"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    return [f"{path.relative_to(root)}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "hook_" in node.value
            and id(node) not in skip]


def test_the_checker_finds_a_hand_spelled_hook_name(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Docs may say trace["blocks.0.hook_resid_pre"]."""\nx = trace[f"blocks.{L}.attn.hook_pattern"]\n')
    assert hook_literals(bad, root=tmp_path) == ["bad.py:2: '.attn.hook_pattern'"]


def test_no_hook_name_is_spelled_outside_gptmath_hooks():
    paths = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))
             if "vendor" not in p.parts and p != ROOT / "gptmath" / "hooks.py"]
    found = [line for p in paths for line in hook_literals(p)]
    assert not found, "build hook names with gptmath.hooks:\n" + "\n".join(found)
