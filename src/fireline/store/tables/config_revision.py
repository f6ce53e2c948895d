"""Applied revisions of the configuration file; the newest one is live."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import UTCDateTime


class ConfigRevisionRow(Base):
    """One applied configuration: its revision (Git commit or content hash) and its text."""

    __tablename__ = "config_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(1024))
    content: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_by: Mapped[str] = mapped_column(String(100))
