"""Shared test configuration: hypothesis profiles, chosen with ``HYPOTHESIS_PROFILE``.

``dev`` (the default) runs ~50 examples per property; ``ci`` is sized so the whole suite stays
under ~10 minutes on 2 cores with ``-n 2`` (``./scripts/test`` selects it under CI).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.servers.fixtures import *  # noqa: F403 - the real-server fixtures
from tests.servers.smtp import smtp_plain, smtp_relay, smtp_server, smtp_ssl  # noqa: F401

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
