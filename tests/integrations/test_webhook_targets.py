"""Webhook targets inside the network are refused: when a subscription is saved, when a
delivery is sent (on the address connected to), and after a redirect, which is never
followed. Deliveries that keep failing are retried by Celery, then marked failed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration
from integrations.tasks import deliver_webhook
from issues import services

from ..factories import CategoryFactory
from ..workers import Receiver

INSIDE = [
    "http://10.0.0.1/hooks",
    "http://192.168.1.20:8080/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://localhost:8080/hooks",  # a name that resolves to 127.0.0.1
    "http://0.0.0.0/hooks",
]


@pytest.fixture
def integration(shaoxing):
    return create_integration(name="市民热线", division=shaoxing.keqiao)[0]


@pytest.fixture
def loopback_refused(settings):
    settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK = False


@pytest.mark.parametrize("url", INSIDE)
def test_a_subscription_to_an_address_inside_is_refused(integration, loopback_refused, url):
    subscription = WebhookSubscription(integration=integration, target_url=url, secret="s")
    with pytest.raises(ValidationError) as caught:
        subscription.full_clean()
    assert "target_url" in caught.value.message_dict


def test_a_public_address_is_accepted(integration, loopback_refused):
    WebhookSubscription(
        integration=integration, target_url="https://1.1.1.1/hooks", secret="s"
    ).full_clean()


def test_loopback_is_accepted_only_when_the_setting_allows_it(integration, settings):
    subscription = WebhookSubscription(
        integration=integration, target_url="http://127.0.0.1:9000/hooks", secret="s"
    )
    settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK = True
    subscription.full_clean()
    settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError):
        subscription.full_clean()
    # Private and metadata addresses are refused whatever the setting says.
    settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK = True
    subscription.target_url = "http://169.254.169.254/"
    with pytest.raises(ValidationError):
        subscription.full_clean()


def test_the_admin_refuses_a_metadata_target_with_a_clear_error(
    client, superuser, integration, loopback_refused
):
    client.force_login(superuser)
    response = client.post(
        "/admin/integrations/webhooksubscription/add/",
        {
            "integration": integration.pk,
            "target_url": "http://169.254.169.254/latest/meta-data/",
            "secret": "s",
            "active": "on",
            "event_kinds": "[]",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["target_url"]
    assert len(errors) == 1 and "169.254.169.254" in errors[0]
    assert errors[0] in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def _delivery(integration, url: str, village_cadre, shaoxing, django_capture_on_commit_callbacks):
    """A subscription saved when its target was acceptable, and one delivery to send."""
    CategoryFactory(code="water")
    subscription = WebhookSubscription.objects.create(
        integration=integration, target_url=url, secret="s"
    )
    with django_capture_on_commit_callbacks(execute=False):
        issue = services.raise_issue(
            actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
        )
    from integrations.services import queue_deliveries

    with django_capture_on_commit_callbacks(execute=False):
        queue_deliveries(list(issue.events.values_list("pk", flat=True)))
    return WebhookDelivery.objects.get(subscription=subscription)


def test_a_target_resolving_to_loopback_is_not_sent_to_at_send_time(
    integration, village_cadre, shaoxing, settings, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        url = f"http://localhost:{receiver.port}/hooks"
        delivery = _delivery(
            integration, url, village_cadre, shaoxing, django_capture_on_commit_callbacks
        )
        settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK = False
        deliver_webhook.apply(args=[delivery.pk])
        assert receiver.calls == []
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1 and "127.0.0.1" in delivery.last_error


def test_a_redirect_is_not_followed(
    integration, village_cadre, shaoxing, django_capture_on_commit_callbacks
):
    """The first receiver answers 302 to the second; the second must hear nothing, whatever
    address it has: the redirect is a failed delivery, retried and then marked failed."""
    with (
        Receiver() as inside,
        Receiver(respond=lambda n: (302, {"Location": inside.url})) as outside,
    ):
        delivery = _delivery(
            integration, outside.url, village_cadre, shaoxing, django_capture_on_commit_callbacks
        )
        deliver_webhook.apply(args=[delivery.pk])
        assert inside.calls == []
        assert [c["method"] for c in outside.calls] == ["POST"] * 5  # 1 + 4 retries
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_response_code == 302 and inside.url in delivery.last_error


def test_a_delivery_is_marked_failed_after_its_last_retry(
    integration, village_cadre, shaoxing, django_capture_on_commit_callbacks
):
    with Receiver(respond=lambda n: (503, {})) as receiver:
        delivery = _delivery(
            integration, receiver.url, village_cadre, shaoxing, django_capture_on_commit_callbacks
        )
        result = deliver_webhook.apply(args=[delivery.pk])
        assert len(receiver.calls) == 1 + deliver_webhook.max_retries
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 5 and delivery.last_response_code == 503
    assert result.get() == "failed"
