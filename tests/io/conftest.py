"""Fixtures of the reader tests."""

import pytest


@pytest.fixture
def helper_script(monkeypatch):
    """``use(script)`` replaces the script of the parsers' helper process
    (:mod:`myoreflex.io._isolated`), restarting the helper before and after the test."""
    from myoreflex.io import _isolated

    def use(script):
        _isolated._helper._stop()
        monkeypatch.setattr(_isolated, "_HELPER", script)

    yield use
    _isolated._helper._stop()
