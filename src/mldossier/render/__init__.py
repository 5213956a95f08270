"""Renderers: the prepared dossier and every output made of it (site, PDF, JSON, JUnit, OSCAL)."""
