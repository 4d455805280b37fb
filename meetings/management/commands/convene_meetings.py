from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from common.weeks import parse_week
from meetings.services import convene_meetings


class Command(BaseCommand):
    help = "Convene each town's weekly analysis meeting; running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="ISO week as 2026-W48 (default: this week, Shanghai)")

    def handle(self, *args, week=None, **options):
        if week:
            try:
                parse_week(week)
            except ValidationError:
                raise CommandError(
                    f"--week must be an ISO week such as 2026-W48, not {week!r}"
                ) from None
        result = convene_meetings(week=week)
        for code in result["convened"]:
            self.stdout.write(f"{result['week']} {code}: convened")
        for code in result["existing"]:
            self.stdout.write(f"{result['week']} {code}: already convened")
        self.stdout.write(
            f"{result['week']}: {len(result['convened'])} convened, "
            f"{len(result['existing'])} already there"
        )
