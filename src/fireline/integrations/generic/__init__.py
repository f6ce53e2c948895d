"""Fireline's own alert JSON (`POST /api/v1/alerts`): one alert or a batch, strictly validated.

May import `fireline.domain` and `fireline.integrations` helpers only.
"""
