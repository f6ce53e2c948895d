"""PagerDuty Events API v2: the `/v2/enqueue` intake and its PagerDuty-shaped reply bodies.

May import `fireline.domain` and `fireline.integrations` helpers only.
"""
