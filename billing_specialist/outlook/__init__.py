"""The cash outlook's engine: pure Python, no ORM (``engine.py``)."""
