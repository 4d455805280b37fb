"""Writing diary entries; the issues they raise go through the issues services."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.phones import normalize_phone
from dispatch.models import Grid, Posting
from evidence.services import add_evidence
from issues import services as issue_services
from issues.models import Category

from .models import DiaryEntry

# One visit raises a handful of issues; a longer list is a mistake or an attack, and is
# refused whole rather than checked item by item.
MAX_ISSUES_PER_ENTRY = 100


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
    now: datetime | None = None,
) -> DiaryEntry:
    """Log a visit and raise its issues, all or nothing.

    Only the posting's own cadre writes it, during the posting's term. Each issue dict has
    title, description, category (code or Category), grid (an id of a grid of the posting's
    village, optional), reporter_name, reporter_phone, resolved_on_spot and resolution; issues take the posting's division and enterprise. One
    invalid issue rejects the whole entry: ValidationError with the errors of each issue
    under `issues` as a list aligned with the input.

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
            households_visited=households_visited,
            summary=summary.strip(),
            created_at=now,
        )
        raised = []
        for i, spec in enumerate(issues):
            category = spec["category"]
            try:
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
            raised.append(issue)
        entry.issues.set(raised)
    return entry
