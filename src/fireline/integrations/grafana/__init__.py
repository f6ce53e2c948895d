"""Grafana unified-alerting webhook intake (payload version "1").

Reuses the Alertmanager alert-group reader and adds Grafana's extra fields (dashboard and panel
links, evaluated values). May import `fireline.domain` and `fireline.integrations` only.
"""
