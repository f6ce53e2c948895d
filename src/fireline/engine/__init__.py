"""The engine: durable background work driven from the database, never from process memory.

Owns the periodic modules (heartbeats today; outbox delivery, escalations and SLO evaluation
join later). May import services, store, integrations and domain; never the web room.
"""
