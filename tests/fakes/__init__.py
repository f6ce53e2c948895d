"""Fake external services: real loopback HTTP servers that validate what they receive."""
