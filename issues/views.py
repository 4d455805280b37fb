"""Issue pages: my issues, one issue with its timeline and actions, and the leaders' claim
board. Every action of every page posts to `issue_action`, which validates the action's one
form, calls its service and goes back to the page it came from (a safe `next`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.forms import add_service_errors, safe_next
from common.phones import tel_uri
from dispatch.models import Department, Division, Posting, Tier
from dispatch.services import jurisdiction
from evidence.models import live_attachments

from .forms import (
    PAGE_ACTIONS,
    AssignForm,
    BoardFilterForm,
    IssueFilterForm,
    NotificationPreferenceForm,
    ResolveForm,
)
from .models import (
    Category,
    EscalationReason,
    FollowUpOutcome,
    Issue,
    IssueEvent,
    IssueReport,
    Notification,
    NotificationPreference,
    RatingSource,
)
from .rules import allowed_actions, capacities, reporter_phone

ISSUE_PAGE_SIZE = 25
# The queue shows a department's assigned work, earliest deadline first.
QUEUE_SIZE = 200
# How the timeline reads the work order's reason codes.
REASON_LABELS = {
    "late": _("late"),
    "overdue": _("after the deadline"),
    "extended": _("within the extended deadline"),
    "arbitrated": _("arbitration: assigned again after a hand-back"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    # Where a recorded place came from.
    "photo": _("read from a photo"),
    "phone": _("the phone's location"),
}


def reason_label(kind: str, reason: str):
    """How a timeline step's reason code reads: escalations carry a reason code, ratings
    their source, follow-up calls their outcome, extension requests their days; returns carry
    the office's own words."""
    if kind == IssueEvent.Kind.EXTENSION_REQUESTED:
        return _("%(days)s working days") % {"days": reason}
    return next(
        (
            codes(reason).label
            for codes in (EscalationReason, RatingSource, FollowUpOutcome)
            if reason in codes.values
        ),
        REASON_LABELS.get(reason, reason),
    )


def label_reasons(events) -> None:
    for event in events:
        event.reason_label = reason_label(event.kind, event.reason)


def add_history(issues, now) -> None:
    """Label what `Issue.objects.with_history()` brought: the escalation reason, the latest
    steps' reasons, and the whole days the issue has waited at its tier."""
    for issue in issues:
        issue.escalation_label = (
            reason_label(IssueEvent.Kind.ESCALATED, issue.escalation_reason)
            if issue.escalation_reason
            else ""
        )
        label_reasons(issue.recent_events)
        issue.days_waiting = max((now - issue.arrived_at).days, 0)


def _load(request, pk: int) -> Issue:
    return get_object_or_404(
        Issue.objects.visible_to(request.user)
        .for_list()
        .with_work_order()
        .select_related("claimed_by__cadre", "raised_by__cadre")
        # Whether others reported it too: their list is read only when there are some.
        .annotate(has_reports=Exists(IssueReport.objects.filter(issue=OuterRef("pk")))),
        pk=pk,
    )


