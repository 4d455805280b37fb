"""Issue pages: my issues, one issue with its timeline and actions; the weekly analysis
meeting pages of town offices; the leaders' claim board."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dispatch.models import Department, Division, Posting, Tier
from dispatch.services import jurisdiction

from . import services
from .forms import (
    ActionForm,
    AssignForm,
    ClaimForm,
    CommentForm,
    EscalateForm,
    FeedbackForm,
    IssueFilterForm,
    PublishForm,
    ReopenForm,
    ResolveForm,
    ReturnForm,
    SuperviseForm,
)
from .models import AgendaItem, EscalationReason, Issue, Meeting
from .office_forms import (
    BoardAssignForm,
    BoardResolveForm,
    CloseMeetingForm,
    DecideForm,
)
from .rules import (
    IssueError,
    NotFound,
    NotPermitted,
    TransitionError,
    allowed_actions,
    capacities,
    reporter_phone,
)

ISSUE_PAGE_SIZE = 25


class PageAction(NamedTuple):
    form: type[ActionForm]
    service: Callable
    title: str
    submit: str
    done: str


# Every action of issues.rules but resolving on the spot (part of the diary), in the order
# the page lists them; each user sees exactly those allowed_actions() grants now.
PAGE_ACTIONS = {
    "resolve": PageAction(
        ResolveForm,
        services.resolve_issue,
        _("Resolve"),
        _("Mark resolved"),
        _("The issue is resolved."),
    ),
    "escalate": PageAction(
        EscalateForm,
        services.escalate_issue,
        _("Escalate one tier up"),
        _("Escalate"),
        _("The issue was escalated."),
    ),
    "assign": PageAction(
        AssignForm,
        services.assign_issue,
        _("Assign to a department"),
        _("Assign"),
        _("The issue was assigned."),
    ),
    "claim": PageAction(
        ClaimForm,
        services.claim_issue,
        _("Claim"),
        _("Claim this issue"),
        _("You claimed the issue."),
    ),
    "return": PageAction(
        ReturnForm,
        services.return_issue,
        _("Return one tier down"),
        _("Return"),
        _("The issue was returned."),
    ),
    "reopen": PageAction(
        ReopenForm,
        services.reopen_issue,
        _("Reopen"),
        _("Reopen"),
        _("The issue is reopened."),
    ),
    "supervise": PageAction(
        SuperviseForm,
        services.supervise_issue,
        _("Put under supervision"),
        _("Supervise"),
        _("The issue is under supervision."),
    ),
    "feedback": PageAction(
        FeedbackForm,
        services.record_feedback,
        _("Record the reporter's feedback"),
        _("Record feedback"),
        _("The feedback was recorded."),
    ),
    "comment": PageAction(
        CommentForm,
        services.comment_issue,
        _("Comment"),
        _("Add comment"),
        _("Your comment was added."),
    ),
    "publish": PageAction(
        PublishForm,
        services.set_public_description,
        _("Edit what the public reads"),
        _("Save public description"),
        _("The public description was saved."),
    ),
}


def person_name(user) -> str:
    """A cadre's name, else the login's full name or username; '' for the system."""
    if user is None:
        return ""
    try:
        return user.cadre.name
    except ObjectDoesNotExist:
        return user.get_full_name() or user.username


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
    actions = [
        {
            "name": name,
            "title": action.title,
            "submit": action.submit,
            "form": (bound or {}).get(name)
            or action.form(prefix=name, initial={"version": issue.version}, issue=issue),
        }
        for name, action in PAGE_ACTIONS.items()
        if name in allowed
    ]
    events = list(issue.events.select_related("actor__cadre", "department"))
    for event in events:
        event.actor_name = person_name(event.actor)
        # Escalations carry a reason code; returns carry the office's own words.
        event.reason_label = (
            EscalationReason(event.reason).label
            if event.reason in EscalationReason.values
            else event.reason
        )
    phone = reporter_phone(request.user, issue, held)
    return render(
        request,
        "issues/detail.html",
        {
            "issue": issue,
            "events": events,
            "actions": actions,
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
    form_class, service, _title, _submit, done = PAGE_ACTIONS[action]
    form = form_class(request.POST, prefix=action, issue=issue)
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


# =============================================================================================
# Offices and leaders: the weekly analysis meeting pages and the leaders' claim board.
# =============================================================================================


ERROR_STATUS = ((NotFound, 404), (NotPermitted, 403), (TransitionError, 409))


def _error_status(exc: Exception) -> int:
    for cls, status in ERROR_STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def _add_service_errors(form, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages_ in errors.items():
        if field == "reason":
            field = form.data.get("decision") == "return" and "return_reason" or "escalation_reason"
        form.add_error(field if field in form.fields else None, messages_)


def _visible_meetings(user):
    """Meetings of towns in the user's jurisdiction: the door for every meeting page."""
    return Meeting.objects.filter(jurisdiction(user).q("town__code")).select_related(
        "town", "closed_by"
    )


