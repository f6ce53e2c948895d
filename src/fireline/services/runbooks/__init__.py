"""Runbook use cases: link the runbook (at its commit) to an incident, start runs (dry or
real, by hand or automatically when a matching incident opens), run due steps in the engine
under guards, and approve or confirm steps that wait for a person.
"""
