"""``python -m mldossier.cli``: the same as the ``mldossier`` command."""

from mldossier.cli import main

main()
