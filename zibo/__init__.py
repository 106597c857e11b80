"""Zibo's reference data: districts and zones, industries, unified social credit codes (reference)."""