def _meeting_items(meeting: Meeting):
    return list(
        meeting.items.select_related(
            "issue__division",
            "issue__category",
            "issue__department",
            "department",
            "decided_by__cadre",
        ).order_by("-new", "issue__raised_at", "issue_id")
    )


@login_required
def meeting_list(request):
    """The meetings the user can see, newest first, and this week's for the user's towns."""
    j = jurisdiction(request.user)
    meetings = list(_visible_meetings(request.user).order_by("-week", "town_id")[:100])
    towns = list(
        Division.objects.filter(code__in=j.office_at, tier=Tier.TOWN).order_by("code")
        if not j.is_superuser
        else Division.objects.none()
    )
    week = services.current_week()
    convened = {m.town_id for m in meetings if m.week == week}
    return render(
        request,
        "meetings/list.html",
        {
            "meetings": meetings,
            "week": week,
            "to_convene": [t for t in towns if t.code not in convened],
        },
    )


@login_required
@require_POST
def meeting_convene(request):
    """An office member convenes this week's meeting of their town before Monday's task does
    (or after it, when the town had nothing then); the service makes it idempotent."""
    code = request.POST.get("town", "")
    j = jurisdiction(request.user)
    if not j.sees(code):
        raise Http404
    if not j.is_office_of(code):
        messages.error(request, gettext("Only the town's office convenes its meeting."))
        return redirect("issues:meeting_list")
    try:
        meeting = services.convene_meeting(town=code, week=services.current_week())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("issues:meeting_list")
    return redirect("issues:meeting_detail", pk=meeting.pk)


def _render_meeting(request, meeting: Meeting, *, bound=None, close_form=None, status=200):
    items = _meeting_items(meeting)
    j = jurisdiction(request.user)
    can_decide = j.is_office_of(meeting.town_id) and meeting.status == Meeting.Status.OPEN
    departments = list(Department.objects.filter(division_id=meeting.town_id).order_by("name"))
    for item in items:
        item.decided_by_name = person_name(item.decided_by)
        if can_decide and not item.decision:
            if bound is not None and bound[0] == item.pk:
                item.form = bound[1]
            else:
                item.form = DecideForm(prefix=f"item{item.pk}", departments=departments)
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "items": items,
            "can_decide": can_decide,
            "close_form": close_form or (CloseMeetingForm() if can_decide else None),
            "decided": sum(1 for i in items if i.decision),
        },
        status=status,
    )


@login_required
def meeting_detail(request, pk: int):
    return _render_meeting(request, get_object_or_404(_visible_meetings(request.user), pk=pk))


