"""A paginator for tables of millions of rows, shared by the API and the admin.

Two costs of Django's own grow with the table: `count` counts every matching row for every
page, and the page's query joins every related table before sorting and cutting 50 rows.
Paginator counts exactly up to SANBUFU_COUNT_BOUND and estimates past it
(common.db.bounded_count); IdsFirstPaginator also reads a page's ids first (off the
ordering's index) and then loads those rows with their related objects: the same three
queries for 50 rows of a thousand or of a million.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import EmptyPage, Page
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination

from .db import bounded_count


class Paginator(DjangoPaginator):
    @cached_property
    def _counted(self) -> tuple[int, bool]:
        if isinstance(self.object_list, QuerySet):
            return bounded_count(self.object_list, settings.SANBUFU_COUNT_BOUND)
        return len(self.object_list), True

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @property
    def count_is_exact(self) -> bool:
        return self._counted[1]

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Past an estimate the last page is unknown: a page is valid until it is empty.
            if self.count_is_exact or int(number) < 1:
                raise
            return int(number)


class IdsFirstPaginator(Paginator):
    def page(self, number) -> Page:
        qs = self.object_list
        if not _ids_first(qs):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # One id more than the page shows: whether a next page exists, even past an estimate.
        ids = list(qs.values_list("pk", flat=True)[bottom : bottom + self.per_page + 1])
        more = len(ids) > self.per_page
        ids = ids[: self.per_page]
        if not ids and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        rows = {row.pk: row for row in qs.order_by().filter(pk__in=ids)}
        return IdsFirstPage([rows[pk] for pk in ids if pk in rows], number, self, more)


def _ids_first(qs) -> bool:
    return (
        isinstance(qs, QuerySet)
        and qs._fields is None  # not a values() queryset
        and not qs.query.distinct
        and not qs.query.is_sliced
    )


class IdsFirstPage(Page):
    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class PageNumberPagination(pagination.PageNumberPagination):
    """The API's pagination: `count` is exact up to SANBUFU_COUNT_BOUND matching rows and
    PostgreSQL's estimate past it."""

    django_paginator_class = Paginator
    page_size_query_param = "page_size"
    max_page_size = 200


class IdsFirstPagination(PageNumberPagination):
    """For lists whose rows join several tables (issues): the page's ids, then their rows."""

    django_paginator_class = IdsFirstPaginator
