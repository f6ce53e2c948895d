"""Prometheus Alertmanager webhook intake (payload version "4").

`alerts.py` reads the alert-group shape that Alertmanager and Grafana share; `intake.py` is the
Alertmanager entry point. May import `fireline.domain` and `fireline.integrations` helpers only.
"""
