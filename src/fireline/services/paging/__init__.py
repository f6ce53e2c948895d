"""Paging use cases: start and move escalations, and deliver the outbox.

Escalation pages and acknowledgement mirrors are written to the outbox in the transaction of the
change that caused them; the engine delivers them (`deliver.py`) and records every outcome on
the incident's timeline.
"""
