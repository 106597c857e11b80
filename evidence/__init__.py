"""Evidence files: what an upload is by its content (content.py) and where its bytes live (storage.py)."""
