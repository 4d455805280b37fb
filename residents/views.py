"""The resident's pages, with no login: their issue behind a signed link, and lookup.

Whatever fails (a link expired or tampered with, an unknown number, wrong digits) answers
alike and reveals nothing: a 404 page for links, one message for lookups.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.errors import DomainError
from dispatch.services import jurisdiction
from evidence.models import Attachment
from issues import services
from issues.models import Issue, IssueEvent, RatingSource
from issues.tracking import make_token, read_token

from .forms import LookupForm, RatingForm
from .services import allow_lookup, find_issue, followup_queue

# Timeline steps whose note the resident reads: the answer given, however it was reached (a
# new way of resolving that writes its own kind of event joins here). Every other note is
# the offices' own.
ANSWER_KINDS = {IssueEvent.Kind.RESOLVED, IssueEvent.Kind.RESOLVED_ON_SPOT}


def _public_timeline(issue: Issue) -> list[dict]:
    events = IssueEvent.objects.filter(issue=issue).order_by("at", "id")
    return [
        {
            "kind": event.get_kind_display(),
            "tier": event.get_tier_to_display(),
            "at": event.at,
            "answer": event.note if event.kind in ANSWER_KINDS else "",
            "rating": event.get_rating_display() if event.rating else "",
        }
        for event in events
        if event.is_public
    ]


@require_http_methods(["GET", "POST"])
def resident_page(request: HttpRequest, token: str) -> HttpResponse:
    issue_id = read_token(token)
    issue = Issue.objects.select_related("holder", "category").filter(pk=issue_id).first()
    if issue_id is None or issue is None:
        raise Http404
    if issue.merged_into_id is not None:
        # Merged as the same problem: the resident follows the issue that answers for it.
        return redirect("residents:page", token=make_token(issue.merged_into_id))
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_feedback(
                actor=None,
                issue=issue.pk,
                rating=form.cleaned_data["rating"],
                note=form.cleaned_data["note"],
                via=RatingSource.RESIDENT,
            )
        except DomainError:
            # Rated already (from another tab, or by an office on the phone), or reopened.
            messages.error(request, _("This answer has already been rated. Thank you."))
        else:
            messages.success(request, _("Thank you: your rating was recorded."))
        return redirect(request.path)
    return render(
        request,
        "residents/page.html",
        {
            "issue": issue,
            "timeline": _public_timeline(issue),
            "form": form if issue.awaits_rating else None,
            # Only photos marked public (by whoever acts on the issue) reach this page.
            "photos": list(
                Attachment.objects.public().filter(issue=issue).order_by("uploaded_at", "id")
            ),
        },
        status=400 if form.is_bound else 200,
    )


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Every failure answers with an empty form and one message, whatever was sent: the page
    tells nothing of whether the number exists."""
    form = LookupForm(request.POST or None)
    status, error = 200, ""
    if request.method == "POST":
        number = (request.POST.get("number") or "").strip()[:12]
        if not allow_lookup(_client(request), number):
            status, error = 429, _("Too many tries. Please wait a while and try again.")
        elif form.is_valid():
            issue = find_issue(form.cleaned_data["number"], form.cleaned_data["phone_last4"])
            if issue is not None:
                return redirect(reverse("residents:page", kwargs={"token": make_token(issue.pk)}))
            status, error = 400, _("No issue matches this number and these digits.")
        else:
            status, error = 400, _("No issue matches this number and these digits.")
        form = LookupForm()
    return render(request, "residents/track.html", {"form": form, "error": error}, status=status)


FOLLOWUP_PAGE_SIZE = 50


@login_required
def followups(request: HttpRequest) -> HttpResponse:
    """The office's follow-up (回访) queue: resolved issues whose reporter has not rated the
    answer, to call; each links to the issue page, where the call is recorded."""
    j = jurisdiction(request.user)
    if not j.administers:
        raise Http404
    issues = Issue.objects.visible_to(request.user).filter(j.office_q("division__code"))
    page = Paginator(followup_queue(issues.for_list()), FOLLOWUP_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "residents/followups.html", {"page": page, "query": ""})
