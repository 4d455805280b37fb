"""The admin site: office members and leaders log in without an is_staff flag, and an office
member's index page is the office dashboard.

Installed in place of django.contrib.admin (settings.INSTALLED_APPS names
`sanbufu.admin_apps.AdminConfig`), so `admin.site` everywhere is this site.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from contracts.selectors import stats as co_building_stats
from dispatch.backends import is_member
from issues.dashboard import office_dashboard, work_order_panel
from meetings.services import this_weeks_meetings


def admits(user) -> bool:
    """Staff, and members of an office or leaders of a division (dispatch.Membership)."""
    return user.is_active and (user.is_staff or is_member(user))


class LoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        if not admits(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class SanbufuAdminSite(admin.AdminSite):
    site_header = _("sanbufu administration")
    site_title = _("sanbufu")
    index_title = _("Office dashboard")
    index_template = "admin/dashboard.html"
    login_form = LoginForm

    def has_permission(self, request) -> bool:
        return admits(request.user)

    def index(self, request, extra_context=None):
        dashboard = office_dashboard(request.user)
        dashboard["meetings"] = this_weeks_meetings(request.user)
        dashboard["co_building"] = co_building = co_building_stats(request.user)
        # Each contract step's count with the list of those contracts.
        contracts = reverse("admin:contracts_contract_changelist")
        co_building["step_links"] = [
            (label, n, f"{contracts}?step__exact={step}")
            for step, (label, n) in zip(Contract.STEPS, co_building["step_rows"], strict=True)
        ]
        dashboard["work_orders"] = work_order_panel(request.user)
        extra_context = {**(extra_context or {}), "dashboard": dashboard}
        return super().index(request, extra_context)
