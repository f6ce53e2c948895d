"""Repositories: typed reads and writes over one session; they never commit."""
