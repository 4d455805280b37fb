"""The forms of the co-building pages: a contract's next step, resolving an issue through a
partner, and posting an issue as a community need."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dispatch.models import Division, Tier
from dispatch.services import jurisdiction
from issues.forms import CHOOSE, ActionForm

from .models import Contract, Menu, MenuItem, Unit


class AdvanceForm(forms.Form):
    step = forms.ChoiceField(choices=Contract.Step.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 3}))
    score = forms.IntegerField(label=_("Score (0–100)"), min_value=0, max_value=100, required=False)

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("step", contract.next_step)
        self.initial.setdefault("version", contract.version)
        self.initial.setdefault("on", timezone.localdate())
        if contract.next_step == Contract.Step.EVALUATE:
            self.fields["score"].required = True
        else:
            del self.fields["score"]


class ResolveThroughForm(ActionForm):
    """`source` is "resource:<id>" or "project:<id>", one of the choices the panel offers."""

    source = forms.ChoiceField(label=_("Through"))
    resolution = forms.CharField(
        label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, resources=(), projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = (
            [CHOOSE]
            + [
                (f"resource:{r.pk}", f"{r.unit.name} · {r.name} ({r.get_kind_display()})")
                for r in resources
            ]
            + [
                (f"project:{p.pk}", f"{p.unit.name} · {p.name} ({p.get_status_display()})")
                for p in projects
            ]
        )
        self.resources = {r.pk: r for r in resources}
        self.projects = {p.pk: p for p in projects}

    def service_kwargs(self) -> dict:
        kind, _sep, pk = self.cleaned_data["source"].partition(":")
        chosen = {"resource": self.resources, "project": self.projects}[kind][int(pk)]
        return {
            "version": self.cleaned_data.get("version"),
            "resolution": self.cleaned_data["resolution"],
            kind: chosen,
        }


class NeedForm(ActionForm):
    title = forms.CharField(label=_("The need as units will read it"), max_length=200)


class OpenContractForm(forms.Form):
    """谈约: a unit and a community of the office's subtree start a contract, with the first
    item either side brings from one of the four menus."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Division.objects.none(), to_field_name="code"
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    note = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 2}))
    menu = forms.ChoiceField(label=_("Menu"), choices=[CHOOSE, *Menu.choices], required=False)
    side = forms.ChoiceField(label=_("Provided by"), choices=MenuItem.Side.choices, required=False)
    item = forms.CharField(label=_("Item"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        j = jurisdiction(user)
        self.fields["unit"].queryset = Unit.objects.visible_to(user).order_by("name")
        self.fields["community"].queryset = Division.objects.filter(
            j.office_q("code"), tier=Tier.VILLAGE
        ).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("item") and not data.get("menu"):
            self.add_error("menu", _("Choose the item's menu."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        items = [(data["menu"], data["side"], data["item"])] if data.get("item") else []
        return {
            "unit": data["unit"],
            "community": data["community"],
            "title": data["title"],
            "note": data["note"],
            "items": items,
        }
