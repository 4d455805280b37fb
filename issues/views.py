"""The cadre's issue pages: my issues, one issue with its timeline, and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dispatch.models import Posting

from . import services
from .forms import CommentForm, EscalateForm, FeedbackForm, IssueFilterForm, ResolveForm
from .models import EscalationReason, Issue
from .rules import VIEWER, IssueError, allowed_actions, capacities

ISSUE_PAGE_SIZE = 25

# The actions a cadre takes on the issue page: (form, service, message on success). Other
# actions (assign, claim, return, reopen, supervise) belong to offices and leaders.
PAGE_ACTIONS = {
    "resolve": (ResolveForm, services.resolve_issue, _("The issue is resolved.")),
    "escalate": (EscalateForm, services.escalate_issue, _("The issue was escalated.")),
    "comment": (CommentForm, services.comment_issue, _("Your comment was added.")),
    "feedback": (FeedbackForm, services.record_feedback, _("The feedback was recorded.")),
}


def person_name(user) -> str:
    """A cadre's name, else the login's full name or username; '' for the system."""
    if user is None:
        return ""
    try:
        return user.cadre.name
    except ObjectDoesNotExist:
        return user.get_full_name() or user.username


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number, not enough to call it."""
    if len(phone) >= 8:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def _load(request, pk: int) -> Issue:
    return get_object_or_404(
        Issue.objects.visible_to(request.user)
        .for_list()
        .select_related("claimed_by__cadre", "raised_by__cadre"),
        pk=pk,
    )


@login_required
def issue_list(request):
    postings = list(
        Posting.objects.active()
        .filter(cadre__user=request.user)
        .select_related("division", "enterprise")
        .order_by("division__name", "pk")
    )
    filters = IssueFilterForm(request.GET or None, postings=postings)
    issues = Issue.objects.visible_to(request.user).for_list()
    if filters.is_valid():
        data = filters.cleaned_data
        if data.get("status"):
            issues = issues.filter(status=data["status"])
        if data.get("tier"):
            issues = issues.filter(tier=data["tier"])
        if data.get("posting"):
            issues = issues.filter(posting_id=data["posting"])
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
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


def _detail(request, issue: Issue, bound: dict | None = None, status: int = 200):
    allowed = allowed_actions(request.user, issue)
    held = capacities(request.user, issue)
    forms = {}
    for name, (form_class, _service, _done) in PAGE_ACTIONS.items():
        if name not in allowed:
            continue
        if bound and name in bound:
            forms[name] = bound[name]
        else:
            forms[name] = form_class(prefix=name, initial={"version": issue.version})
    events = list(issue.events.select_related("actor__cadre", "department"))
    for event in events:
        event.actor_name = person_name(event.actor)
        # Escalations carry a reason code; returns carry the office's own words.
        event.reason_label = (
            EscalationReason(event.reason).label
            if event.reason in EscalationReason.values
            else event.reason
        )
    phone = issue.reporter_phone
    if phone and not held - {VIEWER}:
        phone = mask_phone(phone)
    return render(
        request,
        "issues/detail.html",
        {
            "issue": issue,
            "events": events,
            "forms": forms,
            "other_actions": [a for a in allowed if a not in PAGE_ACTIONS],
            "reporter_phone": phone,
            "claimed_by_name": person_name(issue.claimed_by),
            "raised_by_name": person_name(issue.raised_by),
        },
        status=status,
    )


@login_required
def issue_detail(request, pk: int):
    return _detail(request, _load(request, pk))


@login_required
@require_POST
def issue_action(request, pk: int, action: str):
    issue = _load(request, pk)
    if action not in PAGE_ACTIONS:
        raise Http404
    form_class, service, done = PAGE_ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, issue, bound={action: form}, status=400)
    try:
        service(
            actor=request.user,
            issue=issue,
            version=form.cleaned_data["version"],
            **form.service_kwargs(),
        )
    except ValidationError as exc:
        errors_by_field = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, errors in errors_by_field.items():
            form.add_error(field if field in form.fields else None, errors)
        return _detail(request, issue, bound={action: form}, status=400)
    except IssueError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("issues:detail", pk=issue.pk)
