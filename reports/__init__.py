"""Explained results and downloadable reports (no Streamlit here; pages and tests call these)."""
