"""Reading input formats: strict JSON, safe YAML, JSON Schema checks with plain messages."""
