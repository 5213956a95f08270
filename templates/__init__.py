"""Site and PDF templates bundled with mldossier (package data: ``mldossier.templates``)."""
