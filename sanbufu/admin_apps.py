"""django.contrib.admin with the sanbufu site as `admin.site` (kept apart from the site
itself, which imports forms and models the app registry loads later)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "sanbufu.admin_site.SanbufuAdminSite"
