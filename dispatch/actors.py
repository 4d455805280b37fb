"""Who acts on the engine, for type annotations: a user, or None for the system itself (the
overdue sweep, the weekly meetings, an integration whose key the caller checked). The
services and rules take it as `actor` (or `user`) and decide from the user's jurisdiction."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import User

Actor: TypeAlias = User | None
