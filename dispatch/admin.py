"""Admin for the territory and the people. Division foreign keys use autocomplete: a
province has tens of thousands of divisions, too many for a select box."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.phones import MOBILE, normalize_phone
from sms.services import queue_sms

from .models import Cadre, Department, Division, Enterprise, Grid, Membership, Posting
from .services import jurisdiction


class ScopedAdmin(admin.ModelAdmin):
    """Rows whose `scope_field` (a division code) lies outside the user's jurisdiction do not
    exist for them: not in lists, search or autocomplete, and a 404 in the change view."""

    scope_field = "division__code"
    # True when scope_field crosses a many-valued relation (a cadre's postings).
    scope_distinct = False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        scoped = qs.filter(jurisdiction(request.user).q(self.scope_field))
        return scoped.distinct() if self.scope_distinct else scoped

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


@admin.register(Division)
class DivisionAdmin(ScopedAdmin):
    scope_field = "code"
    list_display = ["code", "name", "tier", "parent"]
    list_filter = ["tier"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    show_full_result_count = False


@admin.register(Enterprise)
class EnterpriseAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "division"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ["name", "division", "party_branch"]
    search_fields = ["name", "division__name", "party_branch"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "division"]
    list_filter = ["division__tier"]
    search_fields = ["name", "division__name"]
    autocomplete_fields = ["division"]
    list_select_related = ["division"]


def office_choices(request, db_field, kwargs: dict) -> dict:
    """Limit a division or enterprise foreign key to the subtrees of the user's offices:
    where an office member may post a cadre. The one place the territory admin narrows a
    choice, through `Jurisdiction.office_q` (a superuser chooses from everything)."""
    j = jurisdiction(request.user)
    if db_field.name == "division":
        kwargs["queryset"] = Division.objects.filter(j.office_q("code"))
    elif db_field.name == "enterprise":
        kwargs["queryset"] = Enterprise.objects.filter(j.office_q("division__code"))
    return kwargs


class PostingForm(forms.ModelForm):
    """A posting: an enterprise posting (驻企) lies in the enterprise's village, so its
    division follows the enterprise."""

    class Meta:
        model = Posting
        fields = ["kind", "division", "enterprise", "started_on", "ended_on", "duties"]

    def clean(self):
        cleaned = super().clean()
        enterprise = cleaned.get("enterprise")
        if cleaned.get("kind") == Posting.Kind.ENTERPRISE:
            if enterprise is None:
                self.add_error("enterprise", gettext("Choose the enterprise of the posting."))
            elif cleaned.get("division") not in (None, enterprise.division):
                self.add_error(
                    "division", gettext("An enterprise posting lies in the enterprise's village.")
                )
        elif enterprise is not None:
            self.add_error("enterprise", gettext("Only an enterprise posting names an enterprise."))
        return cleaned


class PostingInline(admin.TabularInline):
    model = Posting
    form = PostingForm
    extra = 0
    fields = ["kind", "division", "enterprise", "started_on", "ended_on", "duties"]
    autocomplete_fields = ["division", "enterprise"]

    def get_queryset(self, request):
        # Only the postings in the user's offices' subtrees are theirs to change; a cadre
        # also posted elsewhere keeps those postings out of this form.
        return (
            super()
            .get_queryset(request)
            .filter(jurisdiction(request.user).office_q("division__code"))
        )

    def get_min_num(self, request, obj=None, **kwargs):
        # A new cadre comes with a first posting: it is what puts them in a subtree (and in
        # the office's list at all).
        return 1 if obj is None else 0

    def get_extra(self, request, obj=None, **kwargs):
        return 0

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_min=True, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **office_choices(request, db_field, kwargs)
        )


class CadreForm(forms.ModelForm):
    """A cadre and, when new, their login: a username, no password. The office passes the
    cadre a link to set their own (as a password reset does), never a password it knows."""

    username = forms.CharField(
        label=_("login name"),
        max_length=150,
        required=False,
        help_text=_("Letters, digits and @/./+/-/_ only. Empty: the mobile number."),
    )

    class Meta:
        model = Cadre
        fields = ["name", "phone", "agency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            del self.fields["username"]

    def clean_phone(self):
        return normalize_phone(self.cleaned_data.get("phone", ""))

    def clean(self):
        cleaned = super().clean()
        if "username" not in self.fields:
            return cleaned
        username = (cleaned.get("username") or "").strip() or cleaned.get("phone", "")
        if not username:
            self.add_error("username", gettext("Give a login name or a mobile number."))
            return cleaned
        user_model = get_user_model()
        field = user_model._meta.get_field(user_model.USERNAME_FIELD)
        try:
            field.run_validators(username)
        except forms.ValidationError as exc:
            self.add_error("username", exc)
            return cleaned
        if user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).exists():
            self.add_error("username", gettext("This login name is taken."))
        cleaned["username"] = username
        return cleaned


@admin.register(Cadre)
class CadreAdmin(ScopedAdmin):
    scope_field = "postings__division__code"
    scope_distinct = True
    form = CadreForm
    list_display = ["name", "login", "phone", "agency"]
    search_fields = ["name", "user__username", "phone", "agency"]
    list_select_related = ["user"]
    inlines = [PostingInline]

    @admin.display(description=_("login"), ordering="user__username")
    def login(self, obj: Cadre) -> str:
        return obj.user.username

    def get_fields(self, request, obj=None):
        return (
            ["name", "phone", "agency", "username"]
            if obj is None
            else [
                "name",
                "login",
                "phone",
                "agency",
            ]
        )

    def get_readonly_fields(self, request, obj=None):
        return ["login"] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # A cadre is the office's to change while posted in its subtree.
        if obj is None or not super().has_change_permission(request, obj):
            return super().has_change_permission(request, obj)
        if request.user.is_superuser:
            return True
        return obj.postings.filter(jurisdiction(request.user).office_q("division__code")).exists()

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            user_model = get_user_model()
            user = user_model(**{user_model.USERNAME_FIELD: form.cleaned_data["username"]})
            user.set_unusable_password()
            user.save()
            obj.user = user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        user = obj.user
        link = request.build_absolute_uri(
            reverse(
                "password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                    "token": default_token_generator.make_token(user),
                },
            )
        )
        days = settings.PASSWORD_RESET_TIMEOUT // 86400
        params = {"username": user.get_username(), "name": obj.name, "days": days, "link": link}
        self.message_user(
            request,
            gettext(
                "The login %(username)s was created without a password. Pass this link to "
                "%(name)s to set one (valid for %(days)s days): %(link)s"
            )
            % params,
            messages.INFO,
        )
        if MOBILE.match(obj.phone):
            # The cadre's own phone gets the link too (the provider's "notice" template).
            what = gettext("Your sanbufu login %(username)s is ready; set your password") % params
            queue_sms(obj.phone, f"{what}: {link}", template="notice", params=[what, link])
            self.message_user(
                request,
                gettext("The link was also sent by text message to %(phone)s.")
                % {"phone": obj.phone},
                messages.INFO,
            )
        return super().response_add(request, obj, post_url_continue)


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        active = Posting.objects.active().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=active)
        if self.value() == "no":
            return queryset.exclude(pk__in=active)
        return queryset


@admin.register(Posting)
class PostingAdmin(ScopedAdmin):
    form = PostingForm
    fields = ["cadre", "kind", "division", "enterprise", "started_on", "ended_on", "duties"]
    list_display = ["cadre", "kind", "division", "enterprise", "started_on", "ended_on"]
    list_filter = ["kind", ActiveFilter]
    search_fields = ["cadre__name", "division__name", "division__code", "enterprise__name"]
    autocomplete_fields = ["cadre", "division", "enterprise"]
    list_select_related = ["cadre", "division", "enterprise"]
    date_hierarchy = "started_on"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "cadre":
            kwargs["queryset"] = CadreAdmin(Cadre, self.admin_site).get_queryset(request)
        return super().formfield_for_foreignkey(
            db_field, request, **office_choices(request, db_field, kwargs)
        )

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return jurisdiction(request.user).is_over(obj.division_id)


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ["user", "role", "division", "department"]
    list_filter = ["role", "division__tier"]
    search_fields = ["user__username", "division__name", "division__code", "department__name"]
    autocomplete_fields = ["user", "division", "department"]
    list_select_related = ["user", "division", "department"]

    # An office member adds and removes the members of the departments under their offices
    # (部门承办人); offices and leaders are appointed through the API or by a superuser.
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not request.user.is_superuser:
            role = form.base_fields["role"]
            role.choices = [(Membership.Role.DEPARTMENT, Membership.Role.DEPARTMENT.label)]
            role.initial = Membership.Role.DEPARTMENT
            form.base_fields["division"].required = False
            form.base_fields["department"].required = True
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department" and not request.user.is_superuser:
            kwargs["queryset"] = Department.objects.filter(
                jurisdiction(request.user).office_q("division__code")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return obj.role == Membership.Role.DEPARTMENT and super().has_delete_permission(
                request, obj
            )
        return super().has_delete_permission(request, obj)
