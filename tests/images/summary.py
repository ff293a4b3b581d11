"""Lines the image tests print in pytest's summary: which engine and base were used."""
lines: list[str] = []
