"""Tests for fireline.integrations."""
