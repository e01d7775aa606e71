"""Translated names for the domain's codes, shared by forms and templates of every blueprint."""

from __future__ import annotations

from portal.i18n import lazy_gettext as _l
from portal.i18n import lazy_vgettext

REASONS = {
    "income_reduced": _l("My income went down"),
    "lost_job": _l("I lost my job"),
    "illness": _l("Illness or injury"),
    "family_illness_or_death": _l("Illness or death in the family"),
    "divorce": _l("Divorce or separation"),
    "natural_disaster": _l("Natural disaster (flood, drought, storm, earthquake)"),
    "business_downturn": _l("My business is doing badly"),
    "crop_failure": _l("Crop failure"),
    "livestock_disease": _l("Livestock disease"),
    "farm_price_drop": _l("Farm prices fell"),
    "salary_late": _l("My salary is paid late"),
    "other": _l("Something else"),
}

DURATIONS = {
    "under_6_months": _l("Less than 6 months"),
    "longer": _l("More than 6 months"),
    "permanent": _l("It will not get better"),
}

INCOME = {
    "wages": _l("Wages or salary"),
    "business": _l("Business income"),
    "farming": _l("Farming and livestock income"),
    "pension_benefits": _l("Pension and benefits"),
    "family_support": _l("Help from family"),
    "other_income": _l("Other income"),
}

SPENDING = {
    "food": _l("Food"),
    "housing": _l("Rent or housing"),
    "utilities": _l("Water, electricity, gas and phone"),
    "education": _l("Education"),
    "medical": _l("Medical costs"),
    "transport": _l("Transport"),
    "seed": _l("Seed"),
    "fertiliser": _l("Fertiliser and pesticide"),
    "feed": _l("Animal feed"),
}

OPTIONS = {
    "installment_plan": _l("Pay the overdue amount in installments"),
    "extension": _l("Extend the loan term"),
    "seasonal": _l("Pay in the months you earn (seasonal plan)"),
    "grace": _l("Disaster relief: pay interest only for a while"),
    "proposal": _l("Your own offer: what you can pay each month"),
}

OPTION_SUMMARIES = {
    "installment_plan": lazy_vgettext(
        "The overdue amount is split into monthly parts paid on top of your usual installments."
    ),
    "extension": lazy_vgettext("Your loan runs for longer, so each monthly payment is smaller."),
    "seasonal": lazy_vgettext(
        "Pay interest each month and the rest in the months when you sell your harvest or livestock."
    ),
    "grace": lazy_vgettext(
        "After a declared disaster, pay only interest for up to 6 months, then the usual payments resume."
    ),
    "proposal": _l(
        "Tell us the amount you can pay each month. Staff look at it and offer you a plan built on it."
    ),
}

UNAVAILABLE = {
    "loan_closed": _l("This loan is closed."),
    "loan_charged_off": _l("This loan has been written off. Please call your branch."),
    "loan_in_litigation": _l("This loan is in court proceedings. Please call your branch."),
    "open_application": _l("There is already an application for this loan."),
    "restructuring_cap_reached": _l("This loan has already had the most repayment plans our rules allow."),
    "arrears_below_minimum": _l("The overdue amount is small enough to pay in one go."),
    "not_offered_in_variant": _l("This plan is not offered for your loan."),
    "extension_cap_reached": _l("This loan has already been extended as far as the law allows."),
    "loan_matured": _l(
        "The loan's end date has passed, so it cannot be extended. The other plans are still open to you."
    ),
    "no_disaster_declared": _l("No natural disaster has been declared for your area."),
    "no_income_month_before_maturity": _l("None of the months you chose comes before the loan ends."),
    "not_in_arrears": _l("Nothing on this loan is overdue."),
    "option_unavailable": _l("This plan is not available for your loan."),
    "offer_expired": _l("The date to answer this offer has passed. You can ask for help again."),
    "no_principal_outstanding": _l("There is no loan capital left to spread out."),
    "invalid_terms": _l("These choices do not work for this plan. Please change them."),
    "proposal_monthly_too_large": _l(
        "The amount you offered is now more than everything you owe on the loan. Please change it."
    ),
}

# The tag beside an installment or a loan: its status in a word or two.
TAGS = {
    "paid": _l("Paid"),
    "overdue": _l("Overdue"),
    "due_today": _l("Due today"),
    "upcoming": _l("Upcoming"),
    "active": _l("Active"),
    "closed": _l("Closed"),
    "charged_off": _l("Written off"),
    "litigation": _l("In court"),
    "current": _l("Up to date"),
    "in_arrears": _l("Overdue"),
    "paid_off": _l("Paid off"),
}

STATUSES = {
    "draft": _l("Not sent yet"),
    "submitted": _l("Sent, waiting for review"),
    "in_review": _l("Being reviewed"),
    "info_requested": _l("We need more information"),
    "awaiting_second_approval": _l("Being reviewed"),
    "approved": _l("Approved: your answer needed"),
    "countered": _l("New offer: your answer needed"),
    "rejected": _l("Not approved"),
    "appealed": _l("Appeal being reviewed"),
    "accepted": _l("Accepted"),
    "declined": _l("Offer declined"),
    "expired": _l("Offer expired"),
    "active": _l("Plan in force"),
    "completed": _l("Plan completed"),
    "broken": _l("Plan broken"),
    "withdrawn": _l("Withdrawn"),
}

MONTHS = {
    1: _l("January"),
    2: _l("February"),
    3: _l("March"),
    4: _l("April"),
    5: _l("May"),
    6: _l("June"),
    7: _l("July"),
    8: _l("August"),
    9: _l("September"),
    10: _l("October"),
    11: _l("November"),
    12: _l("December"),
}

