"""The project's settings with a key of the suite's own, so a bare `pytest` needs no
environment. The key is set before the project's settings read it (they refuse to start
without one when DEBUG is off, as the tests run); an exported SECRET_KEY still wins."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-insecure-key-never-used-outside-the-suite")

from sanbufu.settings import *  # noqa: E402, F403

# Every test reads the dashboard's figures fresh; tests/issues/test_dashboard.py turns the
# cache on where it is the subject.
SANBUFU_DASHBOARD_CACHE_SECONDS = 0

# A second database standing for the read replica, used only by the tests that ask for it
# (tests/api/test_read_replica.py) and routed to only where they turn the replica on.
DATABASES["replica"] = {  # noqa: F405
    **DATABASES["default"],  # noqa: F405
    "TEST": {"NAME": f"{DATABASES['default']['TEST'].get('NAME') or 'test_sanbufu'}_replica"},  # noqa: F405
}
if DATABASES["replica"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["replica"]["TEST"] = {"NAME": str(VAR_DIR / "test_sanbufu_replica.sqlite3")}  # noqa: F405
