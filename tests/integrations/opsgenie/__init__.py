"""Tests for fireline.integrations.opsgenie."""
