"""Tests for fireline.integrations.alertmanager."""
