from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.models import Rating


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the answer?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anything to add"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("Issue number"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone_last4 = forms.CharField(
        label=_("Last four digits of your phone"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
