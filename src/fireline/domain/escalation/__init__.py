"""Escalation: policies (who is paged, in which order, how often) and the pure planner that,
given a policy snapshot and `now`, decides which step is due and whom it pages.

May import only the standard library and other `fireline.domain` modules.
"""
