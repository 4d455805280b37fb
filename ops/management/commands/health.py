"""`manage.py health [CHECK ...]`: the readiness checks of /readyz from the command line (all
by default), printed as JSON; exits 1 when one fails. Beat's container health check runs
`health database beat`."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from ops.health import CHECKS, run_checks


class Command(BaseCommand):
    help = "Run the readiness checks (database, migrations, broker, beat, worker)."

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", choices=list(CHECKS), metavar="CHECK")

    def handle(self, *args, checks, **options):
        result = run_checks(checks or None)
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if result["status"] != "ok":
            failed = [name for name, check in result["checks"].items() if not check["ok"]]
            raise CommandError(f"failing: {', '.join(failed)}")
