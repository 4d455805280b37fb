"""Forms of the cadre's issue pages: the list filter and one form per action."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import Department, Tier

from .models import PUBLIC_DESCRIPTION_MAX_LENGTH, EscalationReason, Issue, Rating
from .services import MANUAL_ESCALATION_REASONS


class IssueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any"))] + Issue.Status.choices
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("any"))] + Tier.choices
    )
    posting = forms.TypedChoiceField(label=_("Posting"), required=False, coerce=int)

    def __init__(self, *args, postings=(), **kwargs):
        super().__init__(*args, **kwargs)
        from diaries.forms import posting_label

        self.fields["posting"].choices = [("", _("any"))] + [
            (p.pk, posting_label(p)) for p in postings
        ]
        if not postings:
            del self.fields["posting"]


class ActionForm(forms.Form):
    """An action on one issue; `version` guards against acting on a page grown stale."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, issue: Issue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.issue = issue

    def service_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ResolveForm(ActionForm):
    resolution = forms.CharField(
        label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 3})
    )


class EscalateForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "---------")]
        + [(value, EscalationReason(value).label) for value in MANUAL_ESCALATION_REASONS],
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(ActionForm):
    note = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(ActionForm):
    rating = forms.ChoiceField(
        label=_("The reporter's answer"), choices=[("", "---------")] + Rating.choices
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(ActionForm):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.issue is not None:
            # Only the holder's own departments receive its issues.
            self.fields["department"].queryset = Department.objects.filter(
                division_id=self.issue.holder_id
            )


class ClaimForm(ActionForm):
    """Claiming takes one click: the form carries only the version."""


class ReturnForm(ActionForm):
    reason = forms.CharField(label=_("Why it belongs one tier down"), max_length=40)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(ActionForm):
    note = forms.CharField(
        label=_("Why it is handled again"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SuperviseForm(ActionForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


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
        return {"text": self.cleaned_data["public_description"]}
