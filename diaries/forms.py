"""Forms of the diary page: the entry and its inline issues."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import PageForm, add_service_errors
from dispatch.models import Posting
from durable.idempotency import new_token
from evidence.forms import EvidenceField
from issues.forms import CHOOSE
from issues.models import DESCRIPTION_MAX_LENGTH

from .models import DiaryEntry
from .services import check_issues


class DiaryEntryForm(PageForm):
    posting = forms.ModelChoiceField(queryset=Posting.objects.none(), label=_("Posting"))
    kind = forms.ChoiceField(label=_("Diary"), choices=DiaryEntry.Kind.choices)
    visited_on = forms.DateField(
        label=_("Visited on"),
        # A date input takes ISO dates whatever the language's own date format.
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    households_visited = forms.IntegerField(
        label=_("Households or firms visited"),
        min_value=0,
        max_value=10000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    summary = forms.CharField(
        label=_("What you saw and heard"), widget=forms.Textarea(attrs={"rows": 4})
    )
    # The posting's duties checklist (职责清单) and whom the visit reached, by name.
    duties = forms.MultipleChoiceField(
        label=_("Duties served"), required=False, widget=forms.CheckboxSelectMultiple
    )
    households = forms.TypedMultipleChoiceField(
        label=_("Households visited"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    enterprises = forms.TypedMultipleChoiceField(
        label=_("Enterprises visited"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    mediation = forms.ChoiceField(
        label=_("A dispute mediated: its outcome"),
        required=False,
        choices=[("", _("none"))] + DiaryEntry.Mediation.choices,
    )
    # Issued with the page; the entry it saved is shown again when it comes back (a double
    # tap, a retry after a lost answer) instead of a second copy (durable.idempotency).
    submission_token = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=new_token
    )

    def __init__(self, *args, postings: list[Posting], households=(), enterprises=(), **kwargs):
        super().__init__(*args, **kwargs)
        several = len(postings) > 1
        self.fields["duties"].choices = [
            (duty, f"{p.label} · {duty}" if several else duty)
            for p in postings
            for duty in dict.fromkeys(p.duties or [])
        ]
        places = len({h.village_id for h in households}) > 1
        self.fields["households"].choices = [
            (h.pk, f"{h.village.name} · {h.label}" if places else h.label) for h in households
        ]
        self.fields["enterprises"].choices = [(e.pk, e.name) for e in enterprises]
        for name in ("duties", "households", "enterprises"):
            if not self.fields[name].choices:
                del self.fields[name]
        field = self.fields["posting"]
        field.queryset = Posting.objects.filter(pk__in=[p.pk for p in postings])
        # The choices come from the list already loaded, not from another query.
        field.choices = [CHOOSE] + [(p.pk, p.label) for p in postings]
        self.fields["visited_on"].initial = timezone.localdate()
        if len(postings) == 1:
            only = postings[0]
            field.initial = only.pk
            self.fields["kind"].initial = (
                DiaryEntry.Kind.ENTERPRISE
                if only.kind == Posting.Kind.ENTERPRISE
                else DiaryEntry.Kind.PEOPLE
            )


class IssueForm(PageForm):
    title = forms.CharField(label=_("Issue"), max_length=200)
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    category = forms.ChoiceField(label=_("Category"))
    grid = forms.TypedChoiceField(label=_("Grid"), required=False, coerce=int, empty_value=None)
    reporter_name = forms.CharField(label=_("Raised by (name)"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Their phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )
    resolved_on_spot = forms.BooleanField(label=_("Resolved on the spot"), required=False)
    resolution = forms.CharField(
        label=_("How it was resolved"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # One problem, one issue: when open issues like this one exist, the page offers them; the
    # cadre adds this report to one of them, or raises it anyway.
    same_as = forms.IntegerField(
        label=_("The same problem as"), required=False, min_value=1, widget=forms.RadioSelect
    )
    new_anyway = forms.BooleanField(label=_("It is a different problem: raise it"), required=False)
    photos = EvidenceField(label=_("Photos"))
    # Filled by the "use my location" button (static/js/evidence.js), with the user's consent.
    latitude = forms.DecimalField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )

    def __init__(self, *args, categories, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Categories are loaded once per request and shared by every row.
        self.fields["category"].choices = [CHOOSE] + [(c.code, str(c)) for c in categories]
        # The grids of the cadre's villages, likewise; the service checks the grid lies in
        # the chosen posting's village.
        if grids:
            several = len({g.division_id for g in grids}) > 1
            self.fields["grid"].choices = [("", _("none"))] + [
                (g.pk, f"{g.division.name} · {g.name}" if several else g.name) for g in grids
            ]
        else:
            del self.fields["grid"]


class BaseIssueFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove this issue")

    def clean(self):
        """Run the diary service's own checks of each issue, so that its errors land beside
        the fields of their row (the service's ValidationError cannot say which row)."""
        super().clean()
        rows = [
            form
            for form in self.forms
            if form.is_valid() and form.has_changed() and not self._should_delete_form(form)
        ]
        categories = {c.code: c for c in self.form_kwargs["categories"]}
        specs = [self._spec(form) for form in rows]
        for form, errors in zip(rows, check_issues(specs, categories), strict=True):
            for field, messages in errors.items():
                form.add_error(field if field in form.fields else None, messages)

    @staticmethod
    def _spec(form) -> dict:
        data = form.cleaned_data
        return {
            "title": data["title"],
            "description": data.get("description", ""),
            "category": data["category"],
            "grid": data.get("grid"),
            "reporter_name": data.get("reporter_name", ""),
            "reporter_phone": data.get("reporter_phone", ""),
            "resolved_on_spot": bool(data.get("resolved_on_spot")),
            "resolution": data.get("resolution", ""),
            "same_as": data.get("same_as"),
            "photos": data.get("photos") or [],
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
        }

    def offer_similar(self, similar) -> bool:
        """Offer, under each new issue not yet linked nor confirmed as new, the open issues
        `similar(spec)` finds; whether any row has some (then the form is shown again)."""
        offered = False
        for form in self.forms:
            if not form.has_changed() or self._should_delete_form(form):
                continue
            data = form.cleaned_data
            if data.get("same_as") or data.get("new_anyway"):
                continue
            found = similar(self._spec(form))
            if found:
                form.fields["same_as"].widget.choices = [
                    (i.pk, f"#{i.pk} {i.title} ({i.raised_on:%Y-%m-%d})") for i in found
                ]
                form.similar = found
                offered = True
        return offered

    def specs(self) -> list[dict]:
        """The filled-in rows as the dicts the diary service takes."""
        return [
            self._spec(form)
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        ]


IssueFormSet = formset_factory(
    IssueForm, formset=BaseIssueFormSet, extra=0, can_delete=True, max_num=50, validate_max=True
)


def apply_errors(form: forms.Form, error: ValidationError) -> list[str]:
    """Put the service's errors beside the entry's fields; return the issues' errors.

    The service sends the errors of each issue under `issues` as a list of dicts aligned with
    the rows, but Django's ValidationError flattens such a list to its messages, losing the
    row and field. The formset runs the service's `check_issues` first, so these messages are
    a fallback, shown above the issue rows.
    """
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    loose = errors.pop("issues", [])
    if errors:
        add_service_errors(form, ValidationError(errors))
    return loose
