"""The control catalogs bundled with mldossier (package data: ``mldossier.catalogs``)."""
