"""Co-building pages: the community offices' contracts (phone first), the panel's two posts
from the issue page, and the public 亮约 page of a community."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.forms import add_service_errors
from dispatch.models import Division, Tier
from dispatch.services import jurisdiction
from issues.models import Issue
from issues.selectors import grid_ranking
from issues.views import issue_page

from . import services
from .forms import AdvanceForm, NeedForm, OpenContractForm, ResolveThroughForm
from .models import Contract, Need, Offer, Project, Resource, Unit
from .selectors import matching_projects, matching_resources, public_community


@login_required
def contract_list(request):
    """The contracts of the user's communities; an office also opens one here (谈约)."""
    form = None
    status = 200
    if jurisdiction(request.user).administers:
        form = OpenContractForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                contract = services.open_contract(actor=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The contract is opened at its first step."))
                return redirect("contracts:detail", pk=contract.pk)
        if request.method == "POST":
            status = 400
    contracts = (
        Contract.objects.visible_to(request.user)
        .select_related("unit", "community")
        .order_by("community__name", "step", "unit__name", "pk")[:500]
    )
    return render(
        request, "contracts/list.html", {"contracts": contracts, "form": form}, status=status
    )


def _detail(request, contract: Contract, form: AdvanceForm | None = None, status: int = 200):
    may_move = jurisdiction(request.user).is_over(contract.community_id)
    if form is None and may_move and contract.next_step:
        form = AdvanceForm(contract=contract)
    return render(
        request,
        "contracts/detail.html",
        {
            "contract": contract,
            "steps": contract.steps.select_related("by__cadre"),
            "items": contract.items.all(),
            "resources": contract.resources.all(),
            "projects": contract.projects.all(),
            "form": form if may_move else None,
            "next_step": Contract.Step(contract.next_step).label if contract.next_step else "",
        },
        status=status,
    )


def _load(request, pk: int) -> Contract:
    return get_object_or_404(
        Contract.objects.visible_to(request.user).select_related("unit", "community"), pk=pk
    )


@login_required
def contract_detail(request, pk: int):
    return _detail(request, _load(request, pk))


@login_required
@require_POST
def contract_advance(request, pk: int):
    contract = _load(request, pk)
    form = AdvanceForm(request.POST, contract=contract)
    if form.is_valid():
        try:
            services.advance_contract(actor=request.user, contract=contract, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("contracts:detail", pk=contract.pk)
        else:
            messages.success(request, _("The step is recorded."))
            return redirect("contracts:detail", pk=contract.pk)
    return _detail(request, contract, form, status=400)


def _issue(request, pk: int) -> Issue:
    return get_object_or_404(
        Issue.objects.visible_to(request.user)
        .for_list()
        .select_related("claimed_by__cadre", "raised_by__cadre"),
        pk=pk,
    )


def _back_to(issue: Issue) -> str:
    return reverse("issues:detail", args=[issue.pk]) + "#partners"


@login_required
@require_POST
def resolve_through(request, pk: int):
    """The panel's resolve-through form. A form or service error shows the issue page again
    with the error in the panel (400); a refusal by the rules is a message on the page."""
    issue = _issue(request, pk)
    form = ResolveThroughForm(
        request.POST,
        prefix="through",
        issue=issue,
        resources=list(matching_resources(issue)),
        projects=list(matching_projects(issue)),
    )
    if form.is_valid():
        try:
            services.resolve_through(actor=request.user, issue=issue, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, rename={"resource": "source"})
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(_back_to(issue))
        else:
            messages.success(request, _("Resolved with the co-building partner."))
            return redirect(_back_to(issue))
    # The issue page again, its partners' panel showing this bound form (partners_panel).
    request.partners_form = form
    return issue_page(request, issue, status=400)


@login_required
@require_POST
def raise_need(request, pk: int):
    issue = _issue(request, pk)
    form = NeedForm(request.POST, prefix="need", issue=issue)
    if form.is_valid():
        try:
            services.raise_need(actor=request.user, issue=issue, title=form.cleaned_data["title"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Posted as a need of the community."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_back_to(issue))


def _community(request, code: str) -> Division:
    return get_object_or_404(
        Division.objects.visible_to(request.user), code=code, tier=Tier.VILLAGE
    )


@login_required
def community_page(request, code: str):
    """One community's co-building for its offices and cadres: the needs units may take up,
    the units' offers, resources, projects, and its grids ranked by resolved within the grid."""
    community = _community(request, code)
    user = request.user
    return render(
        request,
        "contracts/community.html",
        {
            "community": community,
            "may_act": jurisdiction(user).is_over(code),
            "needs": Need.objects.filter(community=community)
            .select_related("claimed_by", "issue")
            .order_by("status", "-created_at"),
            "offers": Offer.objects.filter(community=community)
            .select_related("unit")
            .order_by("status", "-created_at"),
            "units": Unit.objects.visible_to(user).order_by("name"),
            "resources": Resource.objects.filter(community=community).select_related("unit"),
            "projects": Project.objects.filter(community=community).select_related("unit"),
            "grids": grid_ranking(Issue.objects.visible_to(user), within=code),
            "may_take": code in jurisdiction(user).cadre_at or jurisdiction(user).is_over(code),
        },
    )


def _act(request, code: str, act) -> HttpResponse:
    _community(request, code)
    try:
        act()
    except (DomainError, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or " ".join(exc.messages))
    else:
        messages.success(request, _("Recorded."))
    return redirect("contracts:community", code=code)


@login_required
@require_POST
def need_claim(request, code: str, pk: int):
    need = get_object_or_404(Need.objects.visible_to(request.user), pk=pk, community_id=code)
    unit = Unit.objects.visible_to(request.user).filter(pk=request.POST.get("unit") or 0).first()
    if unit is None:
        messages.error(request, _("Choose the unit that takes it up."))
        return redirect("contracts:community", code=code)
    return _act(
        request, code, lambda: services.claim_need(actor=request.user, need=need, unit=unit)
    )


@login_required
@require_POST
def need_meet(request, code: str, pk: int):
    need = get_object_or_404(Need.objects.visible_to(request.user), pk=pk, community_id=code)
    return _act(request, code, lambda: services.meet_need(actor=request.user, need=need))


@login_required
@require_POST
def offer_take(request, code: str, pk: int):
    offer = get_object_or_404(Offer.objects.visible_to(request.user), pk=pk, community_id=code)
    return _act(request, code, lambda: services.take_offer(actor=request.user, offer=offer))


def public_page(request, code: str):
    """亮约: a community's publicised contracts, for anyone, with no login and no person's
    name or phone."""
    community = get_object_or_404(Division, code=code, tier=Tier.VILLAGE)
    return render(
        request, "contracts/public.html", {"community": community, **public_community(code)}
    )