@login_required
def issue_list(request):
    postings = Posting.objects.active().of_cadre(request.user)
    filters = IssueFilterForm(request.GET or None, postings=postings)
    issues = Issue.objects.visible_to(request.user).for_list()
    mine = True
    if filters.is_valid():
        data = filters.cleaned_data
        mine = data.get("scope") != IssueFilterForm.ALL
        if data.get("q"):
            issues = issues.search(data["q"])
        if data.get("status"):
            issues = issues.filter(status=data["status"])
        if data.get("tier"):
            issues = issues.filter(tier=data["tier"])
        if data.get("overdue"):
            issues = issues.overdue()
        if data.get("supervised"):
            issues = issues.supervised()
        if data.get("posting"):
            issues = issues.filter(posting_id=data["posting"])
    if mine:
        issues = issues.mine(request.user)
    # Unresolved first, the earliest deadline (so the overdue) at the top.
    issues = issues.annotate(
        done=Case(
            When(status=Issue.Status.RESOLVED, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("done", "due_at", "pk")
    page = Paginator(issues, ISSUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "issues/list.html",
        {"page": page, "filters": filters, "query": query.urlencode(), "mine": mine},
    )


def _detail(request, issue: Issue, bound: dict | None = None, status: int = 200):
    allowed = allowed_actions(request.user, issue)
    held = capacities(request.user, issue)
    actions = [
        {
            "name": name,
            "title": action.title,
            "submit": action.submit,
            "form": (bound or {}).get(name) or action.form(prefix=name, issue=issue),
        }
        for name, action in PAGE_ACTIONS.items()
        if name in allowed
    ]
    events = list(
        issue.events.select_related("actor__cadre", "department").prefetch_related("co_departments")
    )
    label_reasons(events)
    phone = reporter_phone(request.user, issue, held)
    return render(
        request,
        "issues/detail.html",
        {
            "issue": issue,
            "events": events,
            "actions": actions,
            "reporter_phone": phone,
            "further_reports": (
                list(issue.reports.select_related("division"))
                if getattr(issue, "has_reports", False)
                else []
            ),
            # A link to call only for whoever reads the number whole (who may act on it).
            "reporter_tel": tel_uri(phone) if phone and phone == issue.reporter_phone else "",
        },
        status=status,
    )


# The issue page for other apps' views that answer with it (a failed form of a panel).
issue_page = _detail


@login_required
def issue_detail(request, pk: int):
    return _detail(request, _load(request, pk))


@login_required
@require_POST
def issue_action(request, pk: int, action: str):
    """Take `action` on the issue with the action's form. A form or service error shows the
    issue page with the error beside its field (400); a refusal by the rules is a message on
    the page the user came from (`next`, else the issue page)."""
    issue = _load(request, pk)
    if action not in PAGE_ACTIONS:
        raise Http404
    page_action = PAGE_ACTIONS[action]
    form = page_action.form(request.POST, request.FILES, prefix=action, issue=issue)
    back = safe_next(request, reverse("issues:detail", args=[issue.pk]))
    if form.is_valid():
        try:
            # The step and its photos (checked by the form already) stand or fall together.
            with transaction.atomic():
                page_action.service(actor=request.user, issue=issue, **form.service_kwargs())
                _add_photos(request.user, issue, page_action, form.cleaned_data.get("photos"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        else:
            messages.success(request, page_action.done)
            if not Issue.objects.visible_to(request.user).filter(pk=issue.pk).exists():
                # Handed back: the issue is no longer the department's to see.
                return redirect("issues:queue")
            return redirect(back)
    return _detail(request, issue, bound={action: form}, status=400)


def _add_photos(user, issue: Issue, page_action, photos) -> None:
    """Attach a form's photos to the step it just wrote (evidence, imported here: the
    evidence app depends on this one)."""
    if not photos:
        return
    from evidence.services import add_evidence, latest_event

    add_evidence(
        actor=user,
        issue=issue.pk,
        files=photos,
        role=page_action.evidence_role,
        event=latest_event(issue, page_action.evidence_event, user),
    )


# What the board offers on a claimed issue besides assigning and resolving, when allowed.
BOARD_EXTRA_ACTIONS = ("extension", "decide_extension", "supervision_reply")


# The department's work queue ----------------------------------------------------------------


@login_required
def queue(request):
    """A department member's work (phone first): incoming (to sign for), in progress and
    overdue, each with its deadline light, and the one-click 签收 of each incoming issue.
    Office members see their offices' departments' work likewise. Everything else is on the
    issue page."""
    user = request.user
    now = timezone.now()
    j = jurisdiction(user)
    departments = j.department_at
    issues = Issue.objects.visible_to(user).filter(status=Issue.Status.ASSIGNED)
    if departments:
        issues = issues.filter(Issue.objects.department_q(departments))
    else:
        issues = issues.filter(pk__in=Issue.objects.actionable_by(user).values("pk"))
    rows = list(issues.for_list().with_work_order().order_by("due_at", "pk")[:QUEUE_SIZE])
    incoming, working, overdue = [], [], []
    for issue in rows:
        issue.allowed = allowed_actions(user, issue)
        if "acknowledge" in issue.allowed:
            incoming.append(issue)
        elif issue.due_at < now:
            overdue.append(issue)
        else:
            working.append(issue)
    return render(
        request,
        "issues/queue.html",
        {"incoming": incoming, "working": working, "overdue": overdue, "now": now},
    )


# The claim board ----------------------------------------------------------------------------

# How many of an issue's latest steps the board shows under it.
BOARD_STEPS = 3
HISTORY_PAGE_SIZE = 25


def _board_filters(request) -> BoardFilterForm:
    """The board's filters: the counties the user sees (a city leader's several), and the
    categories in their order."""
    j = jurisdiction(request.user)
    counties = Division.objects.filter(j.q("code"), tier=Tier.COUNTY).order_by("code")
    form = BoardFilterForm(
        request.GET or None, counties=counties, categories=Category.objects.all()
    )
    form.is_valid()
    return form


def _filtered(issues, filters: BoardFilterForm, now):
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    if data.get("county"):
        issues = issues.within(data["county"])
    if data.get("category"):
        issues = issues.filter(category_id=data["category"])
    if data.get("overdue"):
        issues = issues.overdue(now)
    return issues


@login_required
def board(request):
    """Claimable issues of the leader's county or city (overdue, then oldest, first), the
    ones claimed by others, and the leader's own claimed issues with assign and resolve. Its
    buttons post to `issue_action` and come back here."""
    user = request.user
    now = timezone.now()
    filters = _board_filters(request)
    held = _filtered(Issue.objects.actionable_by(user), filters, now)
    claimable = list(
        held.claimable()
        .for_list()
        .with_history(BOARD_STEPS)
        .prefetch_related(live_attachments())
        .annotate(
            late=Case(
                When(due_at__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("late", "arrived_at", "pk")[:200]
    )
    add_history(claimable, now)
    for issue in claimable:
        issue.can_claim = "claim" in allowed_actions(user, issue)
    taken = list(
        held.filter(status=Issue.Status.CLAIMED, tier__in=[Tier.COUNTY, Tier.CITY])
        .exclude(claimed_by=user)
        .for_list()
        .select_related("claimed_by__cadre")
        .order_by("due_at", "pk")[:100]
    )
    mine = list(
        Issue.objects.visible_to(user)
        .filter(claimed_by=user)
        .unresolved()
        .for_list()
        .prefetch_related(live_attachments())
        .with_work_order()
        .with_history(BOARD_STEPS)
        .order_by("due_at", "pk")
    )
    add_history(mine, now)
    # Supervised work (督办) the user oversees or holds, red (late or repeated) first.
    supervised = list(
        Issue.objects.visible_to(user)
        .supervised()
        .for_list()
        .with_work_order()
        .order_by("-supervision__sequence", "supervision__reply_by", "pk")[:100]
    )
    departments: dict[str, list] = {}
    for dept in Department.objects.filter(division_id__in={i.holder_id for i in mine}).order_by(
        "name"
    ):
        departments.setdefault(dept.division_id, []).append(dept)
    for issue in mine:
        allowed = allowed_actions(user, issue)
        issue.extra_actions = [
            {
                "name": name,
                "title": PAGE_ACTIONS[name].title,
                "submit": PAGE_ACTIONS[name].submit,
                "form": PAGE_ACTIONS[name].form(
                    prefix=name, issue=issue, auto_id=f"id_{issue.pk}_{name}_%s"
                ),
            }
            for name in BOARD_EXTRA_ACTIONS
            if name in allowed
        ]
        issue.assign_form = AssignForm(
            prefix="assign",
            issue=issue,
            departments=departments.get(issue.holder_id, []),
            auto_id=f"id_{issue.pk}_%s",
        )
        issue.resolve_form = ResolveForm(prefix="resolve", issue=issue, auto_id=f"id_{issue.pk}_%s")
    return render(
        request,
        "board/board.html",
        {
            "filters": filters,
            "claimable": claimable,
            "taken": taken,
            "mine": mine,
            "supervised": supervised,
            "now": now,
        },
    )


@login_required
def board_history(request):
    """What the leader claimed and what they resolved, newest claim first: each issue once,
    with when the leader claimed it, when they resolved it, and where it is now."""
    user = request.user
    steps = IssueEvent.objects.filter(
        actor=user, kind__in=[IssueEvent.Kind.CLAIMED, IssueEvent.Kind.RESOLVED]
    )
    by_me = IssueEvent.objects.filter(issue=OuterRef("pk"), actor=user).order_by("-at", "-id")
    issues = (
        Issue.objects.visible_to(user)
        .filter(pk__in=steps.values("issue_id"))
        .annotate(
            claimed_at=Subquery(by_me.filter(kind=IssueEvent.Kind.CLAIMED).values("at")[:1]),
            resolved_by_me_at=Subquery(
                by_me.filter(kind=IssueEvent.Kind.RESOLVED).values("at")[:1]
            ),
        )
        .for_list()
        .order_by(F("claimed_at").desc(nulls_last=True), "-pk")
    )
    counts = steps.values("kind").annotate(n=Count("issue_id", distinct=True))
    totals = {row["kind"]: row["n"] for row in counts}
    page = Paginator(issues, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "board/history.html",
        {
            "page": page,
            "query": "",
            "claimed": totals.get(IssueEvent.Kind.CLAIMED, 0),
            "resolved": totals.get(IssueEvent.Kind.RESOLVED, 0),
        },
    )


INBOX_PAGE_SIZE = 50


@login_required
def inbox(request):
    """What concerns me, newest first; opening the inbox marks what it shows read. Below it,
    how I want to hear of it besides (mail, text message)."""
    preference = NotificationPreference.objects.filter(user=request.user).first()
    form = NotificationPreferenceForm(
        request.POST or None, instance=preference or NotificationPreference(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings were saved."))
        return redirect("issues:inbox")
    rows = Notification.objects.filter(user=request.user).for_inbox()
    page = Paginator(rows, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    unread = [n.pk for n in page if n.read_at is None]
    response = render(
        request,
        "issues/inbox.html",
        {"page": page, "unread_ids": set(unread), "query": "", "form": form},
        status=400 if form.is_bound else 200,
    )
    if unread:
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return response
