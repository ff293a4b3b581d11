"""Lines the image and rehearsal tests print in pytest's summary (tests/conftest.py)."""
lines: list[str] = []
