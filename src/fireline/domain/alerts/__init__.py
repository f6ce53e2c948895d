"""Alerts: the normalised form every intake produces, fingerprints and dedup keys."""
