from __future__ import annotations

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dispatch.models import Division, Enterprise, Posting, Tier, credit_code_check_char
from dispatch.services import Jurisdiction, coverage, jurisdiction, uncovered_villages
from tests.factories import (
    EnterpriseFactory,
    PostingFactory,
    credit_code,
    division,
)

BASE_DIR = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------------
# Division constraints
# ---------------------------------------------------------------------------------------------


def create_division(code: str, tier: str, parent_code: str | None) -> None:
    with transaction.atomic():
        Division.objects.create(code=code, name="x", tier=tier, parent_id=parent_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code",
    ["33060300825", "3306030082 0", "33060300825A", "330603008000"],
)
def test_division_rejects_a_malformed_village_code(shaoxing, code):
    with pytest.raises(IntegrityError):
        create_division(code, Tier.VILLAGE, "330603008000")


@pytest.mark.django_db
def test_division_rejects_a_tier_that_does_not_match_the_code(shaoxing):
    with pytest.raises(IntegrityError):
        create_division("330603009000", Tier.VILLAGE, "330603000000")


@pytest.mark.django_db
def test_division_rejects_a_parent_that_is_not_the_ancestor(shaoxing):
    # 府山街道 exists, but it is not the parent of a code under 兰亭街道.
    with pytest.raises(IntegrityError):
        create_division("330603008259", Tier.VILLAGE, "330602002000")


@pytest.mark.django_db
def test_division_rejects_a_city_with_a_parent(shaoxing):
    with pytest.raises(IntegrityError):
        create_division("330700000000", Tier.CITY, "330600000000")


@pytest.mark.django_db
def test_division_accepts_its_true_parent(shaoxing):
    create_division("330603008259", Tier.VILLAGE, "330603008000")

    assert Division.objects.get(code="330603008259").parent == shaoxing.lanting


# ---------------------------------------------------------------------------------------------
# Enterprise credit code
# ---------------------------------------------------------------------------------------------


def test_credit_code_check_char_matches_a_published_code():
    # 91350100M000100Y43 is the standard's worked example; its check character is 3.
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.django_db
def test_enterprise_with_a_valid_credit_code_passes_full_clean(shaoxing):
    enterprise = Enterprise(
        name="演示企业", credit_code=credit_code("91330603MA2000999"), division=shaoxing.xiejiawu
    )

    enterprise.full_clean()


@pytest.mark.django_db
def test_enterprise_with_a_wrong_check_char_fails_full_clean(shaoxing):
    good = credit_code("91330603MA2000999")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    enterprise = Enterprise(name="演示企业", credit_code=wrong, division=shaoxing.xiejiawu)

    with pytest.raises(ValidationError) as excinfo:
        enterprise.full_clean()

    assert excinfo.value.error_dict["credit_code"][0].code == "credit_code_check"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad", ["91330603MA200099", "91330603MA200099IO", "9133060SMA20009991", "ab330603MA20009991"]
)
def test_enterprise_with_a_misshapen_credit_code_is_rejected_by_the_database(shaoxing, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.create(name="演示企业", credit_code=bad, division=shaoxing.xiejiawu)


@pytest.mark.django_db
def test_enterprise_factory_makes_valid_distinct_codes():
    first, second = EnterpriseFactory(), EnterpriseFactory()

    first.full_clean()
    second.full_clean()
    assert first.credit_code != second.credit_code


# ---------------------------------------------------------------------------------------------
# Coverage and jurisdiction
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_coverage_counts_villages_with_an_active_posting(shaoxing):
    PostingFactory(division=shaoxing.lanting_village)
    PostingFactory(
        division=shaoxing.xiejiawu,
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2020, 12, 31),
    )

    result = coverage(shaoxing.lanting)

    assert result == {
        "division": "330603008000",
        "villages": 2,
        "covered": 1,
        "uncovered": ["330603008258"],
    }
    assert coverage(shaoxing.city)["villages"] == 4
    assert list(uncovered_villages(shaoxing.fushan).values_list("code", flat=True)) == [
        "330602002001",
        "330602002045",
    ]


@pytest.mark.django_db
def test_coverage_on_a_past_day_counts_the_postings_of_that_day(shaoxing):
    PostingFactory(
        division=shaoxing.xiejiawu,
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2020, 12, 31),
    )

    assert coverage(shaoxing.lanting, on=datetime.date(2020, 6, 1))["covered"] == 1


@pytest.mark.django_db
def test_jurisdiction_of_a_village_cadre_is_their_village(village_cadre):
    j = jurisdiction(village_cadre)

    assert j.prefixes == ("330603008250",)
    assert "330603008250" in j.cadre_at
    assert j.sees("330603008250")
    assert not j.sees("330603008258")
    assert not j.is_office_of("330603008000")


@pytest.mark.django_db
def test_jurisdiction_of_a_town_office_is_the_town_subtree(town_office):
    j = jurisdiction(town_office)

    assert j.prefixes == ("330603008",)
    assert j.is_office_of("330603008000")
    assert j.sees("330603008258")
    assert not j.sees("330602002045")
    assert "330603008250" not in j.cadre_at | j.office_at | j.leader_at


@pytest.mark.django_db
def test_jurisdiction_of_a_county_leader_and_the_city(county_leader, city_office):
    assert "330603000000" in jurisdiction(county_leader).leader_at
    assert not jurisdiction(county_leader).sees("330602002045")
    assert jurisdiction(city_office).sees("330602002045")


@pytest.mark.django_db
def test_jurisdiction_of_outsiders_and_superusers(outsider, superuser):
    assert jurisdiction(outsider) == Jurisdiction()
    assert not jurisdiction(outsider).sees("330603008250")
    assert jurisdiction(superuser).sees("330603008250")


@pytest.mark.django_db
def test_jurisdiction_ignores_an_ended_posting(shaoxing, village_cadre):
    Posting.objects.filter(cadre__user=village_cadre).update(ended_on=datetime.date(2024, 6, 30))

    assert jurisdiction(village_cadre) == Jurisdiction()


@pytest.mark.django_db
def test_personas_have_the_postings_and_memberships_they_are_named_for(
    enterprise_cadre, liaison, community_cadre, second_county_leader, city_leader, other_town_office
):
    posting = Posting.objects.get(cadre__user=enterprise_cadre)
    assert (posting.kind, posting.division_id) == ("enterprise", "330603008258")
    posting.full_clean()
    assert Posting.objects.get(cadre__user=liaison).division_id == "330602002001"
    assert Posting.objects.get(cadre__user=community_cadre).division_id == "330602002045"
    assert "330603000000" in jurisdiction(second_county_leader).leader_at
    assert "330600000000" in jurisdiction(city_leader).leader_at
    assert jurisdiction(other_town_office).is_office_of("330602002000")


@pytest.mark.django_db
def test_division_helper_creates_ancestors_with_real_names():
    village = division("330683105265")

    assert village.name == "楼家村"
    assert village.parent.name == "石璜镇"
    assert village.parent.parent.parent.name == "绍兴市"


# ---------------------------------------------------------------------------------------------
# Deployment settings
# ---------------------------------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        # Browser tests allow sync database calls inside Playwright's event loop; a
        # production process never has that switch, nor the development ones.
        if key
        not in {
            "DEBUG",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="sanbufu.example.org",
        DEBUG="0",
        SANBUFU_VAR_DIR=str(tmp_path),
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
