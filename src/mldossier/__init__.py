"""mldossier: audit evidence for ML systems from the exports ML platforms already write."""

from importlib import resources
from pathlib import Path

__version__ = "0.1.0"

DATA_PACKAGES = ("catalogs", "templates")
"""The data folders mapped into the package from the repository's top level."""


def data_folder(package: str) -> Path:
    """The folder of a data package shipped inside mldossier (``catalogs``, ``templates``).

    The sources live at the repository's top level (``controls/``, ``templates/``);
    ``pyproject.toml`` maps them into the package, so a wheel, an sdist and an editable
    install all find them here.
    """
    folder = resources.files(f"mldossier.{package}")
    # pip installs wheels unpacked, so the resources are real folders on disk.
    return Path(str(folder))
