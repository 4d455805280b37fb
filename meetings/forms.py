"""Forms of the meeting page: deciding an agenda item (one decision applies one issue
transition) and closing the meeting."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.forms import PageForm
from issues.forms import CHOOSE
from issues.models import EscalationReason
from issues.services import MANUAL_ESCALATION_REASONS

from .models import AgendaItem
from .services import ATTENDEE_NAMES_MAX_LENGTH


class DecideForm(PageForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[CHOOSE, *AgendaItem.Decision.choices]
    )
    # Choices, not a queryset: a page of many items renders them from one query.
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, required=False)
    resolution = forms.CharField(
        label=_("How it was resolved"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    escalation_reason = forms.ChoiceField(
        label=_("Reason for escalating"),
        required=False,
        choices=[CHOOSE]
        + [(value, EscalationReason(value).label) for value in MANUAL_ESCALATION_REASONS],
    )
    return_reason = forms.CharField(label=_("Reason for returning"), required=False, max_length=40)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [CHOOSE] + [(d.pk, d.name) for d in departments or []]

    def clean(self):
        data = super().clean()
        needs = {
            AgendaItem.Decision.ASSIGN: "department",
            AgendaItem.Decision.RESOLVE: "resolution",
            AgendaItem.Decision.ESCALATE: "escalation_reason",
            AgendaItem.Decision.RETURN: "return_reason",
        }
        field = needs.get(data.get("decision"))
        if field and not data.get(field):
            self.add_error(field, _("This decision needs this field."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        decision = data["decision"]
        reason = {
            AgendaItem.Decision.ESCALATE: data.get("escalation_reason"),
            AgendaItem.Decision.RETURN: data.get("return_reason"),
        }.get(decision, "")
        return {
            "decision": decision,
            "department": data.get("department"),
            "resolution": data.get("resolution") or "",
            "reason": reason or "",
            "note": data.get("note") or "",
        }


class CloseMeetingForm(PageForm):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 5}))


class AttendanceForm(PageForm):
    """Who chaired and who attended: the town's people chosen, others written by name."""

    host = forms.TypedChoiceField(
        label=pgettext_lazy("meeting", "Host"), coerce=int, required=False
    )
    attendees = forms.TypedMultipleChoiceField(
        label=_("Attendees"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    attendee_names = forms.CharField(
        label=_("Other attendees"),
        required=False,
        max_length=ATTENDEE_NAMES_MAX_LENGTH,
        help_text=_("Names of those without an account, one a line or separated by 、"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(person.pk, label) for person, label in people]
        self.fields["host"].choices = [CHOOSE, *choices]
        self.fields["attendees"].choices = choices


class CorrectDecisionForm(PageForm):
    note = forms.CharField(
        label=_("The decision now reads"), widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Why it is corrected"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
