from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from issues.sweep import escalate_overdue


class Command(BaseCommand):
    help = "Run the sweep once: escalate every overdue unresolved issue one tier."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="ISO 8601 moment to sweep as of (default: now)")

    def handle(self, *args, as_of=None, **options):
        when = timezone.now()
        if as_of:
            when = parse_datetime(as_of)
            if when is None:
                raise CommandError(f"--as-of must be an ISO 8601 datetime, not {as_of!r}")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        moved = escalate_overdue(as_of=when)
        for tier in ("village", "town", "county"):
            self.stdout.write(f"{tier}: {moved[tier]} escalated")
        self.stdout.write(f"city: {moved['city']} put under supervision")
