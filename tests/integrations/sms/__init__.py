"""Tests for fireline.integrations.sms."""
