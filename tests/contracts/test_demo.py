"""seed_demo's co-building: contracts in every step, resources, projects, grids with members."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from contracts.models import CategoryKind, CommitteeMember, Contract, Project, Resource
from contracts.selectors import stats
from dispatch.models import Membership
from issues.models import Issue


@pytest.mark.django_db
def test_the_demo_has_co_building_in_every_step_and_grids_with_members(client):
    call_command("seed_demo", stdout=StringIO())
    assert set(Contract.objects.values_list("step", flat=True)) == set(Contract.STEPS)
    assert Resource.objects.exists() and Project.objects.exists()
    assert CommitteeMember.objects.exists() and CategoryKind.objects.exists()
    grid_member = Membership.objects.get(role=Membership.Role.GRID, user__username="grid_lanting")
    assert Issue.objects.filter(grid__isnull=False).exists()
    seen = Issue.objects.visible_to(grid_member.user)
    assert seen.exists() and not seen.exclude(grid=grid_member.grid).exists()
    figures = stats(Membership.objects.get(user__username="office_city").user)
    assert figures["contracts"] == Contract.objects.count()
    assert client.get("/co-building/330602002045/").status_code == 200
    # Twice changes nothing.
    before = Contract.objects.count(), Resource.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert (Contract.objects.count(), Resource.objects.count()) == before
