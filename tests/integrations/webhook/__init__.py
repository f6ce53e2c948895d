"""Tests for fireline.integrations.webhook."""
