"""Fixtures for the training tests (the tiny model and datasets are in tests/conftest.py).

No stub of the hardware model: resolve() runs the real memory and time model with the bundled flavor table.
"""
