"""The admin for issues and meetings, scoped to the user's jurisdiction.

Every queryset here starts from `Issue.objects.visible_to(user)` (changelist, change view,
search, autocomplete, filters, actions, exports), so for an office member an issue outside
their subtree is a 404 like anywhere else. State fields are read-only: the change form saves
nothing, and the actions call the transition services through a confirmation form.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError
from common.forms import add_service_errors
from common.pagination import IdsFirstPaginator
from common.tables import attachment
from dispatch.models import Department, Tier
from dispatch.services import display_name, jurisdiction

from .admin_filters import (
    AcknowledgedFilter,
    DepartmentFilter,
    FollowedUpFilter,
    FoundFromFilter,
    FoundToFilter,
    GridFilter,
    HeldFilter,
    InGridFilter,
    OverdueFilter,
    RatedFilter,
    ResolvedFilter,
    ResolvedWeekFilter,
    SupervisedFilter,
    VillageFilter,
)
from .forms import PAGE_ACTIONS
from .models import (
    Category,
    EscalationReason,
    Extension,
    FollowUpOutcome,
    Issue,
    IssueEvent,
    RatingSource,
    SupervisionOrder,
)
from .rules import allowed_actions, check, reporter_phone
from .tables import issue_table


class NotFoundOutside:
    """The change, history and delete views answer 404 for an object outside the user's
    queryset (Django's own behaviour is a redirect with "perhaps it was deleted")."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(gettext("No such object."))
        return obj


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", "") or str(exc)


def acting_departments(user):
    """Departments of the divisions the user acts for (the service checks the holder's)."""
    j = jurisdiction(user)
    qs = Department.objects.select_related("division").order_by("division_id", "name")
    return qs if j.is_superuser else qs.filter(division_id__in=j.office_at | j.leader_at)


# Issues -------------------------------------------------------------------------------------


def local_time(value) -> str:
    """A moment as the offices read it: Asia/Shanghai (the site's zone), to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def reason_label(event: IssueEvent) -> str:
    """The words for an event's reason code (escalation reasons, rating sources, call
    outcomes, extension days); a return's reason is the office's own words."""
    from .views import REASON_LABELS

    if event.kind == IssueEvent.Kind.EXTENSION_REQUESTED:
        return gettext("%(days)s working days") % {"days": event.reason}
    for codes in (EscalationReason, RatingSource, FollowUpOutcome):
        if event.reason in codes.values:
            return str(codes(event.reason).label)
    return str(REASON_LABELS.get(event.reason, event.reason))


class ReadOnlyInline(admin.TabularInline):
    """Rows written only by the services: shown, never added, changed or deleted here.
    Subclasses set `fields` and `related` (what to load with each row)."""

    extra = 0
    can_delete = False
    related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IssueEventInline(ReadOnlyInline):
    """The timeline, oldest first; append-only. People by name, codes by their words, times
    in Asia/Shanghai."""

    model = IssueEvent
    fk_name = "issue"
    related = ("actor__cadre", "department")
    fields = ["when", "kind", "tiers", "who", "why", "note", "department", "rating"]
    ordering = ["at", "id"]
    verbose_name_plural = _("timeline")

    @admin.display(description=_("at"))
    def when(self, event):
        return local_time(event.at)

    @admin.display(description=_("tier"))
    def tiers(self, event):
        if event.tier_from and event.tier_to and event.tier_from != event.tier_to:
            return f"{Tier(event.tier_from).label} → {Tier(event.tier_to).label}"
        tier = event.tier_to or event.tier_from
        return Tier(tier).label if tier else "—"

    @admin.display(description=_("by"))
    def who(self, event):
        return display_name(event.actor) or gettext("the system")

    @admin.display(description=_("reason"))
    def why(self, event):
        return reason_label(event) or "—"


class ExtensionInline(ReadOnlyInline):
    """Extension requests (延期) and their decisions."""

    model = Extension
    fk_name = "issue"
    related = ("department", "requested_by__cadre", "decided_by__cadre")
    fields = [
        "requested",
        "tier",
        "department",
        "requester",
        "days",
        "reason",
        "approved",
        "decider",
        "decided",
        "due_before_local",
        "due_after_local",
    ]

    @admin.display(description=_("requested at"))
    def requested(self, obj):
        return local_time(obj.requested_at)

    @admin.display(description=_("requested by"))
    def requester(self, obj):
        return display_name(obj.requested_by)

    @admin.display(description=_("decided by"))
    def decider(self, obj):
        return display_name(obj.decided_by) or "—"

    @admin.display(description=_("decided at"))
    def decided(self, obj):
        return local_time(obj.decided_at)

    @admin.display(description=_("due before"))
    def due_before_local(self, obj):
        return local_time(obj.due_before)

    @admin.display(description=_("due after"))
    def due_after_local(self, obj):
        return local_time(obj.due_after)


class SupervisionOrderInline(ReadOnlyInline):
    """Supervision orders (督办单) and their replies."""

    model = SupervisionOrder
    fk_name = "issue"
    related = ("department", "holder", "issued_by__cadre", "replied_by__cadre")
    fields = [
        "issued",
        "sequence",
        "holder",
        "department",
        "issuer",
        "note",
        "reply_by_local",
        "replied",
        "replier",
        "reply",
    ]

    @admin.display(description=_("issued at"))
    def issued(self, obj):
        return local_time(obj.issued_at)

    @admin.display(description=_("issued by"))
    def issuer(self, obj):
        return display_name(obj.issued_by)

    @admin.display(description=_("reply by"))
    def reply_by_local(self, obj):
        return local_time(obj.reply_by)

    @admin.display(description=_("replied at"))
    def replied(self, obj):
        return local_time(obj.replied_at)

    @admin.display(description=_("replied by"))
    def replier(self, obj):
        return display_name(obj.replied_by) or "—"


# What the issue page offers as buttons, in the order of issues.rules.ACTIONS (the cadre's
# and department's own steps stay on their pages).
ADMIN_ACTIONS = [
    name
    for name in PAGE_ACTIONS
    if name not in ("acknowledge", "hand_back", "progress", "supervision_reply")
]


@admin.register(Issue)
class IssueAdmin(NotFoundOutside, admin.ModelAdmin):
    # Chosen to fit a 1366 px screen beside the filters (tests/browser): the title carries
    # the category, the state joins tier and status, the handler is the department or the
    # leader who claimed it.
    list_display = [
        "number",
        "title_cell",
        "division",
        "holder",
        "state",
        "deadline",
        "handler",
    ]
    list_display_links = ["number", "title_cell"]
    list_filter = [
        HeldFilter,
        "tier",
        "status",
        ResolvedFilter,
        "category",
        OverdueFilter,
        FoundFromFilter,
        FoundToFilter,
        ResolvedWeekFilter,
        RatedFilter,
        InGridFilter,
        FollowedUpFilter,
        GridFilter,
        VillageFilter,
        DepartmentFilter,
        AcknowledgedFilter,
        SupervisedFilter,
    ]
    # The admin's search box is the lists' keyword search (IssueQuerySet.search): number,
    # reporter's phone (whole) and name, title, description, place.
    search_fields = ["title"]
    search_help_text = _("Number, title, description, reporter's name or phone, or place.")

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    list_per_page = 50
    # A page of a million issues: exact count up to a bound, ids first (common.pagination).
    paginator = IdsFirstPaginator
    show_full_result_count = False
    inlines = [IssueEventInline, ExtensionInline, SupervisionOrderInline]
    actions = [
        "assign_action",
        "escalate_action",
        "resolve_action",
        "supervise_action",
        "decide_extension_action",
        "export_xlsx",
    ]
    # What an office reads: people by name, codes by their labels, times in Asia/Shanghai;
    # the bookkeeping (version, peak tier, hand-back list) stays out.
    fieldsets = [
        (None, {"fields": ["number", "title", "description", "category"]}),
        (
            _("Where and who"),
            {
                "fields": [
                    "division",
                    "enterprise",
                    "grid",
                    "reporter_name",
                    "reporter",
                    "raiser",
                    "raised_on",
                    "recorded",
                ]
            },
        ),
        (
            _("State"),
            {
                "fields": [
                    "tier",
                    "holder",
                    "status",
                    "arrived",
                    "due",
                    "department",
                    "acknowledged",
                    "ack_due",
                    "claimer",
                    "escalation_count",
                    "extension_count",
                    "returned",
                    "supervised",
                    "resolution",
                    "resolved",
                    "resolved_tier",
                    "resolved_on_spot",
                    "rating",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            Issue.objects.visible_to(request.user)
            .for_list()
            .select_related("claimed_by__cadre", "raised_by__cadre")
        )

    @property
    def media(self):
        # select2 and the admin's autocomplete script, for the division and department filters.
        widget = AutocompleteSelect(Issue._meta.get_field("division"), self.admin_site)
        return super().media + widget.media

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]

    # The list's cells ---------------------------------------------------------------------

    @admin.display(description=_("title"), ordering="title")
    def title_cell(self, obj: Issue):
        return format_html(
            '<span class="issue-title">{}</span> <small class="quiet">{}</small>',
            obj.title,
            obj.category,
        )

    @admin.display(description=_("state"), ordering="tier")
    def state(self, obj: Issue):
        return f"{obj.get_tier_display()} · {obj.get_status_display()}"

    @admin.display(description=_("handled by"))
    def handler(self, obj: Issue):
        if obj.claimed_by_id is not None:
            return display_name(obj.claimed_by)
        return obj.department.name if obj.department_id is not None else "—"

    @admin.display(description=_("deadline"), ordering="due_at")
    def deadline(self, obj: Issue):
        colours = {"green": "#5b9a45", "amber": "#d08c00", "red": "#ba2121"}
        words = {"green": _("in time"), "amber": _("due soon"), "red": _("overdue")}
        state = obj.deadline_state()
        if obj.is_resolved:
            return format_html('<span class="quiet">{}</span>', gettext("resolved"))
        return format_html(
            '<span style="color:{}" title="{}">●</span> {}',
            colours[state],
            words[state],
            timezone.localtime(obj.due_at).strftime("%Y-%m-%d"),
        )

    # The change page's fields -------------------------------------------------------------

    @admin.display(description=_("number"), ordering="id")
    def number(self, obj: Issue):
        return f"#{obj.pk}"

    @admin.display(description=_("reporter's phone"))
    def reporter(self, obj: Issue):
        # Masked for whoever only oversees it, as on the issue page (get_object below).
        return getattr(obj, "phone_shown", "") or "—"

    @admin.display(description=_("raised by"))
    def raiser(self, obj: Issue):
        return display_name(obj.raised_by) or "—"

    @admin.display(description=_("recorded at"))
    def recorded(self, obj: Issue):
        return local_time(obj.raised_at)

    @admin.display(description=_("arrived at this tier"))
    def arrived(self, obj: Issue):
        return local_time(obj.arrived_at)

    @admin.display(description=_("due"))
    def due(self, obj: Issue):
        return self.deadline(obj) if not obj.is_resolved else local_time(obj.due_at)

    @admin.display(description=_("acknowledged by the lead department at"))
    def acknowledged(self, obj: Issue):
        return local_time(obj.acknowledged_at)

    @admin.display(description=_("to be acknowledged by"))
    def ack_due(self, obj: Issue):
        return local_time(obj.ack_due_at)

    @admin.display(description=_("claimed by"))
    def claimer(self, obj: Issue):
        return display_name(obj.claimed_by) or "—"

    @admin.display(description=_("returned from tiers"))
    def returned(self, obj: Issue):
        return "、".join(str(Tier(t).label) for t in obj.returned_from) or "—"

    @admin.display(description=_("under supervision since"))
    def supervised(self, obj: Issue):
        return local_time(obj.supervised_at)

    @admin.display(description=_("resolved at"))
    def resolved(self, obj: Issue):
        return local_time(obj.resolved_at)

    def get_object(self, request, object_id, from_field=None):
        issue = super().get_object(request, object_id, from_field)
        issue.phone_shown = reporter_phone(request.user, issue)
        return issue

    def change_view(self, request, object_id, form_url="", extra_context=None):
        issue = self.get_object(request, object_id)
        buttons = [
            {"title": PAGE_ACTIONS[name].title, "url": self._act_url(issue.pk, name)}
            for name in allowed_actions(request.user, issue)
            if name in ADMIN_ACTIONS and self.has_act_permission(request)
        ]
        extra_context = {**(extra_context or {}), "issue_actions": buttons}
        return super().change_view(request, object_id, form_url, extra_context)

    # One issue's actions: a small view per action with the action's form ------------------

    def get_urls(self):
        act = self.admin_site.admin_view(self.act_view)
        return [
            path("<path:object_id>/act/<str:action>/", act, name="issues_issue_act"),
            *super().get_urls(),
        ]

    @staticmethod
    def _act_url(pk: int, action: str) -> str:
        return reverse("admin:issues_issue_act", args=[pk, action])

    def act_view(self, request, object_id, action):
        """Take `action` on one issue with its form (GET shows it, POST applies it through
        the service). A refusal by the rules is a message on the issue page saying why."""
        issue = self.get_object(request, object_id)  # 404 outside the jurisdiction
        if action not in ADMIN_ACTIONS:
            raise Http404(gettext("No such action."))
        page = reverse("admin:issues_issue_change", args=[issue.pk])
        if not self.has_act_permission(request):
            self.message_user(
                request, gettext("You may not do this to this issue."), messages.ERROR
            )
            return HttpResponseRedirect(page)
        try:
            check(request.user, issue, action)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(page)
        page_action = PAGE_ACTIONS[action]
        data = request.POST if request.method == "POST" else None
        form = page_action.form(data, issue=issue)
        if form.is_valid():
            try:
                page_action.service(actor=request.user, issue=issue, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return HttpResponseRedirect(page)
            else:
                self.message_user(request, page_action.done, messages.SUCCESS)
                if not self.get_queryset(request).filter(pk=issue.pk).exists():
                    return redirect("admin:issues_issue_changelist")
                return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "title": page_action.title,
            "submit": page_action.submit,
            "opts": self.model._meta,
            "original": issue,
            "issue": issue,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request,
            "admin/issues/issue/act_form.html",
            context,
            status=400 if form.is_bound else 200,
        )

    # Issues are raised, changed and kept only through the services: no add, no raw save,
    # no delete (the timeline and the closure rate depend on every row).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request):
        return request.user.has_perm("issues.change_issue")

    def get_actions(self, request):
        # Transitions in bulk are offered on the list of what the unit holds; on the list of
        # everything visible only the export is.
        actions = super().get_actions(request)
        if HeldFilter.shows_held_only(request):
            return actions
        return {name: a for name, a in actions.items() if name == "export_xlsx"}

    def save_model(self, request, obj, form, change):  # pragma: no cover - never reached
        raise PermissionError("issues change only through issues.services")

    # Bulk actions: only on issues the user's unit holds (本单位承办); a selection with
    # others is refused whole, naming them and why. Then the transition's form, and its
    # service for each selected issue in one transaction: one refusal rolls back the batch.

    @staticmethod
    def _selected(request) -> set[int] | None:
        """The ids ticked on the list; None when the action runs on every matching issue."""
        if request.POST.get("select_across", "0") != "0":
            return None
        return {
            int(pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if pk.isdigit()
        }

    def _not_held(self, request, queryset) -> list[str]:
        """Why each selected issue the user's unit does not hold is left alone. The selection
        is read from the form, not only `queryset`: the list's default filter (held by my
        unit) would otherwise drop the others without a word."""
        selected = {i.pk for i in queryset} | (self._selected(request) or set())
        issues = self.get_queryset(request).filter(pk__in=selected).order_by("pk")
        held = set(
            Issue.objects.actionable_by(request.user)
            .filter(pk__in=selected)
            .values_list("pk", flat=True)
        )
        return [
            gettext("#%(pk)s %(title)s: held by %(holder)s (%(tier)s), not by your unit.")
            % {
                "pk": issue.pk,
                "title": issue.title,
                "holder": issue.holder.name,
                "tier": issue.get_tier_display(),
            }
            for issue in issues
            if issue.pk not in held
        ]

    def _transition(self, request, queryset, action: str, done: str, **form_kwargs):
        page_action = PAGE_ACTIONS[action]
        not_held = self._not_held(request, queryset)
        if not_held:
            for line in not_held:
                self.message_user(request, line, messages.ERROR)
            self.message_user(
                request,
                gettext(
                    "Bulk actions act only on issues your unit holds (filter: held by my "
                    "unit). Nothing was changed."
                ),
                messages.WARNING,
            )
            return None
        data = request.POST if request.POST.get("apply") else None
        form = page_action.form(data, **form_kwargs)
        if form.is_valid():
            refused = []
            with transaction.atomic():
                for issue in queryset:
                    try:
                        page_action.service(
                            actor=request.user, issue=issue, **form.service_kwargs()
                        )
                    except (DomainError, ValidationError) as exc:
                        refused.append(f"#{issue.pk} {issue.title}: {error_text(exc)}")
                if refused:
                    transaction.set_rollback(True)
            if refused:
                for line in refused:
                    self.message_user(request, line, messages.ERROR)
                self.message_user(request, gettext("Nothing was changed."), messages.WARNING)
            else:
                self.message_user(request, done % {"count": len(queryset)}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": page_action.title,
            "opts": self.model._meta,
            "form": form,
            "issues": queryset,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "index": request.POST.get("index", "0"),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/issues/issue/action_form.html", context)

    @admin.action(description=_("Assign to a department"), permissions=["act"])
    def assign_action(self, request, queryset):
        return self._transition(
            request,
            queryset,
            "assign",
            gettext("%(count)s issue(s) assigned."),
            departments=acting_departments(request.user),
        )

    @admin.action(description=_("Escalate one tier"), permissions=["act"])
    def escalate_action(self, request, queryset):
        return self._transition(
            request, queryset, "escalate", gettext("%(count)s issue(s) escalated.")
        )

    @admin.action(description=_("Resolve"), permissions=["act"])
    def resolve_action(self, request, queryset):
        return self._transition(
            request, queryset, "resolve", gettext("%(count)s issue(s) resolved.")
        )

    @admin.action(description=_("Issue a supervision order"), permissions=["act"])
    def supervise_action(self, request, queryset):
        return self._transition(
            request, queryset, "supervise", gettext("%(count)s supervision order(s) issued.")
        )

    @admin.action(description=_("Decide the pending extension requests"), permissions=["act"])
    def decide_extension_action(self, request, queryset):
        return self._transition(
            request,
            queryset,
            "decide_extension",
            gettext("%(count)s extension request(s) decided."),
        )

    @admin.action(description=_("Export selected issues (Excel)"))
    def export_xlsx(self, request, queryset):
        # An export only reads: it holds every selected issue the user sees, whether or not
        # the list's default filter (held by my unit) shows it.
        selected = self._selected(request)
        if selected is not None:
            queryset = self.get_queryset(request).filter(pk__in=selected)
        return attachment(issue_table(queryset.for_list().order_by("id")), "issues.xlsx")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "sort_order",
        "village_days",
        "town_days",
        "county_days",
        "city_days",
    ]
    list_editable = ["sort_order"]
    search_fields = ["code", "name_zh", "name_en"]
