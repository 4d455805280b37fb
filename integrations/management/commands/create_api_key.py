"""create_api_key NAME [--within CODE]: an integration limited to a subtree; prints its key
once (only a hash is stored)."""

from django.core.management.base import BaseCommand, CommandError

from dispatch.models import Division
from integrations.models import Integration
from integrations.services import create_integration


class Command(BaseCommand):
    help = "Create an integration (Open311, webhooks) and print its API key once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--within", metavar="CODE", help="Limit it to this division's subtree.")

    def handle(self, *args, name, within=None, **options):
        division = None
        if within:
            division = Division.objects.filter(code=within).first()
            if division is None:
                raise CommandError(f"Unknown division code {within!r}.")
        if Integration.objects.filter(name=name).exists():
            raise CommandError(f"An integration named {name!r} exists already.")
        integration, key = create_integration(name=name, division=division)
        where = f"{division.code} {division.name}" if division else "everywhere"
        self.stderr.write(f"Integration {integration.name!r} ({where}); the key is shown once:")
        self.stdout.write(key)
