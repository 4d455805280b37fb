"""Field work: duties served, households visited, campaigns and 下沉 deployments."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from diaries.models import DiaryEntry
from diaries.services import log_diary_entry
from dispatch.models import Posting
from fieldwork import services
from fieldwork.models import Household
from fieldwork.selectors import (
    enterprise_coverage,
    household_coverage,
    postings_in,
    unserved_duties,
)
from issues.models import Issue

from ..factories import (
    CadreFactory,
    CategoryFactory,
    EnterpriseFactory,
    IssueFactory,
    PostingFactory,
    UserFactory,
)

DAY = datetime.date(2026, 11, 20)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def visit(user, posting, *, day=DAY, **kw):
    return log_diary_entry(
        actor=user,
        posting=posting,
        kind=kw.pop("kind", "people"),
        visited_on=day,
        households_visited=kw.pop("households_visited", 1),
        summary="走访",
        **kw,
    )


@pytest.fixture
def posting(village_cadre):
    return Posting.objects.get(cadre__user=village_cadre)


@pytest.fixture
def register(shaoxing, village_cadre):
    return [
        services.add_household(actor=village_cadre, village=shaoxing.lanting_village, label=label)
        for label in ("兰亭村1号 王家", "兰亭村2号 李家", "兰亭村3号 陈家")
    ]


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to("2026-11-24 10:00 +08:00")


# Households --------------------------------------------------------------------------------


def test_an_entry_names_households_and_counts_at_least_them(village_cadre, posting, register):
    entry = visit(village_cadre, posting, households=register[:2], households_visited=0)
    assert set(entry.households.all()) == set(register[:2])
    assert entry.households_visited == 2
    more = visit(village_cadre, posting, households=register[:1], households_visited=5)
    assert more.households_visited == 5


def test_an_entry_cannot_name_another_villages_household(
    shaoxing, village_cadre, posting, town_office
):
    elsewhere = services.add_household(
        actor=town_office, village=shaoxing.xiejiawu, label="谢家坞1号"
    )
    with pytest.raises(ValidationError) as caught:
        visit(village_cadre, posting, households=[elsewhere.pk])
    assert "households" in caught.value.message_dict
    assert not DiaryEntry.objects.exists()


def test_the_register_refuses_identity_numbers_and_duplicates(shaoxing, village_cadre, register):
    for label in ("330602199001011234", register[0].label):
        with pytest.raises(ValidationError):
            services.add_household(
                actor=village_cadre, village=shaoxing.lanting_village, label=label
            )


def test_a_household_is_corrected_and_marked_moved_away(
    client, village_cadre, posting, register, other_town_office
):
    client.force_login(village_cadre)
    url = f"/fieldwork/households/{register[2].pk}/"
    page = client.post(url, {"label": register[0].label, "note": ""})
    assert "This village already has a household so named." in page.text or "已有" in page.text
    page = client.post(url, {"label": "兰亭村3号 陈家", "note": "独居老人" * 60})
    assert (
        page.status_code == 200 and register[2].__class__.objects.get(pk=register[2].pk).note == ""
    )
    client.post(url, {"label": "兰亭村3号 陈家（新址）", "note": "独居老人", "moved_away": "on"})
    moved = register[2].__class__.objects.get(pk=register[2].pk)
    assert moved.label == "兰亭村3号 陈家（新址）" and moved.left_on == datetime.date(2026, 11, 24)
    # Gone from the unvisited list and from what a visit may name; its page still opens.
    home = client.get("/")
    assert [h.label for h in home.context["unvisited"]] == [h.label for h in register[:2]]
    with pytest.raises(ValidationError):
        visit(village_cadre, posting, households=[moved])
    # Counted in a period it was there for, not after.
    before = household_coverage(posting.division.parent_id, since=DAY, until=DAY)
    after = household_coverage(
        posting.division.parent_id,
        since=datetime.date(2026, 11, 25),
        until=datetime.date(2026, 11, 30),
    )
    assert before["villages"][0]["households"] == 3 and after["villages"][0]["households"] == 2
    # Back again; and nobody outside keeps this register.
    client.post(url, {"label": moved.label, "note": ""})
    assert Household.objects.get(pk=register[2].pk).left_on is None
    client.force_login(other_town_office)
    assert client.get(url).status_code == 404


def test_home_shows_who_was_not_visited_this_term(client, village_cadre, posting, register):
    client.force_login(village_cadre)
    page = client.get("/")
    assert [h.label for h in page.context["unvisited"]] == [h.label for h in register]
    visit(village_cadre, posting, households=register[:2])
    page = client.get("/")
    assert [h.label for h in page.context["unvisited"]] == [register[2].label]
    assert "走访农户" in page.text  # the posting's duties are shown


def test_visit_shares_by_village_and_grid_take_constant_queries(
    shaoxing, village_cadre, posting, register, town_office
):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            figures = household_coverage(shaoxing.lanting.code, since=DAY, until=DAY)
        return len(queries), figures

    visit(village_cadre, posting, households=register[:1])
    few, figures = measure()
    [row] = figures["villages"]
    assert (row["households"], row["visited"], row["share"]) == (3, 1, 0.3333)
    assert row["last_visit"] == DAY
    for i in range(20):
        services.add_household(actor=town_office, village=shaoxing.xiejiawu, label=f"户{i}")
    many, figures = measure()
    assert many == few == 2
    assert [r["households"] for r in figures["villages"]] == [3, 20]


def test_home_shows_the_villages_enterprises_not_visited_this_term(
    client, shaoxing, village_cadre, posting
):
    firms = [EnterpriseFactory(name=n, division=shaoxing.lanting_village) for n in "一二"]
    EnterpriseFactory(name="别村企业", division=shaoxing.xiejiawu)
    client.force_login(village_cadre)
    page = client.get("/")
    assert [e.name for e in page.context["unvisited_enterprises"]] == ["一", "二"]
    visit(village_cadre, posting, enterprises=[firms[0]])
    page = client.get("/")
    assert [e.name for e in page.context["unvisited_enterprises"]] == ["二"]
    assert "别村企业" not in page.text


def test_enterprise_visit_shares_take_one_query_whatever_the_enterprises(
    shaoxing, village_cadre, posting, enterprise_cadre
):
    firm = EnterpriseFactory(name="甲", division=shaoxing.lanting_village)
    EnterpriseFactory(name="乙", division=shaoxing.lanting_village)
    visit(village_cadre, posting, enterprises=[firm])
    # The enterprise officer's own entry is a visit to that enterprise.
    own = Posting.objects.get(cadre__user=enterprise_cadre)
    visit(enterprise_cadre, own, day=DAY - datetime.timedelta(days=1), kind="enterprise")

    def measure():
        with CaptureQueriesContext(connection) as queries:
            rows = enterprise_coverage(
                shaoxing.lanting.code, since=DAY - datetime.timedelta(days=7), until=DAY
            )
        return len(queries), {r["division__name"]: r for r in rows}

    few, rows = measure()
    lanting = rows[shaoxing.lanting_village.name]
    assert (lanting["enterprises"], lanting["visited"], lanting["share"]) == (2, 1, 0.5)
    assert lanting["last_visit"] == DAY
    xiejiawu = rows[shaoxing.xiejiawu.name]
    assert (xiejiawu["enterprises"], xiejiawu["visited"]) == (1, 1)
    for i in range(10):
        EnterpriseFactory(name=f"企业{i}", division=shaoxing.xiejiawu)
    many, rows = measure()
    assert many == few == 1
    assert rows[shaoxing.xiejiawu.name]["enterprises"] == 11


# Duties ------------------------------------------------------------------------------------


def test_an_entry_ticks_its_postings_duties_and_offices_see_the_unserved(
    client, village_cadre, posting, town_office
):
    visit(village_cadre, posting, duties=["走访农户"])
    assert unserved_duties([posting], since=DAY, until=DAY) == {
        posting.pk: ["收集民情", "协调解决问题"]
    }
    with pytest.raises(ValidationError):
        visit(village_cadre, posting, duties=["不在清单上的职责"])
    client.force_login(town_office)
    page = client.get("/fieldwork/coverage/", {"since": "2026-11-01", "until": "2026-11-24"})
    assert page.status_code == 200
    assert "收集民情" in page.text


def test_unserved_duties_take_one_query_whatever_the_postings(shaoxing, village_cadre, posting):
    for _ in range(5):
        PostingFactory(division=shaoxing.xiejiawu)
    postings = list(postings_in(shaoxing.lanting.code, since=DAY, until=DAY))
    assert len(postings) == 6
    with CaptureQueriesContext(connection) as queries:
        unserved_duties(postings, since=DAY, until=DAY)
    with CaptureQueriesContext(connection) as fewer:
        unserved_duties(postings[:1], since=DAY, until=DAY)
    assert len(queries) == len(fewer) == 1


# Campaigns ---------------------------------------------------------------------------------


def test_an_office_opens_a_campaign_and_its_progress_counts_entries(
    village_cadre, posting, town_office, county_office, register
):
    body = {
        "name": "冬季大走访",
        "kind": "visits",
        "within": "330603000000",
        "started_on": "2026-11-01",
        "ended_on": "2026-11-30",
        "target_per_posting": 4,
    }
    # The county is above the town office and the cadre: for them it is not there.
    assert api(town_office).post("/api/v1/campaigns/", body, format="json").status_code == 404
    assert api(village_cadre).post("/api/v1/campaigns/", body, format="json").status_code == 404
    town_wide = {**body, "within": "330603008000"}
    assert api(village_cadre).post("/api/v1/campaigns/", town_wide, format="json").status_code in (
        403,
        404,
    )
    created = api(county_office).post("/api/v1/campaigns/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["within"] == "330603000000"
    visit(village_cadre, posting, households=register[:2])
    visit(village_cadre, posting, day=datetime.date(2026, 10, 30))  # before the period
    progress = api(county_office).get(f"/api/v1/campaigns/{created.json()['id']}/progress/")
    assert progress.status_code == 200
    data = progress.json()
    assert (data["visits"], data["postings"]) == (1, 1)
    assert data["by_town"] == [
        {"town": "330603008000", "name": "兰亭街道", "visits": 1, "postings": 1, "share": 0.25}
    ]
    # The page reads the shares as percentages.
    client = Client()
    client.force_login(county_office)
    page = client.get(f"/fieldwork/campaigns/{created.json()['id']}/").text
    assert "<td>25%</td>" in page and "完成率 25%" in page
    # The cadre sees the campaign their village takes part in, not its progress.
    assert api(village_cadre).get("/api/v1/campaigns/").json()["count"] == 1
    assert (
        api(village_cadre).get(f"/api/v1/campaigns/{created.json()['id']}/progress/").status_code
        == 404
    )


def test_a_campaign_with_a_bad_period_is_refused_and_writes_nothing(county_office):
    body = {
        "name": "x",
        "kind": "mediation",
        "within": "330603000000",
        "started_on": "2026-11-30",
        "ended_on": "2026-11-01",
        "target_per_posting": 4,
    }
    answer = api(county_office).post("/api/v1/campaigns/", body, format="json")
    assert answer.status_code == 400 and "ended_on" in answer.json()


# Deployments -------------------------------------------------------------------------------


@pytest.fixture
def helpers(db):
    return [CadreFactory(user=UserFactory(username=f"helper{i}")) for i in range(3)]


def test_an_office_sends_cadres_down_with_temporary_postings(shaoxing, other_town_office, helpers):
    body = {
        "division": shaoxing.shusheng.code,
        "cadres": [c.pk for c in helpers],
        "started_on": "2026-11-24",
        "ended_on": "2026-12-07",
        "tasks": ["独居老人照料走访", "防疫宣传"],
    }
    answer = api(other_town_office).post("/api/v1/deployments/", body, format="json")
    assert answer.status_code == 201, answer.json()
    postings = answer.json()["postings"]
    assert len(postings) == 3
    assert {p["ended_on"] for p in postings} == {"2026-12-07"}
    assert postings[0]["duties"] == ["独居老人照料走访", "防疫宣传"]


def test_a_deployment_with_an_unknown_cadre_writes_nothing(
    shaoxing, other_town_office, town_office, helpers
):
    body = {
        "division": shaoxing.shusheng.code,
        "cadres": [helpers[0].pk, 999999],
        "started_on": "2026-11-24",
        "ended_on": "2026-12-07",
    }
    answer = api(other_town_office).post("/api/v1/deployments/", body, format="json")
    assert answer.status_code == 400 and "cadres" in answer.json()
    answer = api(town_office).post(
        "/api/v1/deployments/", {**body, "cadres": [helpers[0].pk]}, format="json"
    )
    assert answer.status_code == 404  # another town's community
    assert not Posting.objects.filter(cadre=helpers[0]).exists()


def test_a_temporary_posting_ends_on_its_day(time_machine, shaoxing, other_town_office, helpers):
    deployment = services.deploy_cadres(
        actor=other_town_office,
        division=shaoxing.shusheng,
        cadres=helpers[:1],
        started_on=datetime.date(2026, 11, 24),
        ended_on=datetime.date(2026, 11, 30),
        tasks=["独居老人照料走访"],
    )
    issue = IssueFactory(division=shaoxing.shusheng, category=CategoryFactory(code="water"))

    def cadre():
        # A fresh login each time, as each request loads it (a user object keeps the
        # jurisdiction it computed once).
        return get_user_model().objects.get(pk=helpers[0].user_id)

    time_machine.move_to("2026-11-30 23:50 +08:00")
    assert api(cadre()).get(f"/api/v1/issues/{issue.pk}/").status_code == 200
    # Ten minutes past midnight in Shanghai (still the 30th in UTC): the term is over.
    time_machine.move_to("2026-12-01 00:10 +08:00")
    assert api(cadre()).get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    assert not Issue.objects.visible_to(cadre()).exists()
    with pytest.raises(ValidationError):
        visit(cadre(), deployment.postings.get(), day=datetime.date(2026, 12, 1))


def test_the_deployment_page_shows_roster_diaries_and_tasks(
    client, time_machine, shaoxing, other_town_office, helpers
):
    deployment = services.deploy_cadres(
        actor=other_town_office,
        division=shaoxing.shusheng,
        cadres=helpers,
        started_on=datetime.date(2026, 11, 24),
        ended_on=datetime.date(2026, 11, 30),
        tasks=["独居老人照料走访", "防疫宣传"],
    )
    posting = deployment.postings.get(cadre=helpers[0])
    visit(helpers[0].user, posting, day=datetime.date(2026, 11, 24), duties=["独居老人照料走访"])
    client.force_login(other_town_office)
    page = client.get(f"/fieldwork/deployments/{deployment.pk}/")
    assert page.status_code == 200
    tasks = {t["task"]: (t["entries"], t["cadres"]) for t in page.context["tasks"]}
    assert tasks == {"独居老人照料走访": (1, 1), "防疫宣传": (0, 0)}
    assert len(page.context["roster"]) == 3 and len(page.context["entries"]) == 1
    client.force_login(helpers[0].user)
    assert client.get(f"/fieldwork/deployments/{deployment.pk}/").status_code == 200
    client.force_login(UserFactory(username="nobody"))
    assert client.get(f"/fieldwork/deployments/{deployment.pk}/").status_code == 404


def test_the_coverage_page_runs_the_same_queries_however_many_postings(
    client, shaoxing, town_office, village_cadre, register, query_budget
):
    client.force_login(town_office)
    client.get("/fieldwork/coverage/")  # warming: the session and the like
    with query_budget.measure():
        assert client.get("/fieldwork/coverage/").status_code == 200
    for i in range(8):
        PostingFactory(division=shaoxing.xiejiawu)
        services.add_household(actor=town_office, village=shaoxing.xiejiawu, label=f"户{i}")
    with query_budget.same():
        page = client.get("/fieldwork/coverage/")
    assert len(page.context["rows"]) == 9


def test_a_mediation_campaign_counts_entries_by_outcome(
    client, village_cadre, posting, county_office
):
    campaign = services.open_campaign(
        actor=county_office,
        name="矛盾纠纷大排解",
        kind="mediation",
        within="330603000000",
        started_on=datetime.date(2026, 11, 1),
        ended_on=datetime.date(2026, 11, 30),
        target_per_posting=2,
    )
    visit(village_cadre, posting, mediation="settled")
    visit(village_cadre, posting, mediation="referred")
    visit(village_cadre, posting)
    with pytest.raises(ValidationError):
        visit(village_cadre, posting, mediation="shouted")
    answer = api(county_office).get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    assert answer["visits"] == 3 and answer["mediations"] == {"settled": 1, "referred": 1}
    client.force_login(county_office)
    page = client.get(f"/fieldwork/campaigns/{campaign.pk}/")
    assert "调解成功: 1" in page.text and "移交处理: 1" in page.text


def test_deployments_are_listed_with_their_postings_in_constant_queries(
    shaoxing, other_town_office, helpers, query_budget
):
    def deploy():
        services.deploy_cadres(
            actor=other_town_office,
            division=shaoxing.shusheng,
            cadres=helpers,
            started_on=datetime.date(2026, 11, 24),
            ended_on=datetime.date(2026, 11, 30),
        )

    deploy()
    client = api(other_town_office)
    client.get("/api/v1/deployments/")
    with query_budget.measure():
        assert client.get("/api/v1/deployments/").json()["count"] == 1
    deploy()
    deploy()
    with query_budget.same():
        answer = client.get("/api/v1/deployments/").json()
    assert answer["count"] == 3 and all(len(d["postings"]) == 3 for d in answer["results"])
