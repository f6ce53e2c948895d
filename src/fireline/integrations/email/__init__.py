"""E-mail over SMTP (`EmailNotifier`): one multipart/alternative message per Fireline message.

May import `fireline.domain`, `fireline.integrations` helpers and the stdlib (smtplib, email,
ssl) only.
"""

from fireline.integrations.email.notify import EmailNotifier, build_email

__all__ = ["EmailNotifier", "build_email"]