CHANNELS = {"web": _l("online"), "phone": _l("by phone"), "branch": _l("at the branch")}

EVENTS = {
    "application.started": _l("Application started"),
    "application.submitted": _l("Application sent"),
    "application.in_review": _l("Review started"),
    "application.info_requested": _l("More information asked for"),
    "application.awaiting_second_approval": _l("Passed for a second approval"),
    "application.approved": _l("Approved"),
    "application.rejected": _l("Not approved"),
    "application.countered": _l("Another plan offered"),
    "application.accepted": _l("Offer accepted"),
    "application.active": _l("New schedule in force"),
    "application.declined": _l("Offer declined"),
    "application.expired": _l("Offer expired"),
    "application.withdrawn": _l("Withdrawn"),
    "application.appealed": _l("Appeal made"),
    "application.completed": _l("Plan completed"),
    "application.broken": _l("Plan broken"),
    "application.hardship_saved": _l("Your situation written down"),
    "application.budget_saved": _l("Your money each month written down"),
    "application.plan_chosen": _l("Plan chosen"),
    "evidence.added": _l("Document added"),
    "evidence.removed": _l("Document removed"),
}

REJECT_REASONS = {
    "no_hardship_shown": _l("No hardship shown"),
    "information_not_provided": _l("Information asked for was not provided"),
    "not_affordable_even_with_plan": _l("Not affordable even with a plan"),
    "recent_plan_broken_without_change": _l("A recent plan was broken and nothing has changed"),
    "loan_not_eligible": _l("The loan is not eligible"),
    "other": _l("Other reason"),
}

RISK_REASONS = {
    "days_past_due": _l("Days past due"),
    "arrears_to_payment": _l("Arrears against the regular payment"),
    "broken_plans": _l("Plans broken before"),
    "affordability": _l("Affordability margin"),
    "hardship_duration": _l("Expected duration of the hardship"),
}

MARGINS = {
    "no_money_left": _l("nothing left each month"),
    "payment_above_limit": _l("payment above the affordable limit"),
    "tight": _l("tight"),
    "comfortable": _l("comfortable"),
}

ERRORS = {
    "conflict": _l(
        "Someone else changed this application while you were looking at it. Nothing was applied. "
        "Here is the latest version."
    ),
    "claimed_by_other": _l("Another reviewer holds this case."),
    "claim_first": _l("Take the case before deciding."),
    "own_submission": _l("You submitted this application for the borrower, so someone else must decide it."),
    "same_person": _l("The second approval and appeals need a different senior reviewer."),
    "senior_only": _l("Only a senior reviewer can decide this."),
    "not_decidable": _l("This application cannot be decided in its current state."),
    "not_claimable": _l("This application cannot be taken now."),
    "not_yours": _l("You do not hold this case."),
    "not_allowed": _l("Your role cannot do this."),
    "bad_reason": _l("Choose a reason."),
    "counter_offer_needed": _l(
        "The borrower proposed an amount, not a plan: answer with a counter-offer, or reject with a reason."
    ),
}

ROLES = {
    "reviewer": _l("reviewer"),
    "senior_reviewer": _l("senior reviewer"),
    "agent": _l("phone agent"),
    "admin": _l("administrator"),
}

BUCKETS = {
    "M0": _l("M0 current"),
    "M1": _l("M1 (1–30 days)"),
    "M2": _l("M2 (31–60 days)"),
    "M3": _l("M3 (61–90 days)"),
    "M4+": _l("M4+ (over 90 days)"),
}

AMOUNT_BANDS = {
    "under_10k": _l("under 10,000"),
    "10k_50k": _l("10,000 to 50,000"),
    "50k_200k": _l("50,000 to 200,000"),
    "over_200k": _l("over 200,000"),
}

SORTS = {
    "sla": _l("Decision due date"),
    "risk": _l("Risk score (highest first)"),
    "amount": _l("Amount (largest first)"),
    "age": _l("Oldest first"),
}

STAFF_STATUSES = {
    "submitted": _l("New"),
    "in_review": _l("In review"),
    "awaiting_second_approval": _l("Second approval"),
    "appealed": _l("Appeal"),
    "info_requested": _l("Waiting for borrower"),
    "approved": _l("Approved"),
    "countered": _l("Counter-offered"),
    "rejected": _l("Rejected"),
    "accepted": _l("Accepted"),
    "active": _l("Plan active"),
    "completed": _l("Completed"),
    "broken": _l("Broken"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "withdrawn": _l("Withdrawn"),
    "draft": _l("Draft"),
}

CLASSIFICATIONS = {
    "normal": _l("Normal"),
    "special_mention": _l("Special mention"),
    "substandard": _l("Substandard"),
    "doubtful": _l("Doubtful"),
    "loss": _l("Loss"),
}

OCCUPATIONS = {
    "farmer": _l("Farmer"),
    "salaried": _l("Salaried"),
    "shop_owner": _l("Shop owner"),
    "": _l("Not recorded"),
}

HELP_KINDS = {
    "visit": _l("Visit from a loan officer"),
    "callback": _l("Call back"),
}

HELP_WINDOWS = {
    "morning": _l("in the morning (8:00 to 12:00)"),
    "afternoon": _l("in the afternoon (12:00 to 18:00)"),
    "evening": _l("in the evening (18:00 to 21:00)"),
}

# The same windows as choices on the request forms.
HELP_WINDOW_CHOICES = {
    "morning": _l("Morning (8:00 to 12:00)"),
    "afternoon": _l("Afternoon (12:00 to 18:00)"),
    "evening": _l("Evening (18:00 to 21:00)"),
}

HELP_STATUSES = {"open": _l("Waiting"), "done": _l("Done")}
