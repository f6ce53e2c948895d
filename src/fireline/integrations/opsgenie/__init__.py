"""Opsgenie Alert API v2: the notifier that mirrors a Fireline incident onto one Opsgenie alert.

Atlassian ends Opsgenie support on 5 April 2027, so this package is an adapter to retire then.
May import `fireline.domain`, `fireline.integrations` helpers and httpx only.
"""
