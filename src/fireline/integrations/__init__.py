"""Integrations: one subpackage per outside system, converting its format to and from domain types.

Owns intake parsers (Alertmanager, Grafana, PagerDuty Events v2, Fireline's generic JSON) and,
later, notification channels. Parsers are pure: they validate a decoded body and return
`AlertIn` values or raise `Invalid`; they make no routing or severity decisions.

May import `fireline.domain` only (plus `httpx` for notifiers); never `store`, `services` or `web`.
"""
