"""The resident's end of the loop: lookup, the follow-up queue, and forgetting the reporter."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from issues.deadlines import is_workday
from issues.models import FollowUpOutcome, Issue, IssueEvent, IssueQuerySet, IssueReport
from sms.services import forget_messages


def allow_lookup(client: str, number: str) -> bool:
    """Count one lookup at /track/ against the client's and the issue number's allowance
    (settings.TRACK_LIMIT_CLIENT, TRACK_LIMIT_ISSUE per TRACK_WINDOW_MINUTES, in the shared
    cache); False once either is spent. Per number, so that guessing four digits from many
    addresses is as slow as from one."""
    window = settings.TRACK_WINDOW_MINUTES * 60
    allowed = True
    for key, limit in (
        (f"track:client:{client}", settings.TRACK_LIMIT_CLIENT),
        (f"track:issue:{number}", settings.TRACK_LIMIT_ISSUE),
    ):
        cache.add(key, 0, window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            count = 1
        allowed = allowed and count <= limit
    return allowed


def find_issue(number: str, phone_last4: str) -> Issue | None:
    """The issue numbered `number` whose reporter's phone ends in `phone_last4`; None for
    every failure alike (no such issue, wrong digits, no phone kept). A merged issue's
    reporter, whose phone moved to the survivor as a further report, finds the survivor;
    so does a further reporter with the survivor's number."""
    if not (number.isdigit() and len(phone_last4) == 4 and phone_last4.isdigit()):
        return None
    pk = int(number)
    if pk > 2**63 - 1:
        return None
    reported = IssueReport.objects.filter(
        reporter_phone__endswith=phone_last4, issue=OuterRef("pk")
    ).filter(Q(merged_from_id=pk) | Q(issue_id=pk))
    return (
        Issue.objects.filter(
            (Q(pk=pk) & Q(reporter_phone__endswith=phone_last4) & ~Q(reporter_phone=""))
            | Q(Exists(reported), merged_issues__pk=pk)
            | Q(Exists(reported), pk=pk)
        )
        .distinct()
        .first()
    )


def working_days_before(moment: datetime, days: int) -> datetime:
    """The moment `days` working days before `moment` (Chinese calendar)."""
    local = timezone.localtime(moment)
    day, counted = local.date(), 0
    while counted < days:
        day -= timedelta(days=1)
        if is_workday(day):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=local.tzinfo)


def followup_queue(issues: IssueQuerySet, *, now: datetime | None = None) -> IssueQuerySet:
    """Resolved issues not rated FOLLOWUP_AFTER working days after their resolution, with a
    reporter's phone to call, that no call since has settled (reached or declined; an
    unreachable reporter stays in the queue). Oldest resolution first."""
    cutoff = working_days_before(now or timezone.now(), settings.FOLLOWUP_AFTER)
    settled = IssueEvent.objects.filter(
        issue=OuterRef("pk"),
        kind=IssueEvent.Kind.FOLLOWED_UP,
        at__gte=OuterRef("resolved_at"),
    ).exclude(reason=FollowUpOutcome.UNREACHABLE)
    return (
        issues.filter(status=Issue.Status.RESOLVED, resolved_at__lte=cutoff)
        .filter(Q(rated_at__isnull=True) | Q(rated_at__lt=F("resolved_at")))
        .exclude(reporter_phone="")
        .exclude(Exists(settled))
        .order_by("resolved_at", "id")
    )


def anonymise_reporters(*, now: datetime | None = None, batch_size: int = 2000) -> int:
    """Blank the reporter's name and phone of issues resolved more than REPORTER_RETENTION_DAYS
    ago, in batches of SQL; the issues, their events and so every statistic stay as they were.
    An issue reopened since is unresolved and keeps them. Text messages older than the
    retention lose their phone and text too. Returns how many issues were anonymised."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.REPORTER_RETENTION_DAYS)
    forget_messages(before=cutoff)
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                Issue.objects.filter(
                    status=Issue.Status.RESOLVED, resolved_at__lt=cutoff, anonymised_at__isnull=True
                )
                .exclude(reporter_name="", reporter_phone="")
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return done
            done += Issue.objects.filter(pk__in=ids).update(
                reporter_name="", reporter_phone="", anonymised_at=now
            )
            # The further reporters of the same problem were answered with it.
            IssueReport.objects.filter(issue_id__in=ids).update(reporter_name="", reporter_phone="")
