"""The scenes, and `render`: the command line (`python -m scenes`, ./render.sh) as a Python function."""
from scenes.cli import render

__all__ = ["render"]
