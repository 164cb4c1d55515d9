"""One package per Cloud Function concern; each `main.py` holds only entry points."""
