"""Announcements other apps may listen to; issues imports none of its listeners."""

from django.dispatch import Signal

# Sent by issues.tasks.announce_events after new timeline events are committed, with
# `event_ids`, independently of the mail they cause. Outgoing webhooks (integrations)
# listen; receivers must be safe to call twice.
events_recorded = Signal()
