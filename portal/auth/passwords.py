"""Password rules and hashing (argon2id), with a constant-cost check for unknown accounts."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
# Verified when the account does not exist, so an unknown account costs the same time as a known one.
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")


def use_test_cost() -> None:
    """Cheap argon2id parameters for the test suite only (PORTAL_ENV=testing): same algorithm, less memory."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password-but-the-same-cost")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check a password. Returns (ok, new_hash): new_hash is set when the stored hash should be upgraded."""
    if not stored_hash:
        dummy_verify(password)
        return False, None
    try:
        _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None)


def dummy_verify(password: str) -> None:
    """Spend the time of a real verification (for unknown accounts)."""
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def password_problem(password: str, user_inputs: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why a new password is refused ('too_short', 'too_long', 'too_common'), or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if len(password) > MAX_LENGTH:
        return "too_long"
    # zxcvbn knows the common-password lists and keyboard and date patterns; 3 means "safely unguessable".
    if zxcvbn(password[:MAX_LENGTH], user_inputs=[u for u in user_inputs if u])["score"] < 3:
        return "too_common"
    return None
