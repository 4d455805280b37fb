"""Co-building statistics of a subtree: the city's figures from a data set built to match
them, in a number of queries that does not grow with its size; the API, XLSX and bounds."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import load_workbook

from contracts.models import CommitteeMember
from contracts.selectors import stats

from ..factories import UserFactory
from .builders import CITY_FIGURES, bulk_co_building

pytestmark = pytest.mark.django_db


def test_the_citys_figures_in_a_fixed_number_of_queries(city_office, django_assert_num_queries):
    first = {"units": 10, "resources": 3, "projects": 4, "members": 5}
    bulk_co_building(**first)
    city_office = type(city_office).objects.get(pk=city_office.pk)  # no cached jurisdiction
    with django_assert_num_queries(9):  # two for the jurisdiction, seven for the figures
        small = stats(city_office)
    assert (small["units_with_contracts"], small["resources"]) == (10, 3)

    bulk_co_building(**{key: CITY_FIGURES[key] - first[key] for key in first})
    city_office = type(city_office).objects.get(pk=city_office.pk)
    with django_assert_num_queries(9):
        figures = stats(city_office)
    assert figures["units_with_contracts"] == 1243
    assert figures["resources"] == 236
    assert figures["projects"] == 518
    assert figures["committee_members"] == 578
    assert sum(figures["contracts_by_step"].values()) == figures["contracts"] == 1243
    assert all(figures["contracts_by_step"].values())


def test_a_town_sees_only_its_communities(town_office, other_town_office):
    bulk_co_building(units=12, resources=6, projects=6, members=6)
    lanting = stats(town_office)  # 兰亭街道: 兰亭村 and 谢家坞村, two of the six communities
    fushan = stats(other_town_office)  # 府山街道: 书圣故里 and 越都
    assert lanting["units_with_contracts"] == 4 and fushan["units_with_contracts"] == 4
    assert stats(UserFactory())["contracts"] == 0
    assert stats(town_office, within="330603008250")["contracts"] == 2


def test_a_finished_term_no_longer_counts(town_office):
    bulk_co_building(units=2, resources=0, projects=0, members=2, communities=["330603008250"])
    CommitteeMember.objects.filter(pk=CommitteeMember.objects.first().pk).update(
        ended_on=datetime.date(2020, 1, 1)
    )
    assert stats(town_office)["committee_members"] == 1


def test_the_api_gives_the_figures_as_json_and_xlsx(client, city_office):
    bulk_co_building(units=10, resources=3, projects=4, members=5)
    client.force_login(city_office)
    client.cookies["django_language"] = "en"
    data = client.get("/api/v1/contracts/stats/").json()
    assert data["units_with_contracts"] == 10
    assert data["contracts_by_step"]["publicise"] == 2
    sheet = client.get("/api/v1/contracts/stats/?format=xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    values = {label: value for label, value in rows[1:]}
    assert values["units with contracts"] == 10
    assert values["part-time committee members"] == 5
    assert client.get("/api/v1/contracts/stats/?within=999").status_code == 400
    client.logout()
    assert client.get("/api/v1/contracts/stats/").status_code in (401, 403)
