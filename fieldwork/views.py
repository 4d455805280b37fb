"""The field-work pages: the cadre's household register; the offices' coverage (duties
unserved, households visited), campaigns with their progress, and 下沉 deployments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.forms import add_service_errors
from diaries.models import DiaryEntry
from dispatch.models import Cadre, Division, Grid, Posting, Tier
from dispatch.services import Jurisdiction, jurisdiction

from . import services
from .forms import (
    CampaignForm,
    DeploymentForm,
    HouseholdChangeForm,
    HouseholdForm,
    PeriodForm,
)
from .models import Campaign, Deployment, Household
from .selectors import (
    campaign_progress,
    deployment_page,
    enterprise_coverage,
    household_coverage,
    postings_in,
    unserved_duties,
)

POSTINGS_PER_PAGE = 50


def _offices(j: Jurisdiction) -> list[Division]:
    if not j.administers:
        raise Http404
    if j.is_superuser:
        return list(Division.objects.filter(tier=Tier.CITY))
    return list(Division.objects.filter(code__in=j.office_at))


def _within(request, offices: list[Division]) -> Division:
    """The office's division the page is about (?within=, else the first)."""
    code = request.GET.get("within")
    j = jurisdiction(request.user)
    if code and j.is_over(code):
        found = Division.objects.filter(code=code).first()
        if found is not None:
            return found
    if not offices:
        raise Http404
    return offices[0]


@login_required
def households(request):
    """A cadre's register of the households of their villages, and adding one."""
    villages = [
        p.division
        for p in Posting.objects.active().of_cadre(request.user)
        if p.kind != Posting.Kind.ENTERPRISE
    ]
    villages = list({v.code: v for v in villages}.values())
    if not villages:
        raise Http404
    grids = list(
        Grid.objects.filter(division__in=[v.code for v in villages]).select_related("division")
    )
    form = HouseholdForm(request.POST or None, villages=villages, grids=grids)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.add_household(
                actor=request.user,
                village=data["village"],
                label=data["label"],
                grid=data.get("grid"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(label)s was added.") % {"label": household.label})
            return redirect("fieldwork:households")
    register = (
        Household.objects.visible_to(request.user)
        .filter(village__in=[v.code for v in villages])
        .select_related("village", "grid")
        .order_by("village", "label")
    )
    page = Paginator(register, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldwork/households.html",
        {"form": form, "page": page},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def household(request, pk: int):
    """Correct a household of the register, or mark it moved away: whoever keeps the
    village's register (the service checks)."""
    found = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("village", "grid"), pk=pk
    )
    grids = list(Grid.objects.filter(division=found.village_id).order_by("name"))
    initial = {
        "label": found.label,
        "grid": found.grid_id,
        "note": found.note,
        "moved_away": found.left_on is not None,
    }
    form = HouseholdChangeForm(request.POST or None, initial=initial, grids=grids)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_household(
                actor=request.user,
                household=found.pk,
                label=data["label"],
                grid=data.get("grid"),
                note=data["note"],
                moved_away=data["moved_away"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(label)s was saved.") % {"label": data["label"]})
            return redirect("fieldwork:households")
    return render(request, "fieldwork/household.html", {"form": form, "household": found})


@login_required
def coverage(request):
    """Per village and grid, the share of households visited in a period and the last
    visit; per posting, the duties no entry served in it (派驻覆盖全域化, as visits)."""
    j = jurisdiction(request.user)
    offices = _offices(j)
    within = _within(request, offices)
    period = PeriodForm(request.GET or None)
    since, until = period.period()
    postings = (
        postings_in(within.code, since=since, until=until)
        .select_related("cadre", "division", "enterprise")
        .order_by("division_id", "pk")
    )
    page = Paginator(postings, POSTINGS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    unserved = unserved_duties(rows, since=since, until=until)
    for posting in rows:
        posting.unserved = unserved[posting.pk]
    return render(
        request,
        "fieldwork/coverage.html",
        {
            "within": within,
            "offices": offices,
            "period": period,
            "since": since,
            "until": until,
            "visits": household_coverage(within.code, since=since, until=until),
            "enterprises": enterprise_coverage(within.code, since=since, until=until),
            "page": page,
            "rows": rows,
            # The pager's links keep the period and the division.
            "query": urlencode(
                {k: v for k, v in request.GET.items() if k in ("within", "since", "until")}
            ),
        },
    )


@login_required
def campaigns(request):
    """The campaigns over the office's subtrees, and opening one."""
    j = jurisdiction(request.user)
    offices = _offices(j)
    form = CampaignForm(request.POST or None, divisions=offices)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.open_campaign(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The campaign is open."))
            return redirect("fieldwork:campaign", pk=campaign.pk)
    listed = Campaign.objects.visible_to(request.user).select_related("within")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldwork/campaigns.html",
        {"form": form, "page": page},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def campaign(request, pk: int):
    found = get_object_or_404(
        Campaign.objects.visible_to(request.user).select_related("within"), pk=pk
    )
    if not jurisdiction(request.user).is_over(found.within_id):
        raise Http404
    progress = campaign_progress(found)
    mediations = [
        (DiaryEntry.Mediation(code).label, n)
        for code, n in progress.get("mediations", {}).items()
        if code in DiaryEntry.Mediation.values
    ]
    return render(
        request,
        "fieldwork/campaign.html",
        {"campaign": found, "progress": progress, "mediations": mediations},
    )


@login_required
def deployments(request):
    """下沉 deployments to the office's communities, and sending cadres down."""
    j = jurisdiction(request.user)
    offices = _offices(j)
    communities = list(
        Division.objects.filter(j.office_q("code"), tier=Tier.VILLAGE).order_by("code")[:2000]
    )
    form = DeploymentForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = data["cadres"]
        found = dict(
            Cadre.objects.filter(user__username__in=names).values_list("user__username", "pk")
        )
        missing = [n for n in names if n not in found]
        if missing:
            form.add_error("cadres", _("Unknown logins: %s.") % ", ".join(missing))
        else:
            try:
                deployment = services.deploy_cadres(
                    actor=request.user,
                    division=data["division"],
                    cadres=[found[n] for n in names],
                    started_on=data["started_on"],
                    ended_on=data["ended_on"],
                    tasks=data["tasks"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The cadres are sent down."))
                return redirect("fieldwork:deployment", pk=deployment.pk)
    listed = (
        Deployment.objects.visible_to(request.user)
        .filter(j.office_q("division__code"))
        .select_related("division")
    )
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldwork/deployments.html",
        {"form": form, "page": page, "offices": offices},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
def deployment(request, pk: int):
    """One page: the roster, their diaries and the tasks' progress."""
    found = get_object_or_404(
        Deployment.objects.visible_to(request.user).select_related("division"), pk=pk
    )
    return render(
        request,
        "fieldwork/deployment.html",
        {"deployment": found, **deployment_page(found)},
    )
