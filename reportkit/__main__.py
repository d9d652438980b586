"""``python -m reportkit``: the same as the ``reportkit`` command."""

from .cli import run

run()
