"""Open311 GeoReport v2: every resource as .json and .xml (the suffix is the format)."""

from django.urls import re_path

from .open311 import views

app_name = "open311"
FORMAT = r"\.(?P<format>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.DiscoveryView.as_view(), name="discovery"),
    re_path(r"^services" + FORMAT, views.ServiceListView.as_view(), name="services"),
    re_path(
        r"^services/(?P<service_code>[-a-zA-Z0-9_]{1,40})" + FORMAT,
        views.ServiceDefinitionView.as_view(),
        name="service",
    ),
    re_path(r"^requests" + FORMAT, views.RequestListView.as_view(), name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[0-9]{1,15})" + FORMAT,
        views.RequestDetailView.as_view(),
        name="request",
    ),
]
