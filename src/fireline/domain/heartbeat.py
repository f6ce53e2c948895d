"""Heartbeats: which alerts feed one, and when one is overdue."""

from __future__ import annotations

from datetime import datetime

from fireline.domain.configuration import Configuration, Heartbeat
from fireline.domain.labels import Labels, matches_all


def heartbeat_for(config: Configuration, labels: Labels) -> Heartbeat | None:
    """Return the heartbeat an alert with `labels` feeds (one with matchers that all match)."""
    return next(
        (h for h in config.heartbeats if h.matchers and matches_all(h.matchers, labels)), None
    )


def is_overdue(heartbeat: Heartbeat, *, last_seen_at: datetime, now: datetime) -> bool:
    """Tell whether nothing has arrived for longer than the heartbeat's interval."""
    return now - last_seen_at > heartbeat.interval


def group_key(heartbeat: Heartbeat) -> str:
    """Return the group key of the incident a missed heartbeat opens."""
    return f"heartbeat/{heartbeat.name}"
