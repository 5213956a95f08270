"""``python -m mldossier``: the command line, as the ``mldossier`` script runs it."""

from mldossier.cli import main

main()
