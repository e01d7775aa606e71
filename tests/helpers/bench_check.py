"""Helpers for the benchmark's checks: a small data set made by the benchmark's own generator (tests/bench/bulk.py).

The demo people and the bench borrowers (one with two 360-month loans, a draft and an approved offer) go through
the services; the crowd of borrowers, loans and open applications is written in bulk, so the same pages can be
measured at two sizes in a few seconds.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from tests.helpers.common import BUSINESS_DATE

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bulk  # noqa: E402
import measure  # noqa: E402, F401 - re-exported to the tests
import run  # noqa: E402

TEMPLATES = 40


def people(database_url: str) -> tuple[dict, list]:
    """The demo and bench people through the services; returns the bulk generator's inputs."""
    info = bulk.demo_part(database_url, BUSINESS_DATE, fresh=False, extra=0)
    templates = bulk.build_templates(info, BUSINESS_DATE, TEMPLATES, random.Random(1))  # noqa: S311
    return info, templates


def add_crowd(database_url: str, info: dict, templates: list, borrowers: int, seed: int) -> dict:
    """`borrowers` more borrowers (1.2 loans each, an open application each) written in bulk."""
    return bulk.bulk_part(database_url, info, templates, BUSINESS_DATE, borrowers / bulk.BORROWERS, seed=seed)


def targets(database_url: str, info: dict) -> dict:
    """The URLs of the measured pages (queue page 500, or the last full page of a small queue)."""
    return run.find_targets(
        database_url,
        {"draft": info["draft"], "long_draft": info["long_draft"], "long_offer": info["long_offer"]},
    )
