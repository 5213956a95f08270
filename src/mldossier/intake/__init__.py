"""Intake: an evidence folder read, validated and linked into one Evidence."""
