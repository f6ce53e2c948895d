"""Tests for fireline.integrations.generic."""
