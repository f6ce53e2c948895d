"""Tests for fireline.integrations.pagerduty."""
