"""A config with on-call sections, for tests: channels pointing at fakes, users, a schedule."""

from __future__ import annotations

INTAKE_KEY = "oncall-test-intake-key"
PD_ROUTING_KEY = "0123456789abcdef0123456789abcdef"
WEBHOOK_SECRET = "whsec-test-secret-0123456789"
SECOND_STEP = '      - {targets: ["schedule:platform"], delay: 10m}'


def oncall_config(
    *,
    pagerduty_url: str = "http://127.0.0.1:9/v2/enqueue",
    webhook_url: str = "http://127.0.0.1:9/hook",
    first_delay: str = "5m",
    fallback: str | None = None,
    escalate: bool = True,
    extra: str = "",
) -> str:
    """Return a config whose job-queue service pages PagerDuty, then whoever is on call."""
    return f"""\
services:
  - {{name: job-queue, team: platform, tier: 1, regions: [eu-west-1], escalation_policy: queue}}
  - {{name: monitoring, team: sre, tier: 2}}
integrations:
  - {{name: prometheus, kind: alertmanager, key: {INTAKE_KEY}}}
routing:
  catch_all_service: monitoring
  rules:
    - {{name: queue, match: ['alertname=~"Queue.*"'], service: job-queue}}
channels:
  - {{name: pd-platform, kind: pagerduty, routing_key: {PD_ROUTING_KEY}, url: "{pagerduty_url}"}}
  - {{name: ops-hook, kind: webhook, url: "{webhook_url}", secret: {WEBHOOK_SECRET}}}
users:
  - name: alice
    full_name: Alice Example
    email: alice@example.com
    contact_methods:
      - {{name: hook, kind: webhook, address: "{webhook_url}"}}
  - name: bob
    full_name: Bob Example
    email: bob@example.com
    contact_methods:
      - {{name: hook, kind: webhook, address: "{webhook_url}"}}
schedules:
  - name: platform
    time_zone: Europe/Berlin
    layers:
      - name: weekly
        users: [alice, bob]
        rotation: 1w
        handoff: "09:00"
        start: 2026-01-05T09:00:00+01:00
escalation_policies:
  - name: queue
    steps:
      - {{targets: ["channel:pd-platform"], delay: {first_delay}}}
{SECOND_STEP if escalate else ""}
paging:
  providers: {{webhook: ops-hook}}
  incident_url: "https://fireline.example/incidents/{{ref}}"
{f"  fallback_channel: {fallback}" if fallback else ""}
{extra}"""
