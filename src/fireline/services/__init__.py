"""Use cases shared by the web, the CLI and the engine.

Each opens one transaction, asks the domain for a decision, and writes the result together
with its timeline events. May import domain, store, integrations and runbooks.
"""
