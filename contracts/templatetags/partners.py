"""`{% partners_panel issue %}`: the co-building partners' panel of the issue page.

The issue page is the project's template; this tag lets it show what the contracts app knows
(the community's contracted resources and projects fitting the issue, and the two actions on
them) without the issues app importing contracts: the dependency stays contracts → issues."""

from __future__ import annotations

from django import template

from issues.rules import allowed_actions

from ..forms import NeedForm, ResolveThroughForm
from ..models import Need, PartnerResolution
from ..selectors import matching_projects, matching_resources
from ..services import PARTNER_TIERS

register = template.Library()


@register.inclusion_tag("contracts/panel.html", takes_context=True)
def partners_panel(context, issue):
    user = context["request"].user
    through = (
        PartnerResolution.objects.filter(issue=issue, at=issue.resolved_at)
        .select_related("unit", "resource", "project")
        .first()
        if issue.is_resolved
        else None
    )
    context_out = {"issue": issue, "through": through, "show": False}
    if issue.is_resolved or issue.tier not in PARTNER_TIERS:
        return context_out
    if "resolve" not in allowed_actions(user, issue):
        return context_out
    resources = list(matching_resources(issue))
    projects = list(matching_projects(issue))
    need = Need.objects.filter(issue=issue).select_related("claimed_by").first()
    context_out.update(
        show=True,
        resources=resources,
        projects=projects,
        need=need,
        # A failed post comes back bound, with its errors (contracts.views.resolve_through).
        form=getattr(context["request"], "partners_form", None)
        or ResolveThroughForm(
            issue=issue, resources=resources, projects=projects, prefix="through"
        ),
        need_form=NeedForm(
            issue=issue, prefix="need", initial={"title": issue.public_description or issue.title}
        ),
        csrf_token=context.get("csrf_token"),
    )
    return context_out
