"""The inputs of Open311: the query of each GET and the form of a posted request.

The specification counts an empty parameter as absent, and lists as comma lists; both are
read here, so the views see only clean values.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from dispatch.models import Division, Tier
from issues.models import DESCRIPTION_MAX_LENGTH

# The standard's default window for GET requests without dates, and its longest span.
WINDOW = timedelta(days=90)
# Servers may cap how many requests one GET returns; the newest come first.
MAX_REQUESTS = 1000
# An issue id fits PostgreSQL's bigint: at most 18 digits keeps every id in range.
REQUEST_ID = re.compile(r"^[0-9]{1,18}$")


class Open311Input(serializers.Serializer):
    """Drops empty parameters, so that `?status=` reads as no status."""

    def to_internal_value(self, data):
        present = {}
        for name in self.fields:
            value = data.get(name)
            if isinstance(value, str):
                value = value.strip()
            if value not in (None, ""):
                present[name] = value
        return super().to_internal_value(present)


class CommaList(serializers.CharField):
    """a,b,c as ["a", "b", "c"] (blanks dropped)."""

    def to_internal_value(self, data) -> list[str]:
        text = super().to_internal_value(data)
        return [part.strip() for part in text.split(",") if part.strip()]


class W3CDateTime(serializers.Field):
    """A w3 datetime (2010-01-01T00:00:00Z) or a date; a date at the end of a range means
    the end of that day. A time without an offset is Shanghai time."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> datetime:
        parsed = None
        try:
            parsed = parse_datetime(str(data))
            if parsed is None:
                day = parse_date(str(data))
                if day is not None:
                    parsed = datetime.combine(day, time.max if self.end else time.min)
        except ValueError:
            parsed = None
        if parsed is None:
            raise serializers.ValidationError(_("Not a w3 datetime (2010-01-01T00:00:00Z)."))
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed

    def to_representation(self, value):
        return value.isoformat()


class JurisdictionQuery(Open311Input):
    jurisdiction_id = serializers.CharField(required=False)
    extensions = serializers.BooleanField(required=False, default=False)


class RequestsQuery(JurisdictionQuery):
    """GET requests: service_request_id (a comma list of ids) overrides every other filter;
    without dates, the last 90 days."""

    service_request_id = CommaList(required=False)
    service_code = CommaList(required=False)
    start_date = W3CDateTime(required=False)
    end_date = W3CDateTime(required=False, end=True)
    status = CommaList(required=False)

    def validate_service_request_id(self, ids: list[str]) -> list[int]:
        if len(ids) > MAX_REQUESTS or not all(REQUEST_ID.match(i) for i in ids):
            raise serializers.ValidationError(_("A comma list of numbers."))
        return [int(i) for i in ids]

    def validate_status(self, statuses: list[str]) -> set[str]:
        if not set(statuses) <= {"open", "closed"}:
            raise serializers.ValidationError(_("open, closed, or both."))
        return set(statuses)

    def validate(self, attrs):
        if "service_request_id" in attrs:
            return attrs  # the ids override the window
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError(_("end_date comes before start_date."))
        if start and end and end - start > WINDOW:
            raise serializers.ValidationError(_("start_date to end_date may span at most 90 days."))
        if start is None and end is None:
            start = timezone.now() - WINDOW
        elif start is None:
            start = end - WINDOW
        attrs["start_date"], attrs["end_date"] = start, end or start + WINDOW
        return attrs


class ServiceRequestInput(Open311Input):
    """A posted service request (form-encoded). The api_key and jurisdiction_id are checked
    by the view first: a wrong key is a 403 and an unknown jurisdiction a 404 whatever else
    was sent."""

    api_key = serializers.CharField(required=False)
    jurisdiction_id = serializers.CharField(required=False)
    service_code = serializers.CharField(max_length=40)
    address_id = serializers.CharField(required=False)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    long = serializers.FloatField(required=False, min_value=-180, max_value=180)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    first_name = serializers.CharField(required=False)
    last_name = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)

    def validate(self, attrs):
        code = attrs.get("address_id")
        if code is None:
            # Divisions carry no geometry here, so coordinates alone cannot name a village.
            raise serializers.ValidationError(
                {
                    "address_id": _(
                        "A village or community code is required; lat/long cannot be "
                        "resolved to a division."
                    )
                }
            )
        division = Division.objects.filter(code=code, tier=Tier.VILLAGE).first()
        if division is None:
            raise serializers.ValidationError(
                {"address_id": _("Must be a village or community code: %(code)s.") % {"code": code}}
            )
        attrs["division"] = division
        return attrs


def describe(errors) -> str:
    """A serializer's errors as the one description the specification's error carries:
    "field: message" for each, the field named by its parameter."""
    parts = []
    for field, messages in errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            if field == api_settings.NON_FIELD_ERRORS_KEY:
                parts.append(str(message))
            else:
                parts.append(f"{field}: {message}")
    return " ".join(parts)
