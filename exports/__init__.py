"""Streamed exports for the bureau (bounded memory, written to a temporary file)."""