@login_required
@require_POST
def meeting_decide(request, pk: int, item_pk: int):
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    item = get_object_or_404(AgendaItem.objects.filter(meeting=meeting), pk=item_pk)
    departments = list(Department.objects.filter(division_id=meeting.town_id))
    form = DecideForm(request.POST, prefix=f"item{item.pk}", departments=departments)
    if not form.is_valid():
        return _render_meeting(request, meeting, bound=(item.pk, form), status=400)
    try:
        services.decide_agenda_item(actor=request.user, item=item, **form.service_kwargs())
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return _render_meeting(request, meeting, bound=(item.pk, form), status=400)
    except IssueError as exc:
        messages.error(request, exc.message)
        return _render_meeting(request, meeting, status=_error_status(exc))
    messages.success(
        request,
        gettext("Decided: %(title)s — %(decision)s")
        % {
            "title": item.issue.title,
            "decision": AgendaItem.Decision(form.cleaned_data["decision"]).label,
        },
    )
    return redirect(f"{reverse('issues:meeting_detail', args=[meeting.pk])}#item-{item.pk}")


@login_required
@require_POST
def meeting_close(request, pk: int):
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    form = CloseMeetingForm(request.POST)
    if not form.is_valid():
        return _render_meeting(request, meeting, close_form=form, status=400)
    try:
        services.close_meeting(
            actor=request.user, meeting=meeting, minutes=form.cleaned_data["minutes"]
        )
    except ValidationError as exc:
        form.add_error("minutes", exc.messages)
        return _render_meeting(request, meeting, close_form=form, status=400)
    except IssueError as exc:
        messages.error(request, exc.message)
        return _render_meeting(request, meeting, status=_error_status(exc))
    messages.success(request, gettext("The meeting is closed."))
    return redirect("issues:meeting_detail", pk=meeting.pk)


@login_required
def meeting_print(request, pk: int):
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    items = _meeting_items(meeting)
    for item in items:
        item.decided_by_name = person_name(item.decided_by)
    return render(request, "meetings/print.html", {"meeting": meeting, "items": items})


