"""Announcements other apps may listen to; issues imports none of its listeners."""

from django.dispatch import Signal

# Sent by issues.tasks.process_events once it has handled new timeline events, with
# `event_ids`. Outgoing webhooks (integrations) listen; receivers must be safe to call twice.
events_recorded = Signal()
