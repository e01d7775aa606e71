"""A policy pack as stored: one version of a variant's policy, loaded from its JSON file."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class PolicyPack(Base):
    """One version of a variant's policy (limits, SLA, affordability share...). Never edited once loaded."""

    __tablename__ = "policy_packs"
    __table_args__ = (UniqueConstraint("variant", "version", name="uq_policy_packs_variant_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    variant: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
