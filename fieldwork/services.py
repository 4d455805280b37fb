"""Writes of field work: the household register, campaigns and 下沉 deployments."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import NotFound, NotPermitted
from dispatch.models import Cadre, Division, Grid, Posting, Tier
from dispatch.services import jurisdiction

from .models import Campaign, Deployment, Household

if TYPE_CHECKING:
    from dispatch.actors import Actor

# A deployment lists a handful of tasks and sends at most this many cadres at once.
MAX_TASKS = 30
MAX_DEPLOYED = 500


def _division(value: Division | str | None, field: str, errors: dict) -> Division | None:
    if isinstance(value, Division):
        return value
    division = Division.objects.filter(code=value or "").first()
    if division is None:
        errors[field] = [_("Unknown division.")]
    return division


def _household_fields(
    division: Division | None, label: str, grid_id: int | None, note: str, errors: dict
) -> str:
    """Check a household's label, grid and note into `errors`; returns the label stripped."""
    label = (label or "").strip()
    if not label:
        errors["label"] = [_("Give the household a label.")]
    elif len(label) > 60:
        errors["label"] = [_("At most 60 characters.")]
    elif label.isdigit() and len(label) >= 15:
        # The register holds no identity numbers (身份证号): a long run of digits is one.
        errors["label"] = [_("A label is not an identity number.")]
    if len(note or "") > 200:
        errors["note"] = [_("At most 200 characters.")]
    if division is not None and division.tier != Tier.VILLAGE:
        errors["village"] = [_("A household lies in a village or community.")]
    if (
        grid_id is not None
        and division is not None
        and not Grid.objects.filter(pk=grid_id, division=division).exists()
    ):
        errors["grid"] = [_("The grid lies in another division.")]
    return label


def _check_keeper(actor: Actor, division: Division) -> None:
    """A village's register is kept by the cadres posted there and the offices over it."""
    j = jurisdiction(actor)
    if not j.sees(division.code):
        raise NotFound(_("No such division in your jurisdiction."))
    if not (division.code in j.cadre_at or j.is_over(division.code)):
        raise NotPermitted(_("Only a cadre posted here or an office over it keeps its register."))


def _saved(write):
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        raise ValidationError(
            {"label": [_("This village already has a household so named.")]}
        ) from exc


def add_household(
    *, actor: Actor, village: Division | str, label: str, grid: Grid | int | None = None, note=""
) -> Household:
    """Add a household to a village's register: a cadre posted there or an office over it.
    The label is the cadre's own (a house number, a family name), unique in the village.
    Raises ValidationError (nothing written), NotFound or NotPermitted."""
    errors: dict[str, list[str]] = {}
    division = _division(village, "village", errors)
    grid_id = grid.pk if isinstance(grid, Grid) else grid
    label = _household_fields(division, label, grid_id, note, errors)
    if errors or division is None:
        raise ValidationError(errors)
    _check_keeper(actor, division)
    return _saved(
        lambda: Household.objects.create(
            village=division, label=label, grid_id=grid_id, note=note or ""
        )
    )


def change_household(
    *,
    actor: Actor,
    household: Household | int,
    label: str,
    grid: Grid | int | None = None,
    note: str = "",
    moved_away: bool = False,
    today: date | None = None,
) -> Household:
    """Correct a household of the register, or mark it moved away (搬离) from `today` (or back
    again): whoever keeps the village's register. A household moved away keeps its visits
    and is no longer named by a visit nor counted as unvisited. Raises as add_household."""
    pk = household.pk if isinstance(household, Household) else household
    found = Household.objects.select_related("village").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such household."))
    _check_keeper(actor, found.village)
    errors: dict[str, list[str]] = {}
    grid_id = grid.pk if isinstance(grid, Grid) else grid
    label = _household_fields(found.village, label, grid_id, note, errors)
    if errors:
        raise ValidationError(errors)
    found.label, found.grid_id, found.note = label, grid_id, note or ""
    if moved_away and found.left_on is None:
        found.left_on = today or timezone.localdate()
    elif not moved_away:
        found.left_on = None
    _saved(lambda: found.save(update_fields=["label", "grid", "note", "left_on"]))
    return found


