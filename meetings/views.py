"""The weekly analysis meeting pages of town offices: this week's meetings, one meeting with
its agenda to decide item by item, its printable agenda and its spreadsheet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from common.errors import DomainError, http_status
from common.forms import add_service_errors
from common.tables import Table, attachment
from common.weeks import current_week, week_label
from dispatch.models import Department
from dispatch.services import display_name, jurisdiction
from evidence.models import live_attachments
from issues.models import Issue
from issues.views import add_history

from . import services
from .forms import AttendanceForm, CloseMeetingForm, CorrectDecisionForm, DecideForm
from .models import AgendaItem, DecisionCorrection, Meeting

# How many of an issue's latest steps the agenda shows under it.
AGENDA_STEPS = 3


def _visible_meetings(user):
    return Meeting.objects.visible_to(user).select_related("town", "closed_by", "host__cadre")


def _meeting_items(meeting: Meeting) -> list[AgendaItem]:
    """The agenda with each issue's escalation reason, latest steps and files, and each
    decision's corrections: six queries whatever the length of the agenda."""
    items = list(
        meeting.items.select_related("department", "decided_by__cadre")
        .prefetch_related(
            Prefetch(
                "issue",
                queryset=Issue.objects.select_related("division", "category", "department")
                .with_history(AGENDA_STEPS)
                .prefetch_related(live_attachments()),
            ),
            Prefetch(
                "corrections",
                queryset=DecisionCorrection.objects.select_related("corrected_by__cadre"),
            ),
        )
        .order_by("-new", "issue__raised_at", "issue_id")
    )
    add_history([item.issue for item in items], timezone.now())
    return items


def _attendance(meeting: Meeting) -> list:
    """The meeting's attendees (users) by name, in one query."""
    return [display_name(u) for u in meeting.attendees.select_related("cadre").order_by("pk")]


@login_required
def meeting_list(request):
    """The meetings the user can see, newest first, and this week's for the user's towns."""
    meetings = list(_visible_meetings(request.user).order_by("-week", "town_id")[:100])
    to_convene = [
        town for town, meeting in services.this_weeks_meetings(request.user) if not meeting
    ]
    return render(
        request,
        "meetings/list.html",
        {"meetings": meetings, "week": current_week(), "to_convene": to_convene},
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
        return redirect("meetings:list")
    try:
        meeting = services.convene_meeting(town=code, week=current_week())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("meetings:list")
    return redirect("meetings:detail", pk=meeting.pk)


def _people(meeting: Meeting) -> list:
    return [(u, display_name(u)) for u in services.meeting_people(meeting.town_id)]


def _render_meeting(
    request,
    meeting: Meeting,
    *,
    bound=None,
    close_form=None,
    attendance_form=None,
    correction=None,
    status=200,
):
    """The meeting page. `bound` is (item pk, its decision form with errors), `correction`
    (item pk, its correction form with errors)."""
    items = _meeting_items(meeting)
    j = jurisdiction(request.user)
    can_decide = j.is_office_of(meeting.town_id) and meeting.status == Meeting.Status.OPEN
    departments = list(Department.objects.filter(division_id=meeting.town_id).order_by("name"))
    for item in items:
        if can_decide and not item.decision:
            if bound is not None and bound[0] == item.pk:
                item.form = bound[1]
            else:
                item.form = DecideForm(prefix=f"item{item.pk}", departments=departments)
        elif can_decide:
            if correction is not None and correction[0] == item.pk:
                item.correct_form = correction[1]
            else:
                item.correct_form = CorrectDecisionForm(
                    prefix=f"fix{item.pk}", initial={"note": item.note}
                )
    if can_decide and attendance_form is None:
        attendance_form = AttendanceForm(
            people=_people(meeting),
            initial={
                "host": meeting.host_id,
                "attendees": [u.pk for u in meeting.attendees.all()],
                "attendee_names": meeting.attendee_names,
            },
        )
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "items": items,
            "can_decide": can_decide,
            "close_form": close_form or (CloseMeetingForm() if can_decide else None),
            "attendance_form": attendance_form if can_decide else None,
            "attendees": _attendance(meeting),
            "decided": sum(1 for i in items if i.decision),
        },
        status=status,
    )


