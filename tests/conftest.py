import os

import pytest

from tests.helpers.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (zh-hans): a request with another Accept-Language
    leaves its language active in the thread, which must not reach the next test's messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True, scope="session")
def _suite_clock():
    """``KAM_TEST_NOW=2026-11-24T23:55+08:00`` runs the whole suite as if started at that moment
    (the clock keeps ticking; a test that moves the clock itself still does): a check that no test
    depends on the hour it happens to run at. Tests that start worker processes
    (``tests/jobs/test_worker.py``, ``test_killed_import.py``) see the real clock there and only
    pass with the real time."""
    start = os.environ.get("KAM_TEST_NOW")
    if not start:
        yield
        return
    import datetime as dt

    import time_machine

    with time_machine.travel(dt.datetime.fromisoformat(start), tick=True):
        yield
