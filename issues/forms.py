"""The one input form of each issue transition, used by every HTML face: the issue page, the
claim board and the admin's actions (the API has its serializers). And the list filter."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from common.forms import PageForm
from dispatch.models import Department, Posting, Tier
from evidence.forms import EvidenceField

from . import services
from .models import (
    PUBLIC_DESCRIPTION_MAX_LENGTH,
    EscalationReason,
    FollowUpOutcome,
    Issue,
    IssueEvent,
    NotificationPreference,
    Rating,
    RatingSource,
)
from .services import MANUAL_ESCALATION_REASONS

# A select's empty choice, in the user's language.
CHOOSE = ("", _("Please choose"))


class IssueFilterForm(PageForm):
    MINE = "mine"
    ALL = "all"
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Number, title, description, reporter's name or phone, or place."),
    )
    scope = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=[(MINE, _("mine")), (ALL, _("my whole jurisdiction"))],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any"))] + Issue.Status.choices
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("any"))] + Tier.choices
    )
    posting = forms.TypedChoiceField(label=_("Posting"), required=False, coerce=int)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    supervised = forms.BooleanField(label=_("Under supervision only"), required=False)

    def __init__(self, *args, postings: Iterable[Posting] = (), **kwargs):
        super().__init__(*args, **kwargs)
        postings = list(postings)
        self.fields["posting"].choices = [("", _("any"))] + [(p.pk, p.label) for p in postings]
        if not postings:
            del self.fields["posting"]


class BoardFilterForm(PageForm):
    """The claim board's filters: a county (a city leader's board spans several), a category,
    overdue only."""

    county = forms.ChoiceField(label=_("County"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, counties: Iterable = (), categories: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        counties = list(counties)
        self.fields["county"].choices = [("", _("any"))] + [(c.code, c.name) for c in counties]
        if len(counties) < 2:
            del self.fields["county"]
        self.fields["category"].choices = [("", _("any"))] + [(c.pk, str(c)) for c in categories]


class ActionForm(PageForm):
    """An action on one issue. `version`, sent by the issue page and the board, turns acting
    on a page grown stale into a conflict; the admin's actions on many issues leave it out."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, issue: Issue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.issue = issue
        if issue is not None and not self.is_bound:
            self.initial.setdefault("version", issue.version)

    def service_kwargs(self) -> dict:
        """The service's keyword arguments (the version included: None when not sent); the
        photos go to evidence after the service (issues.views.issue_action)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "photos"}


def note_field(label=None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(ActionForm):
    resolution = forms.CharField(
        label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = EvidenceField(label=_("Photos after the work"))


class EscalateForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[CHOOSE]
        + [(value, EscalationReason(value).label) for value in MANUAL_ESCALATION_REASONS],
    )
    note = note_field()


class CommentForm(ActionForm):
    note = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(ActionForm):
    rating = forms.ChoiceField(label=_("The reporter's answer"), choices=[CHOOSE] + Rating.choices)
    via = forms.ChoiceField(
        label=_("Given"),
        choices=[(v, RatingSource(v).label) for v in (RatingSource.PHONE, RatingSource.VISIT)],
    )
    note = note_field()


class FollowUpForm(ActionForm):
    outcome = forms.ChoiceField(label=_("Outcome of the call"), choices=FollowUpOutcome.choices)
    rating = forms.ChoiceField(
        label=_("The rating given"), required=False, choices=[("", "—")] + Rating.choices
    )
    note = note_field()


class AssignForm(ActionForm):
    # Choices, not a queryset: a board of many issues renders them from one query. The
    # service checks that the departments are the holder's.
    department = forms.TypedChoiceField(label=_("Lead department"), coerce=int)
    co_departments = forms.TypedMultipleChoiceField(
        label=_("Co-handling departments"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = note_field()

    def __init__(self, *args, departments: Iterable[Department] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is None:
            # Only the holder's own departments receive its issues.
            holder = self.issue.holder_id if self.issue is not None else None
            departments = Department.objects.filter(division_id=holder).select_related("division")
        departments = list(departments)
        several = len({d.division_id for d in departments}) > 1
        choices = [
            (d.pk, f"{d.division.name} {d.name}" if several else d.name) for d in departments
        ]
        self.fields["department"].choices = [CHOOSE, *choices]
        self.fields["co_departments"].choices = choices


class ClaimForm(ActionForm):
    """Claiming takes one click: the form carries only the version."""


class ReturnForm(ActionForm):
    reason = forms.CharField(label=_("Why it belongs one tier down"), max_length=40)
    note = note_field()


class ReopenForm(ActionForm):
    note = note_field(_("Why it is handled again"))


class SuperviseForm(ActionForm):
    note = note_field(_("What is asked of the holder"))
    reply_by = forms.DateField(
        label=_("Reply by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: %(days)s working days from now."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply_by"].help_text = self.fields["reply_by"].help_text % {
            "days": settings.SANBUFU_SUPERVISION_REPLY_DAYS
        }


class AcknowledgeForm(ActionForm):
    """Signing for an assignment (签收) takes one click."""


class HandBackForm(ActionForm):
    reason = forms.CharField(label=_("Why it is not your department's"), max_length=40)
    note = note_field()


class ProgressForm(ActionForm):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))
    photos = EvidenceField(label=_("Photos"))


class ExtensionForm(ActionForm):
    days = forms.IntegerField(label=_("More working days"), min_value=1)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = settings.SANBUFU_EXTENSION_MAX_DAYS
        self.fields["days"].validators.append(
            MaxValueValidator(settings.SANBUFU_EXTENSION_MAX_DAYS)
        )
        self.fields["days"].widget.attrs["max"] = settings.SANBUFU_EXTENSION_MAX_DAYS


class DecideExtensionForm(ActionForm):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[CHOOSE, ("1", _("Approve")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    note = note_field()


class SupervisionReplyForm(ActionForm):
    note = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(ActionForm):
    public_description = forms.CharField(
        label=_("What the public reads"),
        max_length=PUBLIC_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the public feed instead of the details; no names or phone numbers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.issue is not None and not self.is_bound:
            self.initial.setdefault("public_description", self.issue.public_description)

    def service_kwargs(self) -> dict:
        return {
            "text": self.cleaned_data["public_description"],
            "version": self.cleaned_data["version"],
        }


class MergeForm(ActionForm):
    into = forms.IntegerField(
        label=_("Merge into issue number"),
        min_value=1,
        help_text=_("The issue that stays; this one closes as the same problem."),
    )
    note = note_field()

    def service_kwargs(self) -> dict:
        # A merge changes two issues; the version read is this one's and is not sent on.
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class PageAction(NamedTuple):
    form: type[ActionForm]
    service: Callable
    title: str
    submit: str
    done: str
    # What photos sent with the form show (evidence.models.Attachment.Role), and the kind of
    # the step they come with.
    evidence_role: str = ""
    evidence_event: str = ""


# The form and service of every action of issues.rules but resolving on the spot (part of the diary), in the order
# the page lists them; each user sees exactly those allowed_actions() grants now.
PAGE_ACTIONS = {
    "acknowledge": PageAction(
        AcknowledgeForm,
        services.acknowledge_issue,
        _("Acknowledge"),
        _("Acknowledge (签收)"),
        _("Your department acknowledged the issue."),
    ),
    "hand_back": PageAction(
        HandBackForm,
        services.hand_back_issue,
        _("Hand back to the office"),
        _("Hand back"),
        _("The issue was handed back to the office."),
    ),
    "progress": PageAction(
        ProgressForm,
        services.post_progress,
        _("Report progress"),
        _("Post progress"),
        _("Your progress note was added."),
        "progress",
        IssueEvent.Kind.PROGRESS,
    ),
    "resolve": PageAction(
        ResolveForm,
        services.resolve_issue,
        _("Resolve"),
        _("Mark resolved"),
        _("The issue is resolved."),
        "after",
        IssueEvent.Kind.RESOLVED,
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
    "extension": PageAction(
        ExtensionForm,
        services.request_extension,
        _("Request an extension"),
        _("Request extension"),
        _("The extension was requested."),
    ),
    "decide_extension": PageAction(
        DecideExtensionForm,
        services.decide_extension,
        _("Decide the extension request"),
        _("Decide"),
        _("The extension request was decided."),
    ),
    "merge": PageAction(
        MergeForm,
        services.merge_issue,
        _("Merge into another issue (the same problem)"),
        _("Merge"),
        _("The issue was merged."),
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
        _("Issue a supervision order"),
        _("Supervise"),
        _("The supervision order was issued."),
    ),
    "supervision_reply": PageAction(
        SupervisionReplyForm,
        services.reply_supervision,
        _("Answer the supervision order"),
        _("Send reply"),
        _("Your reply was sent."),
    ),
    "feedback": PageAction(
        FeedbackForm,
        services.record_feedback,
        _("Record the reporter's feedback"),
        _("Record feedback"),
        _("The feedback was recorded."),
    ),
    "followup": PageAction(
        FollowUpForm,
        services.record_followup,
        _("Record a follow-up call"),
        _("Record the call"),
        _("The follow-up call was recorded."),
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


class NotificationPreferenceForm(forms.ModelForm):
    """How a user hears of what concerns them, besides the inbox."""

    class Meta:
        model = NotificationPreference
        fields = ["email", "sms", "phone"]

    def clean(self):
        data = super().clean()
        phone = re.sub(r"[^\d]", "", data.get("phone") or "")
        if data.get("phone") and not re.fullmatch(r"1\d{10}", phone):
            self.add_error("phone", _("Enter an 11-digit mobile number."))
        elif data.get("sms") and not phone:
            self.add_error("phone", _("Text messages need a mobile number."))
        data["phone"] = phone
        return data
