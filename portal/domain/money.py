"""Money arithmetic: amounts are ``Decimal`` yuan, rounded to the fen (0.01) half-up, never ``float``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

CENT = Decimal("0.01")

# Enough digits that a quotient of ledger amounts is never rounded before we round it to the fen ourselves.
_PRECISION = 50
# The context rounding to the fen runs in: made once (entering a local context costs more than the rounding, and a
# schedule page rounds over a thousand amounts). Only its precision differs from Python's default context.
_ROUNDING = Context(prec=_PRECISION)


def round_money(value: Decimal | int) -> Decimal:
    """Round an amount to 0.01 with ROUND_HALF_UP (the ledger's rule), e.g. 2.675 -> 2.68, -0.005 -> -0.01."""
    if isinstance(value, float):
        # A float has already lost the amount (2.675 is stored as 2.67499...); refuse it rather than misround.
        raise TypeError("money must be a Decimal or an int, not a float")
    rounded = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP, context=_ROUNDING)
    # -0.004 rounds to -0.00, which equals zero but would be shown with a minus sign.
    return rounded.copy_abs() if not rounded else rounded


def to_fen(amount: Decimal | int) -> int:
    """Convert an amount in yuan to integer fen (the database's unit), rounding half-up to the fen first."""
    return int(round_money(amount).scaleb(2))


def from_fen(fen: int) -> Decimal:
    """Convert integer fen to a ``Decimal`` amount in yuan with exactly two decimal places."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("fen must be an int")
    return Decimal(fen).scaleb(-2)


def split(total: Decimal | int, n: int) -> list[Decimal]:
    """Split ``total`` into ``n`` parts that sum exactly to it and differ by at most 0.01.

    Every part starts as ``total / n`` rounded half-up; the fen that this leaves over (or takes too many) are
    settled one each on the last parts. 100.00 in 3 parts is 33.33, 33.33, 33.34; 1,000,000 in 360 parts is
    280 parts of 2,777.78 followed by 80 of 2,777.77. ``total`` is rounded to the fen first; ``n`` < 1 is a
    ValueError.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("n must be an int")
    if n < 1:
        raise ValueError("cannot split into fewer than one part")
    total = round_money(total)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        base = round_money(total / n)
    # Rounding each part to the nearest fen is off by at most half a fen per part, so |diff_fen| <= n / 2.
    diff_fen = to_fen(total - base * n)
    step = CENT if diff_fen > 0 else -CENT
    adjusted = abs(diff_fen)
    return [base] * (n - adjusted) + [base + step] * adjusted
