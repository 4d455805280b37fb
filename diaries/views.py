"""The cadre's pages: home, diary entries and the form that logs one with its issues."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DomainError
from dispatch.models import Enterprise, Grid, Posting, Tier
from dispatch.services import jurisdiction
from durable import idempotency
from fieldwork.models import Household
from fieldwork.selectors import unvisited_enterprises, unvisited_households
from issues.models import Category, Issue
from meetings.services import this_weeks_meetings

from .forms import DiaryEntryForm, IssueFormSet, apply_errors
from .models import DiaryEntry
from .services import log_diary_entry

HOME_ISSUES = 20
# Where leaders claim issues (认领): the county and city tiers.
CLAIM_TIERS = [Tier.COUNTY, Tier.CITY]
HOME_ENTRIES = 5
HOME_UNVISITED = 30
DIARY_PAGE_SIZE = 20


def _active_postings(user) -> list[Posting]:
    return list(Posting.objects.active().of_cadre(user))


@login_required
def home(request):
    postings = _active_postings(request.user)
    j = jurisdiction(request.user)
    if not postings and j.department_at and not (j.office_at or j.leader_at):
        # Department members work from their queue.
        return redirect("issues:queue")
    if not postings:
        return _home_office(request, j)
    # Earliest deadline first: overdue issues come before the rest.
    issues = list(
        Issue.objects.visible_to(request.user)
        .unresolved()
        .for_list()
        .order_by("due_at", "pk")[:HOME_ISSUES]
    )
    entries = list(
        DiaryEntry.objects.visible_to(request.user)
        .filter(author=request.user)
        .select_related("posting__division", "posting__enterprise")[:HOME_ENTRIES]
    )
    return render(
        request,
        "diaries/home.html",
        {
            "postings": postings,
            "issues": issues,
            "entries": entries,
            # Who has not had a visit this term (串百家门: every household visited).
            "unvisited": unvisited_households(postings, limit=HOME_UNVISITED),
            "unvisited_enterprises": unvisited_enterprises(postings, limit=HOME_UNVISITED),
        },
    )


FORM_KEY = "diary-form:%s"


def _similar(user, posting: Posting):
    """The open issues like an issue row of the diary form, among those the user sees."""
    categories = {c.code: c for c in Category.objects.all()}

    def similar(spec: dict) -> list[Issue]:
        category = categories.get(spec["category"])
        if category is None:
            return []
        return Issue.objects.visible_to(user).similar_to(
            division=posting.division_id, category=category, title=spec["title"]
        )

    return similar


def _saved_by(user, token: str):
    """The redirect to the entry this form token already saved, or None."""
    previous = idempotency.find(user, FORM_KEY % token)
    if previous is None:
        return None
    return redirect(previous.body["location"])


@login_required
def diary_new(request):
    postings = _active_postings(request.user)
    if not postings:
        messages.info(request, _("You have no active posting, so there is no diary to write."))
        return redirect("home")
    categories = list(Category.objects.all())
    villages = {p.division_id for p in postings}
    grids = list(Grid.objects.filter(division_id__in=villages).select_related("division"))
    # Whom a visit may name: the households of the register and the enterprises of the
    # cadre's villages (the service checks they are the chosen posting's).
    whom = {
        "households": list(
            Household.objects.current().filter(village_id__in=villages).select_related("village")
        ),
        "enterprises": list(Enterprise.objects.filter(division_id__in=villages)),
    }
    loose_errors: list[str] = []
    offered = False
    if request.method == "POST":
        form = DiaryEntryForm(request.POST, postings=postings, **whom)
        formset = IssueFormSet(
            request.POST,
            request.FILES,
            prefix="issues",
            form_kwargs={"categories": categories, "grids": grids},
        )
        token = request.POST.get("submission_token", "")[:64]
        if token and (saved := _saved_by(request.user, token)):
            return saved
        if (
            form.is_valid()
            and formset.is_valid()
            and formset.offer_similar(_similar(request.user, form.cleaned_data["posting"]))
        ):
            messages.info(
                request,
                _("Some issues may already be known: link them or confirm they are new."),
            )
            offered = True
        elif form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    entry = log_diary_entry(
                        actor=request.user,
                        posting=data["posting"],
                        kind=data["kind"],
                        visited_on=data["visited_on"],
                        households_visited=data["households_visited"],
                        summary=data["summary"],
                        issues=formset.specs(),
                        duties=data.get("duties") or [],
                        households=data.get("households") or [],
                        enterprises=data.get("enterprises") or [],
                        mediation=data.get("mediation") or "",
                    )
                    location = reverse("diaries:detail", args=[entry.pk]) + "?saved=1"
                    if token:
                        idempotency.remember(
                            request.user,
                            FORM_KEY % token,
                            status_code=302,
                            body={"location": location},
                        )
            except ValidationError as exc:
                loose_errors = apply_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            except IntegrityError:
                # The same form was saved by a concurrent request; this copy rolled back.
                if token and (saved := _saved_by(request.user, token)):
                    return saved
                raise
            else:
                count = entry.issues.count()
                messages.success(
                    request,
                    _("Diary entry saved with %(count)s issue(s).") % {"count": count},
                )
                return redirect(location)
        # Offering similar issues is a question, not an error.
        status = 200 if offered else 400
    else:
        form = DiaryEntryForm(postings=postings, **whom)
        formset = IssueFormSet(
            prefix="issues", form_kwargs={"categories": categories, "grids": grids}
        )
        status = 200
    return render(
        request,
        "diaries/entry_form.html",
        {
            "form": form,
            "formset": formset,
            "loose_errors": loose_errors,
            # Where each posting is, for the as-you-type hint of similar issues (similar.js).
            "posting_places": {p.pk: p.division_id for p in postings},
        },
        status=status,
    )


@login_required
def diary_list(request):
    entries = (
        DiaryEntry.objects.visible_to(request.user)
        .select_related("posting__division", "posting__enterprise", "posting__cadre")
        .order_by("-visited_on", "-pk")
    )
    page = Paginator(entries, DIARY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "diaries/list.html", {"page": page})


@login_required
def diary_detail(request, pk: int):
    entry = get_object_or_404(
        DiaryEntry.objects.visible_to(request.user)
        .select_related("posting__division", "posting__enterprise", "posting__cadre")
        .prefetch_related(
            # The entry's issues, but only those this user sees (the door is visible_to).
            Prefetch(
                "issues",
                queryset=Issue.objects.visible_to(request.user).for_list().order_by("pk"),
            ),
            "duties",
            "households",
            "enterprises",
        ),
        pk=pk,
    )
    return render(
        request,
        "diaries/detail.html",
        {"entry": entry, "saved": request.GET.get("saved") == "1"},
    )


def _home_office(request, j):
    """The home of office members and leaders: their own work and its red lights, each
    number linking to the list of exactly those issues (the cadre menus are not theirs)."""
    user = request.user
    now = timezone.now()
    visible = Issue.objects.visible_to(user)
    mine = visible.mine(user).unresolved()
    counts = mine.aggregate(
        held=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lt=now)),
    )
    figures = {"held": counts["held"], "overdue": counts["overdue"]}
    if j.leader_at:
        leading = visible.actionable_by(user)
        figures |= leading.aggregate(
            claimable=Count("pk", filter=Q(status=Issue.Status.OPEN, tier__in=CLAIM_TIERS)),
            claimable_overdue=Count(
                "pk",
                filter=Q(status=Issue.Status.OPEN, tier__in=CLAIM_TIERS, due_at__lt=now),
            ),
        )
        figures["supervised"] = visible.supervised().count()
    queue = list(mine.for_list().order_by("due_at", "pk")[:HOME_ISSUES])
    return render(
        request,
        "diaries/home_office.html",
        {
            "is_leader": bool(j.leader_at),
            "has_office": j.administers,
            "figures": figures,
            "queue": queue,
            "meetings": this_weeks_meetings(user, now),
        },
    )
