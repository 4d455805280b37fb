"""Office members add and change the cadres and postings of their own subtree in the admin:
a new cadre gets a login with a set-password link, phones are checked, and every choice and
every row outside the office's subtree is absent or a 404."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from dispatch.models import Cadre, Posting

from ..factories import CadreFactory, PostingFactory, UserFactory

CADRES = "/admin/dispatch/cadre/"
POSTINGS = "/admin/dispatch/posting/"


@pytest.fixture
def office_client(client, town_office):
    client.force_login(town_office)
    return client


def cadre_form(**overrides) -> dict:
    data = {
        "name": "新任驻村指导员",
        "phone": "138 1234 5678",
        "agency": "柯桥区农业农村局",
        "username": "",
        "postings-TOTAL_FORMS": "1",
        "postings-INITIAL_FORMS": "0",
        "postings-MIN_NUM_FORMS": "1",
        "postings-MAX_NUM_FORMS": "1000",
        "postings-0-kind": "village",
        "postings-0-division": "330603008258",  # 谢家坞村, in 兰亭街道
        "postings-0-enterprise": "",
        "postings-0-started_on": "2026-11-01",
        "postings-0-ended_on": "",
        "postings-0-duties": "[]",
    }
    return {**data, **overrides}


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_office_member_opens_the_cadre_form_in_their_language(office_client):
    response = office_client.get(f"{CADRES}add/")
    assert response.status_code == 200
    assert "403" not in response.content.decode()


def test_office_member_adds_a_cadre_with_a_login_and_a_set_password_link(office_client):
    response = office_client.post(f"{CADRES}add/", cadre_form(), follow=True)
    assert response.status_code == 200, response.content.decode()[:3000]
    cadre = Cadre.objects.get(name="新任驻村指导员")
    assert cadre.phone == "13812345678"  # checked and stored as digits
    user = cadre.user
    assert user.username == "13812345678"  # the mobile when no login name is given
    assert not user.has_usable_password()
    assert cadre.postings.get().division_id == "330603008258"
    (message,) = [m for m in texts(response) if "/accounts/reset/" in m]
    link = re.search(r"(/accounts/reset/\S+/)", message)[1]
    # The link lets the cadre choose a password, then log in.
    form = office_client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    office_client.post(
        set_url, {"new_password1": "Lanting-2026!x", "new_password2": "Lanting-2026!x"}
    )
    user.refresh_from_db()
    assert user.check_password("Lanting-2026!x")


def test_the_link_is_also_texted_to_the_cadres_mobile(office_client):
    from sms.models import TextMessage

    office_client.post(f"{CADRES}add/", cadre_form())
    (text,) = TextMessage.objects.filter(phone="13812345678")
    assert "/accounts/reset/" in text.text and text.template == "notice"


def test_a_landline_gets_no_text(office_client):
    from sms.models import TextMessage

    office_client.post(f"{CADRES}add/", cadre_form(phone="0575-88881234", username="lanting"))
    assert Cadre.objects.get(name="新任驻村指导员").phone == "0575-88881234"
    assert not TextMessage.objects.exists()


def test_a_named_login_is_used_and_must_be_free(office_client):
    UserFactory(username="taken")
    response = office_client.post(f"{CADRES}add/", cadre_form(username="taken"))
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Cadre.objects.filter(name="新任驻村指导员").exists()
    office_client.post(f"{CADRES}add/", cadre_form(username="xinren"))
    assert Cadre.objects.get(name="新任驻村指导员").user.username == "xinren"


def test_a_bad_phone_is_refused_with_a_message(office_client):
    response = office_client.post(f"{CADRES}add/", cadre_form(phone="12345"))
    assert response.status_code == 200
    assert "0575-88881234" in response.content.decode()  # the phone rule's own message
    assert not get_user_model().objects.filter(username="12345").exists()
    assert not Cadre.objects.filter(name="新任驻村指导员").exists()


def test_a_new_cadre_needs_a_posting(office_client):
    response = office_client.post(f"{CADRES}add/", cadre_form(**{"postings-TOTAL_FORMS": "0"}))
    assert response.status_code == 200
    assert not Cadre.objects.filter(name="新任驻村指导员").exists()


def test_a_posting_outside_the_subtree_is_refused(office_client):
    response = office_client.post(
        f"{CADRES}add/",
        cadre_form(**{"postings-0-division": "330602002045"}),  # 府山街道
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Cadre.objects.filter(name="新任驻村指导员").exists()


def test_office_member_changes_a_cadre_of_their_subtree(office_client, village_cadre):
    cadre = village_cadre.cadre
    posting = cadre.postings.get()
    data = {
        "name": cadre.name,
        "phone": "0575-88881234",
        "agency": "区委组织部",
        "postings-TOTAL_FORMS": "1",
        "postings-INITIAL_FORMS": "1",
        "postings-MIN_NUM_FORMS": "0",
        "postings-MAX_NUM_FORMS": "1000",
        "postings-0-id": str(posting.pk),
        "postings-0-cadre": str(cadre.pk),
        "postings-0-kind": "village",
        "postings-0-division": posting.division_id,
        "postings-0-enterprise": "",
        "postings-0-started_on": "2024-01-01",
        "postings-0-ended_on": "2026-12-31",
        "postings-0-duties": '["走访农户"]',
    }
    response = office_client.post(f"{CADRES}{cadre.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    cadre.refresh_from_db()
    posting.refresh_from_db()
    assert (cadre.phone, cadre.agency) == ("0575-88881234", "区委组织部")
    assert str(posting.ended_on) == "2026-12-31"


def test_cadres_and_postings_of_another_town_do_not_exist(office_client, community_cadre):
    other = community_cadre.cadre
    assert office_client.get(f"{CADRES}{other.pk}/change/").status_code == 404
    posting = other.postings.get()
    assert office_client.get(f"{POSTINGS}{posting.pk}/change/").status_code == 404
    page = office_client.get(CADRES).content.decode()
    assert other.name not in page


def test_office_member_adds_a_posting_only_in_their_subtree(office_client, village_cadre):
    cadre = village_cadre.cadre
    data = {
        "cadre": str(cadre.pk),
        "kind": "village",
        "division": "330603008258",
        "enterprise": "",
        "started_on": "2026-11-01",
        "ended_on": "",
        "duties": "[]",
    }
    assert office_client.post(f"{POSTINGS}add/", data).status_code == 302
    assert cadre.postings.filter(division_id="330603008258").exists()
    response = office_client.post(f"{POSTINGS}add/", {**data, "division": "330602002045"})
    assert response.status_code == 200
    assert not cadre.postings.filter(division_id="330602002045").exists()


def test_a_cadre_of_another_town_cannot_be_posted_here(office_client, community_cadre):
    data = {
        "cadre": str(community_cadre.cadre.pk),
        "kind": "village",
        "division": "330603008258",
        "started_on": "2026-11-01",
        "duties": "[]",
    }
    response = office_client.post(f"{POSTINGS}add/", data)
    assert response.status_code == 200
    assert not Posting.objects.filter(division_id="330603008258").exists()


def test_a_cadre_posted_in_two_towns_shows_only_this_towns_posting(office_client, shaoxing):
    cadre = CadreFactory(name="两地干部")
    here = PostingFactory(cadre=cadre, division=shaoxing.xiejiawu)
    there = PostingFactory(cadre=cadre, division=shaoxing.shusheng)
    page = office_client.get(f"{CADRES}{cadre.pk}/change/").content.decode()
    assert f'value="{here.pk}"' in page
    assert f'value="{there.pk}"' not in page


def test_department_member_does_not_manage_cadres(client, social_member):
    client.force_login(social_member)
    assert client.get(f"{CADRES}add/").status_code in (302, 403)