def open_campaign(
    *,
    actor: Actor,
    name: str,
    kind: str,
    within: Division | str,
    started_on: date,
    ended_on: date,
    target_per_posting: int,
) -> Campaign:
    """Open a campaign of visits (大走访 / 大宣讲 / 大排解 or another) over a subtree: an office
    member at or above `within`. Diary entries in its period and subtree count towards it."""
    errors: dict[str, list[str]] = {}
    division = _division(within, "within", errors)
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Name the campaign.")]
    if kind not in Campaign.Kind.values:
        errors["kind"] = [_("Choose one of: %s.") % ", ".join(Campaign.Kind.values)]
    if started_on and ended_on and ended_on < started_on:
        errors["ended_on"] = [_("A period ends after it starts.")]
    if target_per_posting is None or not 0 < target_per_posting <= 1000:
        errors["target_per_posting"] = [_("Enter a number between 1 and 1000.")]
    if errors or division is None:
        raise ValidationError(errors)
    j = jurisdiction(actor)
    if not j.sees(division.code):
        raise NotFound(_("No such division in your jurisdiction."))
    if not j.is_over(division.code) or (division.tier == Tier.VILLAGE and not j.is_superuser):
        raise NotPermitted(_("Only an office over this division opens a campaign here."))
    return Campaign.objects.create(
        name=name[:100],
        kind=kind,
        within=division,
        started_on=started_on,
        ended_on=ended_on,
        target_per_posting=target_per_posting,
        created_by=actor,
    )


def deploy_cadres(
    *,
    actor: Actor,
    division: Division | str,
    cadres: list,
    started_on: date,
    ended_on: date,
    tasks: list[str] | None = None,
) -> Deployment:
    """Send cadres down (下沉) to a community for a period: each gets a temporary posting there
    from `started_on` to `ended_on` (its last day; from the next day, Asia/Shanghai, it is
    over by itself), its duties the task list. An office member over the community. All or
    nothing: an unknown cadre, a bad period or task rejects the whole list."""
    errors: dict[str, list[str]] = {}
    community = _division(division, "division", errors)
    if community is not None and community.tier != Tier.VILLAGE:
        errors["division"] = [_("Cadres are sent down to a village or community.")]
    if not started_on or not ended_on or ended_on < started_on:
        errors["ended_on"] = [_("A period ends after it starts.")]
    tasks = [str(t).strip() for t in tasks or [] if str(t).strip()]
    if len(tasks) > MAX_TASKS or any(len(t) > 200 for t in tasks):
        errors["tasks"] = [_("At most %(max)d tasks of 200 characters.") % {"max": MAX_TASKS}]
    ids = list(dict.fromkeys(c.pk if isinstance(c, Cadre) else c for c in cadres or []))
    if not ids:
        errors["cadres"] = [_("Choose the cadres to send.")]
    elif len(ids) > MAX_DEPLOYED:
        errors["cadres"] = [_("At most %(max)d cadres at once.") % {"max": MAX_DEPLOYED}]
    else:
        found = set(Cadre.objects.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [str(i) for i in ids if i not in found]
        if unknown:
            errors["cadres"] = [_("Unknown cadres: %s.") % ", ".join(unknown)]
    if errors or community is None:
        raise ValidationError(errors)
    j = jurisdiction(actor)
    if not j.sees(community.code):
        raise NotFound(_("No such division in your jurisdiction."))
    if not j.is_over(community.code):
        raise NotPermitted(_("Only an office over this community sends cadres down to it."))
    with transaction.atomic():
        deployment = Deployment.objects.create(
            division=community,
            started_on=started_on,
            ended_on=ended_on,
            tasks=tasks,
            created_by=actor,
        )
        postings = Posting.objects.bulk_create(
            [
                Posting(
                    cadre_id=cadre_id,
                    kind=Posting.Kind.COMMUNITY,
                    division=community,
                    started_on=started_on,
                    ended_on=ended_on,
                    duties=tasks,
                )
                for cadre_id in ids
            ]
        )
        if postings and postings[0].pk is None:
            postings = list(
                Posting.objects.filter(
                    cadre_id__in=ids, division=community, started_on=started_on, ended_on=ended_on
                )
            )
        deployment.postings.set(postings)
    return deployment
