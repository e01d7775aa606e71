"""The policy packs the portal ships (portal/policies/*.json), read as the domain reads any pack."""

from __future__ import annotations

import json
from pathlib import Path

from portal.domain.policy import Policy

PACKS = Path(__file__).resolve().parents[2] / "portal" / "policies"


def shipped_policy(variant: str, version: int = 1) -> Policy:
    """Version ``version`` of ``variant``'s pack as shipped (version 1: DESIGN.md's defaults)."""
    return Policy.from_dict(json.loads((PACKS / f"{variant}-{version}.json").read_text(encoding="utf-8")))
