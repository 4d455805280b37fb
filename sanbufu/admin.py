"""The audit trail of login lockouts, for superusers (no role is granted its permissions)."""

from axes.admin import AccessFailureLogAdmin
from axes.models import AccessFailureLog
from django.contrib import admin

admin.site.register(AccessFailureLog, AccessFailureLogAdmin)