@login_required
def meeting_xlsx(request, pk: int):
    """The agenda as a spreadsheet, headers in the user's language (Chinese by default)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = meeting.week
    sheet.append(
        [
            gettext("%(town)s analysis meeting, %(week)s")
            % {"town": meeting.town.name, "week": meeting.week}
        ]
    )
    sheet["A1"].font = Font(bold=True, size=14)
    headers = [
        gettext("No."),
        gettext("Issue number"),
        gettext("New"),
        gettext("Title"),
        gettext("Category"),
        gettext("Origin"),
        gettext("Status"),
        gettext("Found on"),
        gettext("Due"),
        gettext("Decision"),
        gettext("Department"),
        gettext("Note"),
        gettext("Decided by"),
    ]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for n, item in enumerate(_meeting_items(meeting), start=1):
        issue = item.issue
        sheet.append(
            [
                n,
                issue.pk,
                gettext("yes") if item.new else "",
                issue.title,
                str(issue.category),
                issue.division.name,
                issue.get_status_display(),
                issue.raised_on,
                timezone.localtime(issue.due_at).replace(tzinfo=None),
                item.get_decision_display() if item.decision else "",
                item.department.name if item.department else "",
                item.note,
                person_name(item.decided_by),
            ]
        )
    for letter, width in zip(
        "ABCDEFGHIJKLM", (5, 9, 6, 36, 12, 16, 10, 12, 18, 18, 18, 36, 12), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=3):
        row[3].alignment = Alignment(wrap_text=True, vertical="top")
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"meeting-{meeting.town_id}-{meeting.week}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    workbook.save(response)
    return response


# The claim board ----------------------------------------------------------------------------


def _board(request, *, bound: dict | None = None, status: int = 200):
    """Claimable issues of the leader's county or city (overdue, then oldest, first), the
    ones claimed by others, and the leader's own claimed issues with assign and resolve."""
    user = request.user
    now = timezone.now()
    held = Issue.objects.actionable_by(user)
    claimable = list(
        held.claimable()
        .for_list()
        .annotate(
            late=Case(
                When(due_at__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("late", "arrived_at", "pk")[:200]
    )
    for issue in claimable:
        issue.can_claim = "claim" in allowed_actions(user, issue)
    taken = list(
        held.filter(status=Issue.Status.CLAIMED, tier__in=[Tier.COUNTY, Tier.CITY])
        .exclude(claimed_by=user)
        .for_list()
        .select_related("claimed_by__cadre")
        .order_by("due_at", "pk")[:100]
    )
    for issue in taken:
        issue.claimer_name = person_name(issue.claimed_by)
    mine = list(
        Issue.objects.visible_to(user)
        .filter(claimed_by=user)
        .unresolved()
        .for_list()
        .order_by("due_at", "pk")
    )
    departments: dict[str, list] = {}
    for dept in Department.objects.filter(division_id__in={i.holder_id for i in mine}).order_by(
        "name"
    ):
        departments.setdefault(dept.division_id, []).append(dept)
    bound = bound or {}
    for issue in mine:
        depts = departments.get(issue.holder_id, [])
        issue.assign_form = bound.get(("assign", issue.pk)) or BoardAssignForm(
            prefix=f"assign{issue.pk}", departments=depts
        )
        issue.resolve_form = bound.get(("resolve", issue.pk)) or BoardResolveForm(
            prefix=f"resolve{issue.pk}"
        )
    return render(
        request,
        "board/board.html",
        {"claimable": claimable, "taken": taken, "mine": mine, "now": now},
        status=status,
    )


@login_required
def board(request):
    return _board(request)


@login_required
@require_POST
def board_claim(request, pk: int):
    """One click claims; when another leader got there first the page says who."""
    issue = get_object_or_404(Issue.objects.visible_to(request.user), pk=pk)
    try:
        services.claim_issue(actor=request.user, issue=issue)
    except IssueError as exc:
        issue = Issue.objects.select_related("claimed_by__cadre").get(pk=issue.pk)
        if issue.claimed_by_id and issue.claimed_by_id != request.user.pk:
            messages.warning(
                request,
                gettext("%(title)s was already claimed by %(name)s.")
                % {"title": issue.title, "name": person_name(issue.claimed_by)},
            )
        else:
            messages.error(request, exc.message)
        return _board(request, status=_error_status(exc))
    messages.success(request, gettext("You claimed %(title)s.") % {"title": issue.title})
    return redirect("issues:board")


def _board_action(request, pk: int, name: str, form_class, act, done: str):
    issue = get_object_or_404(Issue.objects.visible_to(request.user), pk=pk)
    kwargs = {"prefix": f"{name}{issue.pk}"}
    if form_class is BoardAssignForm:
        kwargs["departments"] = list(Department.objects.filter(division_id=issue.holder_id))
    form = form_class(request.POST, **kwargs)
    if not form.is_valid():
        return _board(request, bound={(name, issue.pk): form}, status=400)
    try:
        act(issue, form.cleaned_data)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return _board(request, bound={(name, issue.pk): form}, status=400)
    except IssueError as exc:
        messages.error(request, exc.message)
        return _board(request, status=_error_status(exc))
    messages.success(request, done % {"title": issue.title})
    return redirect("issues:board")


@login_required
@require_POST
def board_assign(request, pk: int):
    return _board_action(
        request,
        pk,
        "assign",
        BoardAssignForm,
        lambda issue, data: services.assign_issue(
            actor=request.user, issue=issue, department=data["department"], note=data["note"]
        ),
        gettext("%(title)s was assigned."),
    )


@login_required
@require_POST
def board_resolve(request, pk: int):
    return _board_action(
        request,
        pk,
        "resolve",
        BoardResolveForm,
        lambda issue, data: services.resolve_issue(
            actor=request.user, issue=issue, resolution=data["resolution"]
        ),
        gettext("%(title)s is resolved."),
    )
