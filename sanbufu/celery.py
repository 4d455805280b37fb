import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanbufu.settings")

app = Celery("sanbufu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
