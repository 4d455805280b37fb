"""The pages' form base, putting a service's errors on the form that fed it, and the safe
`next` of a form post."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme


class PageForm(forms.Form):
    """A form of the pages. Its limits are the server's to enforce, with a message: a
    `maxlength` in the browser would cut pasted text silently, so none is rendered (the
    templates also mark every form `novalidate`, so no browser bubble stands in for a
    message)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)
            field.widget.attrs.pop("minlength", None)


def add_service_errors(
    form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on `form`: each field's messages beside the field
    (`rename` maps a service argument to the form field that carried it), the rest on top."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages in errors.items():
        field = (rename or {}).get(field, field)
        form.add_error(field if field in form.fields else None, messages)


def safe_next(request, default: str) -> str:
    """The `next` the form posted when it is a path on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
