"""Tests for fireline.integrations.slack."""
