"""The `fireline.yaml` of bench/intake.py's servers, and the keys and names the loads use."""

from __future__ import annotations

ALERTMANAGER_KEY = "bench-alertmanager-key-0001"
STORM_KEY = "bench-storm-key-0001"
GENERIC_KEY = "bench-generic-key-0001"
STORM_INTEGRATION = "storm"
MAIN_INTEGRATION = "prometheus"
NEW_SERVICE = "bench-new"
CONFIG_YAML = f"""\
# Written by bench/intake.py. Routing like examples/fireline.yaml: a few rules first, then
# the benchmark's own; storm alerts match none and go to the catch-all service.
services:
  - name: bench
    team: benchmarks
    tier: 2
    regions: [eu-west-1, us-east-1]
    description: Alerts of bench/intake.py.
  - name: {NEW_SERVICE}
    team: benchmarks
    tier: 2
    regions: [eu-west-1, us-east-1]
    description: Incidents opened by bench/intake.py's POST-to-incident sample.
  - name: bench-catch-all
    team: benchmarks
    tier: 3
    regions: [eu-west-1, us-east-1]
    description: Alerts no rule matches.
integrations:
  - name: {MAIN_INTEGRATION}
    kind: alertmanager
    key: {ALERTMANAGER_KEY}
  - name: {STORM_INTEGRATION}
    kind: alertmanager
    key: {STORM_KEY}
  - name: api
    kind: generic
    key: {GENERIC_KEY}
routing:
  catch_all_service: bench-catch-all
  on_resolved: resolve
  defaults:
    severity: >-
      {{% if labels.severity == 'critical' %}}{{{{ 'SEV2' if labels.region else 'SEV1' }}}}
      {{%- elif labels.severity == 'warning' %}}SEV3{{% else %}}SEV4{{% endif %}}
  rules:
    - name: queue-saturated
      match: ['alertname="QueueSaturated"']
      service: bench
      runbook: runbooks/queue-saturation.md
    - name: upload-failures
      match: ['alertname="UploadFailures"']
      service: bench
      runbook: runbooks/upload-failures.md
    - name: watchdog
      match: ['alertname="Watchdog"']
      service: bench-catch-all
    - name: new-incidents
      match: ['alertname=~"BenchNew.+"']
      service: {NEW_SERVICE}
      runbook: "https://runbooks.bench.internal/{{{{ labels.alertname | lower }}}}"
    - name: bench
      match: ['alertname=~"Bench.+"', 'team="benchmarks"']
      service: bench
      runbook: "https://runbooks.bench.internal/{{{{ labels.alertname | lower }}}}"
maintenance: []
heartbeats:
  - name: alertmanager-watchdog
    interval: 1h
    service: bench-catch-all
    match: ['alertname="Watchdog"']
"""
