"""mldossier: audit evidence for ML systems from the exports ML platforms already write."""

__version__ = "0.1.0"
