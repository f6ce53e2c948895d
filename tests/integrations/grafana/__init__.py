"""Tests for fireline.integrations.grafana."""
