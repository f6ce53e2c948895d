"""Slack: page a channel through an incoming webhook (`SlackNotifier`).

May import `fireline.domain`, `fireline.integrations` helpers and httpx only.
"""

from fireline.integrations.slack.notify import SlackNotifier, build_payload

__all__ = ["SlackNotifier", "build_payload"]
