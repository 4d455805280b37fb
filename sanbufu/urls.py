from django.contrib import admin
from django.urls import include, path

from sanbufu.views import LoginView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("sanbufu.api")),
    path("open311/v2/", include("integrations.urls")),
    path("", include("issues.urls")),
    path("", include("meetings.urls")),
    path("", include("diaries.urls")),
    path("", include("contracts.urls")),
    path("", include("residents.urls")),
    path("", include("evidence.urls")),
    path("", include("sms.urls")),
    path("", include("fieldwork.urls")),
]

handler404 = "sanbufu.views.not_found"
