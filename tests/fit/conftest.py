"""Shared by the stretch-fit tests: one stretch shape, so the modules share compiled simulations."""

import pytest


@pytest.fixture(scope="session")
def stretch_settings():
    """Elbow stretches from 80 to 150 deg at 60 and 180 deg/s, 0.15 s of rest before and hold after
    (about 1.3 s and 0.7 s: short, and both velocities cross the stroke elbow's reflex threshold)."""
    return {"velocities_deg_s": (60.0, 180.0), "angles_deg": (80.0, 150.0), "rest_s": 0.15, "hold_s": 0.15}
