"""Policy packs: the defaults, a lossless round trip through plain data, and the refusals of a bad pack."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from portal.domain.options import OPTION_KINDS
from portal.domain.policy import Policy, PolicyError
from tests.helpers.domain import shipped_policy

pytestmark = pytest.mark.domain

D = Decimal

RURAL_PACK = {
    "variant": "rural",
    "version": 1,
    "options": ["installment_plan", "extension", "seasonal", "grace"],
    "plan_months_min": 3,
    "plan_months_max": 36,
    "affordability_share": "0.5",
    "sla_days": 10,
    "max_restructurings": 2,
    "min_arrears": "100.00",
    "extension_charges_spread_max": 6,
    "grace_max_months": 6,
    "seasonal_max_income_months": 4,
    "evidence_required": False,
    "evidence_max_files": 5,
    "evidence_max_bytes": 10 * 1024 * 1024,
    "evidence_retention_days": 180,
    "offer_valid_days": 14,
    "appeal_days": 14,
    "reviewer_waiver_limit": "500.00",
}


def test_a_pack_reads_from_plain_data_with_decimals_as_strings():
    policy = Policy.from_dict(RURAL_PACK)
    assert policy.options == OPTION_KINDS
    assert (policy.affordability_share, policy.min_arrears, policy.reviewer_waiver_limit) == (
        D("0.5"),
        D("100.00"),
        D("500.00"),
    )
    assert policy == shipped_policy("rural")


@pytest.mark.parametrize("variant", ["rural", "urban"])
def test_to_dict_is_json_ready_and_reads_back_equal(variant):
    policy = shipped_policy(variant)
    data = json.loads(json.dumps(policy.to_dict()))
    assert Policy.from_dict(data) == policy


def test_the_default_packs_follow_the_design():
    rural, urban = shipped_policy("rural"), shipped_policy("urban")
    assert (rural.plan_months_min, rural.plan_months_max) == (3, 36)
    assert (urban.plan_months_min, urban.plan_months_max) == (3, 24)
    assert "seasonal" in rural.options and "seasonal" not in urban.options
    assert (rural.sla_days, rural.max_restructurings, rural.affordability_share) == (10, 2, D("0.5"))


@pytest.mark.parametrize("variant", ["rural", "urban"])
def test_borrowers_are_asked_to_keep_paying_while_an_application_is_decided(variant):
    # Installments keep falling due and penalty keeps growing while staff decide: the shipped packs say so.
    assert shipped_policy(variant).keep_paying_while_deciding is True


def test_a_version_1_pack_reads_without_the_fields_added_later_but_a_later_pack_must_name_them():
    assert Policy.from_dict(RURAL_PACK).keep_paying_while_deciding is True
    assert (
        Policy.from_dict({**RURAL_PACK, "keep_paying_while_deciding": False}).keep_paying_while_deciding
        is False
    )
    with pytest.raises(PolicyError, match="missing .*keep_paying_while_deciding"):
        Policy.from_dict({**RURAL_PACK, "version": 2})


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"plan_months_max": 61}, "plan_months_max"),  # never over 60 months
        ({"plan_months_min": 0}, "plan_months_min"),
        ({"plan_months_min": 12, "plan_months_max": 6}, "plan_months_max"),
        ({"variant": "suburban"}, "variant"),
        ({"version": 0}, "version"),
        ({"options": ["installment_plan", "holiday"]}, "options"),
        ({"options": ["extension", "extension"]}, "options"),
        ({"options": "extension"}, "options"),
        ({"affordability_share": "0"}, "affordability_share"),
        ({"affordability_share": "1.5"}, "affordability_share"),
        ({"affordability_share": 0.5}, "affordability_share"),  # a float may have lost digits
        ({"affordability_share": "half"}, "affordability_share"),
        ({"affordability_share": "NaN"}, "affordability_share"),
        ({"min_arrears": "-1"}, "min_arrears"),
        ({"min_arrears": "100.001"}, "min_arrears"),
        ({"reviewer_waiver_limit": None}, "reviewer_waiver_limit"),
        ({"sla_days": 0}, "sla_days"),
        ({"sla_days": "10"}, "sla_days"),
        ({"sla_days": True}, "sla_days"),
        ({"max_restructurings": -1}, "max_restructurings"),
        ({"extension_charges_spread_max": 7}, "extension_charges_spread_max"),
        ({"grace_max_months": 7}, "grace_max_months"),
        ({"seasonal_max_income_months": 5}, "seasonal_max_income_months"),
        ({"evidence_required": "no"}, "evidence_required"),
        ({"keep_paying_while_deciding": "yes"}, "keep_paying_while_deciding"),
        ({"keep_paying_while_deciding": 1}, "keep_paying_while_deciding"),
        ({"evidence_max_files": 0}, "evidence_max_files"),
        ({"evidence_max_bytes": 0}, "evidence_max_bytes"),
        ({"appeal_days": 0}, "appeal_days"),
        ({"offer_valid_days": 0}, "offer_valid_days"),
        ({"evidence_retention_days": 0}, "evidence_retention_days"),
    ],
)
def test_a_bad_pack_is_refused_with_the_field_named(changes, field):
    with pytest.raises(PolicyError, match=field):
        Policy.from_dict({**RURAL_PACK, **changes})


def test_policy_error_is_a_value_error():
    assert issubclass(PolicyError, ValueError)


def test_every_field_is_required_and_no_other_is_allowed():
    incomplete = dict(RURAL_PACK)
    del incomplete["sla_days"]
    with pytest.raises(PolicyError, match="missing sla_days"):
        Policy.from_dict(incomplete)
    with pytest.raises(PolicyError, match="unknown fields sla"):
        Policy.from_dict({**RURAL_PACK, "sla": 10})
    with pytest.raises(PolicyError):
        Policy.from_dict(["not", "a", "mapping"])


def test_constructing_a_policy_directly_validates_it_too():
    with pytest.raises(PolicyError, match="plan_months_max"):
        replace(shipped_policy("urban"), plan_months_max=61)
    assert replace(shipped_policy("urban"), plan_months_max=60).plan_months_max == 60


OBSERVATION = {
    "observation_min_periods": 2,
    "observation_min_months": 12,
    "observation_floor": "special_mention",
    "observation_breach_floor": "substandard",
    "keep_paying_while_deciding": True,
    "upfront_due_days": 7,
}


def test_a_version_one_pack_reads_with_the_2023_rules_observation_period():
    rules = Policy.from_dict(RURAL_PACK).observation_rules()
    assert (rules.min_periods, rules.min_months, rules.floor, rules.breach_floor) == (
        2,
        12,
        "special_mention",
        "substandard",
    )


def test_a_later_pack_must_name_its_observation_period():
    with pytest.raises(PolicyError, match="missing observation_min_periods"):  # and the other later fields
        Policy.from_dict({**RURAL_PACK, "version": 2})
    assert Policy.from_dict({**RURAL_PACK, "version": 2, **OBSERVATION}).observation_min_months == 12


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"observation_min_periods": 1}, "observation_min_periods"),  # at least two payment periods
        ({"observation_min_months": 11}, "observation_min_months"),  # at least one year
        ({"observation_floor": "normal"}, "observation_floor"),  # at least special mention
        ({"observation_breach_floor": "special_mention"}, "observation_breach_floor"),  # at least substandard
        ({"observation_floor": "bad"}, "observation_floor"),
        (
            {"observation_floor": "doubtful", "observation_breach_floor": "substandard"},
            "observation_breach_floor",
        ),
    ],
)
def test_a_pack_may_make_the_observation_period_stricter_never_looser(changes, field):
    with pytest.raises(PolicyError, match=field):
        Policy.from_dict({**RURAL_PACK, "version": 2, **OBSERVATION, **changes})
    stricter = {
        "observation_min_periods": 3,
        "observation_min_months": 18,
        "observation_breach_floor": "doubtful",
    }
    assert (
        Policy.from_dict({**RURAL_PACK, "version": 2, **OBSERVATION, **stricter}).observation_min_months == 18
    )


def test_the_upfront_due_days_came_in_version_2_and_older_packs_read_with_7():
    # A version 1 pack never said it, and applications made under it must still be quoted.
    assert Policy.from_dict(RURAL_PACK).upfront_due_days == 7
    # From version 2 on it is required like any other field, and kept within 1 to 30 days.
    with pytest.raises(PolicyError, match="upfront_due_days"):
        Policy.from_dict({**RURAL_PACK, "version": 2})
    assert (
        Policy.from_dict({**RURAL_PACK, "version": 2, **OBSERVATION, "upfront_due_days": 10}).upfront_due_days
        == 10
    )
    for days in (0, 31):
        with pytest.raises(PolicyError, match="upfront_due_days"):
            Policy.from_dict({**RURAL_PACK, "version": 2, **OBSERVATION, "upfront_due_days": days})


def test_the_repository_packs_of_version_2_set_the_upfront_due_days():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "portal" / "policies"
    for variant in ("rural", "urban"):
        data = json.loads((folder / f"{variant}-2.json").read_text(encoding="utf-8"))
        assert Policy.from_dict(data).upfront_due_days == data["upfront_due_days"] == 7
