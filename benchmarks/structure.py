"""How readable the code is, in numbers: module sizes, long functions, state shared between a scene's steps,
and hook names spelled outside gptmath/hooks.py.

    python benchmarks/structure.py            # the table
    python benchmarks/structure.py --scenes   # each scene's shared step attributes by name

A scene's "shared step attribute" is a `self.name` that one method of the scene class sets and another reads:
state passed between steps behind the reader's back. Attributes GPTScene itself sets (data, settings, ...) are
not counted.
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gptmath", "gpttrain", "scenes")
sys.path.insert(0, str(ROOT))
from tests.test_hook_names import hook_literals  # noqa: E402  (the test's own checker)

BASE_ATTRIBUTES = {"data", "settings", "title_mob", "caption_mob", "steps_done", "captions", "camera", "renderer",
                   "mobjects", "catalogue"}


def python_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "vendor" not in p.parts)


def long_functions(tree: ast.AST, limit: int) -> list[tuple[str, int]]:
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > limit]


def shared_attributes(cls: ast.ClassDef) -> set[str]:
    """self attributes set in one method of the class and read in another."""
    set_in: dict[str, set[str]] = {}
    read_in: dict[str, set[str]] = {}
    for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(method):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
                where = set_in if isinstance(node.ctx, ast.Store) else read_in
                where.setdefault(node.attr, set()).add(method.name)
    return {name for name, setters in set_in.items() if name not in BASE_ATTRIBUTES
            and any(reader not in setters for reader in read_in.get(name, ()))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", action="store_true", help="list each scene's shared step attributes")
    ap.add_argument("--limit", type=int, default=40, help="function length counted as long (lines)")
    args = ap.parse_args()
    big, long, hooks_outside, scenes = [], [], 0, {}
    for path in python_files():
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > 400:
            big.append((str(rel), n_lines))
        long += [(f"{rel}:{name}", n) for name, n in long_functions(tree, args.limit)]
        if rel.as_posix() != "gptmath/hooks.py":
            hooks_outside += len(hook_literals(path))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if rel.parts[0] == "scenes" and any(getattr(b, "id", "") in ("GPTScene", "Generation") for b in cls.bases):
                scenes[cls.name] = shared_attributes(cls)
    print(f"modules over 400 lines: {len(big)}  " + ", ".join(f"{p} ({n})" for p, n in big))
    print(f"functions over {args.limit} lines: {len(long)}  " + ", ".join(f"{p} ({n})" for p, n in long))
    print(f"hook-name literals outside gptmath/hooks.py: {hooks_outside}")
    print("shared step attributes per scene: " + ", ".join(f"{k} {len(v)}" for k, v in scenes.items()))
    if args.scenes:
        for name, attrs in scenes.items():
            print(f"  {name}: {', '.join(sorted(attrs)) or '-'}")


if __name__ == "__main__":
    main()
