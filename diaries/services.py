"""Writing diary entries; the issues they raise go through the issues services."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.phones import normalize_phone
from dispatch.models import Enterprise, Grid, Posting
from evidence.services import add_evidence
from fieldwork.models import Household
from issues import services as issue_services
from issues.models import Category

from .models import DiaryEntry, ServedDuty

# One visit raises a handful of issues; a longer list is a mistake or an attack, and is
# refused whole rather than checked item by item.
MAX_ISSUES_PER_ENTRY = 100


def _id(value) -> int | None:
    """The id of a row or of an id as sent (None for what is no id)."""
    if hasattr(value, "pk"):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def too_many_issues_message() -> str:
    return _("A diary entry records at most %(max)d issues.") % {"max": MAX_ISSUES_PER_ENTRY}


def kind_error(posting: Posting, kind: str) -> str | None:
    """An enterprise diary (企情日记) is written on an enterprise posting, a people's diary
    (民情日记) on every other posting: the kind says whose problems these are."""
    enterprise_posting = posting.kind == Posting.Kind.ENTERPRISE
    if kind == DiaryEntry.Kind.ENTERPRISE and not enterprise_posting:
        return _("An enterprise diary is written on an enterprise posting.")
    if kind == DiaryEntry.Kind.PEOPLE and enterprise_posting:
        return _("An enterprise posting writes enterprise diaries.")
    return None


def check_issues(issues: list[dict], categories: dict[str, Category]) -> list[dict]:
    """The errors of each issue of an entry, aligned with `issues` ({} for a good one).

    Django's ValidationError flattens a list of dicts to its messages, so forms and the API
    call this to show each error beside its own issue.
    """
    errors: list[dict] = []
    for spec in issues:
        e = {}
        category = spec.get("category")
        if not isinstance(category, Category) and category not in categories:
            e["category"] = [_("Unknown category.")]
        if not (spec.get("title") or "").strip():
            e["title"] = [_("A title is required.")]
        if spec.get("resolved_on_spot") and not (spec.get("resolution") or "").strip():
            e["resolution"] = [_("Say how it was resolved on the spot.")]
        try:
            normalize_phone(spec.get("reporter_phone") or "")
        except ValidationError as exc:
            e["reporter_phone"] = exc.messages
        errors.append(e)
    return errors


def log_diary_entry(
    *,
    actor,
    posting: Posting,
    kind: str,
    visited_on: date,
    households_visited: int,
    summary: str,
    issues: list[dict] | None = None,
    duties: list[str] | None = None,
    households: list | None = None,
    enterprises: list | None = None,
    mediation: str = "",
    now: datetime | None = None,
) -> DiaryEntry:
    """Log a visit and raise its issues, all or nothing.

    Only the posting's own cadre writes it, during the posting's term. Each issue dict has
    title, description, category (code or Category), grid (an id of a grid of the posting's
    village, optional), reporter_name, reporter_phone, resolved_on_spot and resolution, and
    optionally same_as (an open issue's id: the report is added to it instead of raising
    another); issues take the posting's division and enterprise. One
    invalid issue rejects the whole entry: ValidationError with the errors of each issue
    under `issues` as a list aligned with the input.

    `duties` are duties of the posting's checklist the visit served; `households` (ids of the
    register, of the posting's village) and `enterprises` (ids, of the posting's village)
    whom it visited: the count `households_visited` is raised to at least how many are named.
    `mediation` is a dispute's outcome (DiaryEntry.Mediation), when one was mediated.

    One function, not several: every check runs before the one transaction, so that a bad
    entry writes nothing and its errors come back together.
    """
    errors: dict[str, list] = {}
    if posting.cadre.user_id != actor.pk:
        errors["posting"] = [_("Only the posting's own cadre writes its diary.")]
    if kind not in DiaryEntry.Kind.values:
        errors["kind"] = [_("Choose people's or enterprise diary.")]
    elif kind_error(posting, kind):
        errors["kind"] = [kind_error(posting, kind)]
    now = now or timezone.now()
    today = timezone.localdate(now)
    if visited_on > today:
        errors["visited_on"] = [_("A visit cannot be in the future.")]
    elif visited_on < posting.started_on or (posting.ended_on and visited_on > posting.ended_on):
        errors["visited_on"] = [_("The visit falls outside the posting's term.")]
    if households_visited is None or households_visited < 0 or households_visited > 10000:
        errors["households_visited"] = [_("Enter a number between 0 and 10000.")]
    if not (summary or "").strip():
        errors["summary"] = [_("Say what you heard.")]
    duties = list(dict.fromkeys(d for d in (duties or []) if d))
    if any(d not in (posting.duties or []) for d in duties):
        errors["duties"] = [_("Tick duties of this posting's checklist.")]
    household_ids = {_id(h) for h in households or []}
    named = list(
        Household.objects.current()
        .filter(pk__in=[h for h in household_ids if h is not None])
        .filter(village_id=posting.division_id)
    )
    if len(named) != len(household_ids):
        errors["households"] = [
            _("Choose households of %(village)s.") % {"village": posting.division}
        ]
    enterprise_ids = {_id(e) for e in enterprises or []}
    firms = list(
        Enterprise.objects.filter(pk__in=[e for e in enterprise_ids if e is not None]).filter(
            division_id=posting.division_id
        )
    )
    if len(firms) != len(enterprise_ids):
        errors["enterprises"] = [
            _("Choose enterprises of %(village)s.") % {"village": posting.division}
        ]
    if mediation and mediation not in DiaryEntry.Mediation.values:
        errors["mediation"] = [_("Choose an outcome of the mediation.")]

    issues = issues or []
    categories = {c.code: c for c in Category.objects.all()}
    # An issue's grid, optional, is one of the posting's village (一网格一支部).
    grids = {g.pk: g for g in Grid.objects.filter(division_id=posting.division_id)}
    if len(issues) > MAX_ISSUES_PER_ENTRY:
        errors["issues"] = [too_many_issues_message()]
    else:
        issue_errors = check_issues(issues, categories)
        for spec, e in zip(issues, issue_errors, strict=True):
            if spec.get("grid") is not None and spec["grid"] not in grids:
                e["grid"] = [_("Choose a grid of %(village)s.") % {"village": posting.division}]
        if any(issue_errors):
            errors["issues"] = issue_errors
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        entry = DiaryEntry.objects.create(
            posting=posting,
            author=actor,
            kind=kind,
            visited_on=visited_on,
            # Whom it names, it visited: the count is at least that.
            households_visited=max(households_visited, len(named) + len(firms)),
            summary=summary.strip(),
            mediation=mediation or "",
            created_at=now,
        )
        if named:
            entry.households.set(named)
        if firms:
            entry.enterprises.set(firms)
        ServedDuty.objects.bulk_create([ServedDuty(entry=entry, duty=d) for d in duties])
        raised = []
        for i, spec in enumerate(issues):
            category = spec["category"]
            try:
                if spec.get("same_as"):
                    # The same problem as an open issue (一事一件): the reporter is added to
                    # it instead of a second issue being raised.
                    issue = issue_services.report_again(
                        actor=actor,
                        issue=spec["same_as"],
                        division=posting.division,
                        reporter_name=spec.get("reporter_name", ""),
                        reporter_phone=spec.get("reporter_phone", ""),
                        note=spec["title"],
                        raised_on=visited_on,
                        now=now,
                    )
                    raised.append(issue)
                    continue
                issue = issue_services.raise_issue(
                    actor=actor,
                    division=posting.division,
                    enterprise=posting.enterprise,
                    grid=grids.get(spec["grid"]) if spec.get("grid") is not None else None,
                    posting=posting,
                    category=category if isinstance(category, Category) else categories[category],
                    title=spec["title"],
                    description=spec.get("description", ""),
                    reporter_name=spec.get("reporter_name", ""),
                    reporter_phone=spec.get("reporter_phone", ""),
                    raised_on=visited_on,
                    latitude=spec.get("latitude"),
                    longitude=spec.get("longitude"),
                    now=now,
                )
                if spec.get("photos"):
                    add_evidence(
                        actor=actor, issue=issue, files=spec["photos"], diary_entry=entry, now=now
                    )
                if spec.get("resolved_on_spot"):
                    issue = issue_services.resolve_on_spot(
                        actor=actor, issue=issue, resolution=spec["resolution"], now=now
                    )
            except ValidationError as exc:
                aligned = [{} for _ in issues]
                aligned[i] = exc.message_dict
                raise ValidationError({"issues": aligned}) from exc
            except DomainError as exc:
                # The issue linked to is gone from sight, closed or merged meanwhile.
                aligned = [{} for _ in issues]
                aligned[i] = {"same_as": [exc.message]}
                raise ValidationError({"issues": aligned}) from exc
            raised.append(issue)
        entry.issues.set(raised)
    return entry
