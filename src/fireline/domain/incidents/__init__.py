"""Incidents: their state machine, severity, roles and the hash-chained timeline."""
