"""Mail and webhooks are separate channels: a mail server that fails in any way never keeps
an event from its webhooks."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import create_integration
from issues import services
from issues.notifications import mails_for

from .. import workers
from ..factories import CategoryFactory


class RejectingMailBackend(BaseEmailBackend):
    """A mail server that answers every message with a permanent refusal (not a lost
    connection, which the old task retried)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPDataError(554, b"5.7.1 message rejected")


@pytest.fixture
def worker(transactional_db):
    with workers.in_process_worker() as app:
        yield app


@pytest.mark.slow
def test_a_failing_mail_server_does_not_stop_webhooks(worker, settings, shaoxing, village_cadre):
    settings.EMAIL_BACKEND = f"{__name__}.RejectingMailBackend"
    CategoryFactory(code="water")
    integration, _key = create_integration(name="市民热线", division=shaoxing.keqiao)
    with workers.Receiver() as receiver:
        WebhookSubscription.objects.create(
            integration=integration, target_url=receiver.url, secret="s"
        )
        issue = services.raise_issue(
            actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
        )
        # Resolution mails the raiser: the mail server refuses it.
        services.resolve_issue(actor=village_cadre, issue=issue, resolution="已修复")

        def both_delivered():
            return WebhookDelivery.objects.filter(status="delivered").count() == 2

        assert workers.wait_for(both_delivered), list(WebhookDelivery.objects.values())
    kinds = sorted(d.event.kind for d in WebhookDelivery.objects.select_related("event"))
    assert kinds == ["raised", "resolved"]


def test_escalation_mails_the_new_holders_office_and_resolution_the_raiser(
    shaoxing, village_cadre, town_office, django_capture_on_commit_callbacks
):
    CategoryFactory(code="water")
    issue = services.raise_issue(
        actor=village_cadre, division=shaoxing.lanting_village, category="water", title="水管"
    )
    escalated = services.escalate_issue(
        actor=village_cadre, issue=issue, reason="beyond_authority", note="需镇里协调"
    )
    resolved = services.resolve_issue(actor=town_office, issue=escalated, resolution="已修复")
    events = list(resolved.events.order_by("id").values_list("pk", flat=True))
    mails = {m.recipients[0]: m for m in mails_for(events)}
    assert sorted(mails) == sorted([village_cadre.email, town_office.email])
    escalation = mails[town_office.email]
    assert "水管" in escalation.body and escalation.body.endswith(f"/issues/{issue.pk}/")
    assert "已修复" in mails[village_cadre.email].body
    assert mail.outbox == []  # composing sends nothing
