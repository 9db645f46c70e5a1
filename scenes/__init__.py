"""The scenes, and `render`: the command line (`python -m scenes`, ./render.sh) as a Python function."""
from scenes.cli import RenderFailed, render

__all__ = ["RenderFailed", "render"]
