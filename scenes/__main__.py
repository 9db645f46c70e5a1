"""`python -m scenes --help`: see scenes/cli.py."""
import sys

from scenes.cli import main

sys.exit(main())