@login_required
@require_POST
def meeting_attendance(request, pk: int):
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    form = AttendanceForm(request.POST, people=_people(meeting))
    if form.is_valid():
        try:
            services.record_attendance(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _render_meeting(request, meeting, status=http_status(exc))
        else:
            messages.success(request, gettext("The attendance is recorded."))
            return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#attendance")
    return _render_meeting(request, meeting, attendance_form=form, status=400)


@login_required
@require_POST
def meeting_correct(request, pk: int, item_pk: int):
    """Correct a decision's record while the meeting is open; after it closed, a message
    says it can no longer be corrected and nothing changes."""
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    item = get_object_or_404(AgendaItem.objects.filter(meeting=meeting), pk=item_pk)
    form = CorrectDecisionForm(request.POST, prefix=f"fix{item.pk}")
    if form.is_valid():
        try:
            services.correct_decision(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return _render_meeting(request, meeting, status=http_status(exc))
        else:
            messages.success(request, gettext("Corrected: %(title)s") % {"title": item.issue.title})
            return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#item-{item.pk}")
    return _render_meeting(request, meeting, correction=(item.pk, form), status=400)


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
        reason_field = "return_reason" if form.cleaned_data["decision"] == "return" else ""
        add_service_errors(form, exc, {"reason": reason_field or "escalation_reason"})
        return _render_meeting(request, meeting, bound=(item.pk, form), status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_meeting(request, meeting, status=http_status(exc))
    messages.success(
        request,
        gettext("Decided: %(title)s — %(decision)s")
        % {
            "title": item.issue.title,
            "decision": AgendaItem.Decision(form.cleaned_data["decision"]).label,
        },
    )
    return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#item-{item.pk}")


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
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render_meeting(request, meeting, status=http_status(exc))
    messages.success(request, gettext("The meeting is closed."))
    return redirect("meetings:detail", pk=meeting.pk)


@login_required
def meeting_print(request, pk: int):
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    items = _meeting_items(meeting)
    return render(
        request,
        "meetings/print.html",
        {"meeting": meeting, "items": items, "attendees": _attendance(meeting)},
    )


@login_required
def meeting_xlsx(request, pk: int):
    """The agenda as a spreadsheet, headers in the user's language (Chinese by default)."""
    meeting = get_object_or_404(_visible_meetings(request.user), pk=pk)
    table = Table(
        headers=[
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
            gettext("Escalated because"),
            gettext("Corrections"),
        ],
        title=week_label(meeting.week),
        heading=gettext("%(town)s analysis meeting, %(week)s")
        % {"town": meeting.town.name, "week": week_label(meeting.week)},
        widths=[5, 9, 6, 36, 12, 16, 10, 12, 18, 18, 18, 36, 12, 18, 40],
        wrap=(3, 11, 14),
    )
    items = _meeting_items(meeting)
    for n, item in enumerate(items, start=1):
        issue = item.issue
        table.rows.append(
            [
                n,
                issue.pk,
                gettext("yes") if item.new else "",
                issue.title,
                issue.category,
                issue.division.name,
                issue.get_status_display(),
                issue.raised_on,
                issue.due_at,
                item.get_decision_display() if item.decision else "",
                item.department.name if item.department else "",
                item.note,
                display_name(item.decided_by),
                issue.escalation_label,
                "\n".join(
                    gettext("%(at)s %(by)s: %(after)s (was: %(before)s). Reason: %(reason)s")
                    % {
                        "at": timezone.localtime(fix.corrected_at).strftime("%Y-%m-%d %H:%M"),
                        "by": display_name(fix.corrected_by),
                        "after": fix.after,
                        "before": fix.before or "—",
                        "reason": fix.reason,
                    }
                    for fix in item.corrections.all()
                ),
            ]
        )
    # The minutes below the agenda: who chaired, who attended, what was recorded.
    names = [*_attendance(meeting), *meeting.attendee_names.splitlines()]
    table.rows += [
        [],
        [gettext("Minutes")],
        ["", gettext("Chaired by"), display_name(meeting.host) if meeting.host else ""],
        ["", gettext("Attendees"), "、".join(names)],
        ["", gettext("Minutes"), meeting.minutes],
        ["", gettext("Closed at"), meeting.closed_at or ""],
    ]
    return attachment(table, f"{table.heading}.xlsx")
