"""Tests for fireline.integrations.email."""
