from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from diaries.models import ServedDuty
from fieldwork.models import Campaign, Deployment, Household
from fieldwork.selectors import campaign_progress


@pytest.mark.django_db
def test_the_demo_has_households_a_campaign_and_a_deployment_once():
    call_command("seed_demo", stdout=StringIO())
    assert Household.objects.count() >= 12
    campaign = Campaign.objects.get()
    assert campaign_progress(campaign)["visits"] > 0
    deployment = Deployment.objects.get()
    assert deployment.postings.count() == 3
    assert ServedDuty.objects.filter(entry__posting__in=deployment.postings.all()).exists()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Campaign.objects.count() == 1 and "Field work" not in out.getvalue()
