"""``python -m mldossier.cli``: the command line, as the ``mldossier`` script runs it."""

from mldossier.cli import main

main()
