"""Settings of the benchmark server: the project's, plus the reference views' URLs
(bench/urls.py) and no API throttle (the load generator is one client)."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key")

from sanbufu.settings import *  # noqa: E402, F403
from sanbufu.settings import REST_FRAMEWORK  # noqa: E402

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
# Pages render without `collectstatic` having run.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
