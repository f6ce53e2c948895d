"""The document platform's admin API, called by runbook steps (`http` actions)."""
