"""One problem, one issue, on the diary form: an issue like an open one is offered to be
added to it, as a further report, instead of being raised again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diaries.models import DiaryEntry
from dispatch.models import Posting
from issues import services
from issues.models import Issue, IssueReport

from ..factories import CategoryFactory
from .test_views import entry_data

ROW = {"title": "工地夜间施工噪音扰民", "category": "water", "reporter_name": "李阿姨"}


@pytest.fixture
def known(shaoxing, village_cadre):
    return services.raise_issue(
        actor=village_cadre,
        division=shaoxing.lanting_village,
        category=CategoryFactory(code="water"),
        title="工地夜间施工噪音太大",
    )


def test_a_similar_open_issue_is_offered_and_the_report_linked_to_it(client, village_cadre, known):
    client.force_login(village_cadre)
    posting = Posting.objects.get(cadre__user=village_cadre)
    page = client.post(reverse("diaries:new"), entry_data(posting, [ROW]))
    assert page.status_code == 200
    assert f"#{known.pk} 工地夜间施工噪音太大" in page.text
    assert not DiaryEntry.objects.exists()
    saved = client.post(
        reverse("diaries:new"), entry_data(posting, [{**ROW, "same_as": str(known.pk)}])
    )
    assert saved.status_code == 302
    entry = DiaryEntry.objects.get()
    assert list(entry.issues.all()) == [known]
    assert Issue.objects.count() == 1
    assert IssueReport.objects.get(issue=known).reporter_name == "李阿姨"


def test_a_different_problem_is_raised_when_the_cadre_says_so(client, village_cadre, known):
    client.force_login(village_cadre)
    posting = Posting.objects.get(cadre__user=village_cadre)
    saved = client.post(reverse("diaries:new"), entry_data(posting, [{**ROW, "new_anyway": "on"}]))
    assert saved.status_code == 302
    assert Issue.objects.count() == 2 and not IssueReport.objects.exists()
