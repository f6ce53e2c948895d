"""The Prometheus HTTP API, as runbook steps query it."""
