from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from dispatch.services import display_name
from sanbufu.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD


def not_found(request, exception):
    """A path under /api/ that matches no route answers in the API's shape, not in HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


class LoginView(auth_views.LoginView):
    """The login page; with DEBUG on (`make run`), it lists the demo logins seed_demo made."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.DEBUG:
            users = (
                get_user_model()
                .objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}", is_active=True)
                .select_related("cadre")
                .order_by("username")
            )
            context["demo_logins"] = [(u.username, display_name(u)) for u in users]
            context["demo_password"] = DEMO_PASSWORD
        return context
