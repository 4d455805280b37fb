"""Forms of the field-work pages; each feeds one service of fieldwork.services."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import PageForm
from issues.forms import CHOOSE

from .models import Campaign

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class HouseholdForm(PageForm):
    village = forms.ChoiceField(label=_("Village or community"))
    label = forms.CharField(
        label=_("Household"),
        max_length=60,
        help_text=_("A house number or a family name; no identity numbers."),
    )
    grid = forms.TypedChoiceField(label=_("Grid"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, villages, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [(d.code, d.name) for d in villages]
        if len(villages) == 1:
            self.fields["village"].initial = villages[0].code
        if grids:
            self.fields["grid"].choices = [("", _("none"))] + [
                (g.pk, f"{g.division.name} · {g.name}") for g in grids
            ]
        else:
            del self.fields["grid"]


class HouseholdChangeForm(PageForm):
    label = forms.CharField(
        label=_("Household"),
        max_length=60,
        help_text=_("A house number or a family name; no identity numbers."),
    )
    grid = forms.TypedChoiceField(label=_("Grid"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    moved_away = forms.BooleanField(label=_("Moved away"), required=False)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        if grids:
            self.fields["grid"].choices = [("", _("none"))] + [(g.pk, g.name) for g in grids]
        else:
            del self.fields["grid"]


class PeriodForm(PageForm):
    """A period of days, both inclusive; the last 30 days unless given."""

    since = forms.DateField(label=_("From"), required=False, widget=DATE)
    until = forms.DateField(label=_("To"), required=False, widget=DATE)

    def period(self):
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=29)
        return (since, until) if since <= until else (until, since)


class CampaignForm(PageForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=[CHOOSE] + Campaign.Kind.choices)
    within = forms.ChoiceField(label=_("Within"))
    started_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ended_on = forms.DateField(label=_("Ends on"), widget=DATE)
    target_per_posting = forms.IntegerField(
        label=_("Target visits per posting"), min_value=1, max_value=1000
    )

    def __init__(self, *args, divisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["within"].choices = [(d.code, d.name) for d in divisions]


class DeploymentForm(PageForm):
    division = forms.ChoiceField(label=_("Community"))
    cadres = forms.CharField(
        label=_("Cadres sent down"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Their logins, one a line or separated by commas."),
    )
    started_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ended_on = forms.DateField(label=_("Ends on (the last day)"), widget=DATE)
    tasks = forms.CharField(
        label=_("Tasks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line, e.g. visits to old people living alone."),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = [CHOOSE] + [(d.code, d.name) for d in communities]

    def clean_cadres(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["cadres"].replace(",", "\n").split("\n")]
        names = [n for n in names if n]
        if not names:
            raise ValidationError(_("Choose the cadres to send."))
        return list(dict.fromkeys(names))

    def clean_tasks(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tasks", "").splitlines() if t.strip()]
