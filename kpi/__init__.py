"""Pure KPI arithmetic over rows read by db/ (no database, no Streamlit)."""
