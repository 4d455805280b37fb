"""Open311 GeoReport v2: every resource as .json and .xml."""

from django.urls import re_path

from . import open311

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.services, name="services"),
    re_path(
        r"^services/(?P<service_code>[-a-zA-Z0-9_]{1,40})" + FMT,
        open311.service_definition,
        name="service",
    ),
    re_path(r"^requests" + FMT, open311.requests_, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[0-9]{1,15})" + FMT,
        open311.request_detail,
        name="request",
    ),
]
