"""Routing: which service an alert belongs to, and its severity, group key, title and runbook."""
