import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest


@pytest.fixture
def one_rate_window(monkeypatch):
    """Hold django-ratelimit's clock still, so a test's requests share one window.

    Its windows are fixed spans of time (offset per key): a test counting a handful of
    requests would otherwise now and then straddle a window's end and see the count
    start again.
    """
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
