"""Policy packs: the versioned limits of one variant (plan lengths, affordability share, SLA, evidence rules,
waiver limit) as data, with a strict reader so that a bad pack is refused before it decides anything.

A pack is immutable: an administrator's change is a new version, and every application records the version it
was decided under, so changing a pack never changes a decided application.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation

from portal.domain.classification import TIERS, ObservationRules
from portal.domain.hardship import VARIANTS

# The relief options a pack may offer (portal.domain.options quotes each), in the order they are shown.
OPTION_KINDS = ("installment_plan", "extension", "seasonal", "grace")
# The ceiling for individual installment agreements, whatever a policy pack says.
PLAN_CEILING_MONTHS = 60

# DESIGN.md: overdue interest and charges go on the first installment "or are spread over up to 6".
SPREAD_CEILING = 6
# DESIGN.md: disaster grace is "interest only for up to 6 months".
GRACE_CEILING_MONTHS = 6
# DESIGN.md: a seasonal plan has "1 to 4 income months".
SEASONAL_CEILING = 4
# An upfront payment is due at most this many days after the offer is accepted, whatever a pack says.
UPFRONT_DUE_CEILING_DAYS = 30

# The 2023 rules on financial asset risk classification (restructured assets): the observation period lasts at
# least two consecutive payment periods and at least one year; the loan is at least special mention during it,
# and at least substandard after a missed payment or a further restructuring in it. A pack may be stricter.
OBSERVATION_MIN_PERIODS = 2
OBSERVATION_MIN_MONTHS = 12
OBSERVATION_FLOOR = "special_mention"
OBSERVATION_BREACH_FLOOR = "substandard"
# Fields added after version 1 of the packs: a version 1 pack, written before they existed, reads with these
# values (the rules' own; version 1 put the upfront payment "today", 7 days is what version 2 says), so
# applications made under it can still be quoted; any later pack must name them.
_LATER_FIELDS = {
    "observation_min_periods": OBSERVATION_MIN_PERIODS,
    "observation_min_months": OBSERVATION_MIN_MONTHS,
    "observation_floor": OBSERVATION_FLOOR,
    "observation_breach_floor": OBSERVATION_BREACH_FLOOR,
    "keep_paying_while_deciding": True,
    "upfront_due_days": 7,
}
# Fields added in version 3 of the packs: a senior reviewer's waiver authority and how long a claim on a case
# lasts without action. Packs 1 and 2 read with these values; a pack from version 3 on must name them.
_VERSION_3_FIELDS = {
    "senior_waiver_limit": "5000.00",
    "claim_lapse_working_hours": 8,
}
_TEXT_FIELDS = frozenset({"variant", "options", "observation_floor", "observation_breach_floor"})

_DECIMAL_FIELDS = frozenset(
    {"affordability_share", "min_arrears", "reviewer_waiver_limit", "senior_waiver_limit"}
)
# A claim lasts at most a working week (5 days of 8 working hours) without action.
CLAIM_LAPSE_CEILING_HOURS = 40
_BOOL_FIELDS = frozenset({"evidence_required", "keep_paying_while_deciding"})


class PolicyError(ValueError):
    """A policy pack that cannot be used; the message names the field and the rule it breaks."""


@dataclass(frozen=True)
class Policy:
    """One version of a variant's policy pack. Constructing it validates it (``PolicyError``)."""

    variant: str  # "rural" | "urban"
    version: int
    options: tuple[str, ...]  # offered kinds, a subset of OPTION_KINDS, in the order shown
    plan_months_min: int  # installment plan N: urban 3, rural 3
    plan_months_max: int  # urban 24, rural 36; never over 60
    affordability_share: Decimal  # a payment fits when it is at most this share of disposable income
    sla_days: int
    max_restructurings: int
    min_arrears: Decimal  # below it, no installment plan for the arrears
    extension_charges_spread_max: int
    grace_max_months: int
    seasonal_max_income_months: int
    evidence_required: bool
    evidence_max_files: int
    evidence_max_bytes: int
    evidence_retention_days: int
    offer_valid_days: int
    appeal_days: int
    reviewer_waiver_limit: Decimal  # waivers above it need a senior reviewer
    # A restructured loan's observation period (classification); defaults are the 2023 rules' minimums.
    observation_min_periods: int = OBSERVATION_MIN_PERIODS  # consecutive payment periods, at least 2
    observation_min_months: int = OBSERVATION_MIN_MONTHS  # and at least 12 months
    observation_floor: str = OBSERVATION_FLOOR  # at least special mention during the period
    observation_breach_floor: str = (
        OBSERVATION_BREACH_FLOOR  # after a missed payment or a second restructuring
    )
    # While an application is decided, installments still fall due and penalty still grows on what is unpaid:
    # whether the borrower is asked to keep paying the schedule in force meanwhile (told on every page that
    # says what to do now). Added after version 1 of the packs (see _LATER_FIELDS).
    keep_paying_while_deciding: bool = True
    # An installment plan's upfront payment is due this many days after the offer is accepted (or on the
    # plan's first pay day if that is sooner). Version 2 on.
    upfront_due_days: int = 7
    # Waivers a senior reviewer may grant alone; above it a second senior approves (four eyes). Version 3 on.
    senior_waiver_limit: Decimal = Decimal("5000.00")
    # A reviewer's claim on a case lapses after this many working hours without a decision (the case counts as
    # back in the queue). Version 3 on.
    claim_lapse_working_hours: int = 8

    def __post_init__(self) -> None:
        """Check every field's type and range; raise PolicyError naming the first field that is wrong."""
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name in _DECIMAL_FIELDS:
                if not isinstance(value, Decimal) or not value.is_finite():
                    raise PolicyError(f"{spec.name} must be a finite Decimal, got {value!r}")
            elif spec.name in _BOOL_FIELDS:
                if not isinstance(value, bool):
                    raise PolicyError(f"{spec.name} must be true or false, got {value!r}")
            elif spec.name not in _TEXT_FIELDS:
                # bool is an int subclass; True as a month count is a typo, not a number.
                if isinstance(value, bool) or not isinstance(value, int):
                    raise PolicyError(f"{spec.name} must be an integer, got {value!r}")
        if self.variant not in VARIANTS:
            raise PolicyError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")
        if not isinstance(self.options, tuple) or not all(isinstance(kind, str) for kind in self.options):
            raise PolicyError("options must be a tuple of option kinds")
        unknown = [kind for kind in self.options if kind not in OPTION_KINDS]
        if unknown:
            raise PolicyError(
                f"options holds unknown kinds {', '.join(unknown)}; "
                f"expected some of {', '.join(OPTION_KINDS)}"
            )
        if len(set(self.options)) != len(self.options):
            raise PolicyError("options lists a kind twice")
        self._check_range("version", 1)
        self._check_range("plan_months_min", 1, PLAN_CEILING_MONTHS)
        self._check_range("plan_months_max", self.plan_months_min, PLAN_CEILING_MONTHS)
        if not Decimal(0) < self.affordability_share <= 1:
            raise PolicyError(
                f"affordability_share must be above 0 and at most 1, got {self.affordability_share}"
            )
        self._check_range("sla_days", 1)
        self._check_range("max_restructurings", 0)
        self._check_money("min_arrears")
        self._check_range("extension_charges_spread_max", 1, SPREAD_CEILING)
        self._check_range("grace_max_months", 1, GRACE_CEILING_MONTHS)
        self._check_range("seasonal_max_income_months", 1, SEASONAL_CEILING)
        self._check_range("evidence_max_files", 1)
        self._check_range("evidence_max_bytes", 1)
        self._check_range("evidence_retention_days", 1)
        self._check_range("offer_valid_days", 1)
        self._check_range("appeal_days", 1)
        self._check_money("reviewer_waiver_limit")
        self._check_range("observation_min_periods", OBSERVATION_MIN_PERIODS, 120)
        self._check_range("observation_min_months", OBSERVATION_MIN_MONTHS, 120)
        self._check_tier("observation_floor", OBSERVATION_FLOOR)
        self._check_tier(
            "observation_breach_floor", max(OBSERVATION_BREACH_FLOOR, self.observation_floor, key=_rank)
        )
        self._check_range("upfront_due_days", 1, UPFRONT_DUE_CEILING_DAYS)
        self._check_money("senior_waiver_limit")
        if self.senior_waiver_limit < self.reviewer_waiver_limit:
            raise PolicyError("senior_waiver_limit must be at least reviewer_waiver_limit")
        self._check_range("claim_lapse_working_hours", 1, CLAIM_LAPSE_CEILING_HOURS)

    def waiver_limit(self, role: str) -> Decimal:
        """What a member of staff in `role` may waive alone on one application."""
        return self.senior_waiver_limit if role == "senior_reviewer" else self.reviewer_waiver_limit

    def _check_tier(self, name: str, lowest: str) -> None:
        """Raise PolicyError unless ``name`` is a tier at least as bad as ``lowest`` (a pack may only be stricter)."""
        value = getattr(self, name)
        if value not in TIERS or _rank(value) < _rank(lowest):
            allowed = ", ".join(TIERS[_rank(lowest) :])
            raise PolicyError(f"{name} must be one of {allowed}, got {value!r}")

    def observation_rules(self) -> ObservationRules:
        """The observation period of a restructured loan under this pack."""
        return ObservationRules(
            min_periods=self.observation_min_periods,
            min_months=self.observation_min_months,
            floor=self.observation_floor,
            breach_floor=self.observation_breach_floor,
        )

    def _check_range(self, name: str, low: int, high: int | None = None) -> None:
        """Raise PolicyError unless the integer field ``name`` lies in [low, high]."""
        value = getattr(self, name)
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise PolicyError(f"{name} must be {bound}, got {value}")

    def _check_money(self, name: str) -> None:
        """Raise PolicyError unless the amount ``name`` is non-negative and in whole fen."""
        value = getattr(self, name)
        if value < 0 or value != value.quantize(Decimal("0.01")):
            raise PolicyError(
                f"{name} must be a non-negative amount with at most 2 decimal places, got {value}"
            )

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        """Read a pack from plain data (JSON, a form, the database): Decimals as strings, options as a list.

        Every field is required and no other key is allowed, so a misspelt limit cannot silently fall back to
        a default. Raises PolicyError (a ValueError) with a message naming the field.
        """
        if not isinstance(data, dict):
            raise PolicyError("a policy pack must be a mapping of field names to values")
        names = [spec.name for spec in fields(cls)]
        missing = [
            name
            for name in names
            if name not in data
            and not (name in _LATER_FIELDS and _written_before_them(data.get("version")))
            and not (name in _VERSION_3_FIELDS and _written_before_them(data.get("version"), 3))
        ]
        if missing:
            raise PolicyError(f"policy pack is missing {', '.join(missing)}")
        extra = sorted(str(key) for key in data if key not in names)
        if extra:
            raise PolicyError(f"policy pack has unknown fields {', '.join(extra)}")
        later = {**_LATER_FIELDS, **_VERSION_3_FIELDS}
        values = {**{name: value for name, value in later.items() if name not in data}, **data}
        for name in _DECIMAL_FIELDS:
            values[name] = _decimal(name, values[name])
        options = data["options"]
        if isinstance(options, str) or not isinstance(options, list | tuple):
            raise PolicyError("options must be a list of option kinds")
        values["options"] = tuple(options)
        return cls(**values)

    def to_dict(self) -> dict:
        """Return the pack as plain JSON-ready data that ``from_dict`` reads back to an equal Policy."""
        data = asdict(self)
        data["options"] = list(self.options)
        for name in _DECIMAL_FIELDS:
            data[name] = str(getattr(self, name))
        return data


def _written_before_them(version: object, since: int = 2) -> bool:
    """True for a pack numbered below `since`, written before the fields added then (a bad number is refused
    later)."""
    return not (isinstance(version, int) and not isinstance(version, bool) and version >= since)


def _rank(tier: object) -> int:
    return TIERS.index(tier) if tier in TIERS else -1


def _decimal(name: str, value: object) -> Decimal:
    """Read a Decimal field given as a string, int or Decimal; refuse a float: it may have lost digits."""
    if isinstance(value, bool) or isinstance(value, float):
        raise PolicyError(f'{name} must be given as a string such as "0.5", not {value!r}')
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise PolicyError(f"{name} is not a number: {value!r}") from None
    raise PolicyError(f"{name} must be a number given as a string, got {value!r}")
