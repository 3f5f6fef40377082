"""A signed-in install for the Billing screen, without the billing service.

The entitlement is a real ``cfe1`` token, signed with a throwaway key that the install trusts
through ``billing.trusted_keys``, so the screen reads it exactly as it reads the service's.
Times are set around the fixed clock (``NOW``); the period is November 2026.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creatorflow.billing_service.tokens import ISSUER, SigningKey, sign
from creatorflow.services.context import Services
from creatorflow.store.billing import billing_state, save_sign_in, save_token
from tests.tui.data import NOW

#: A fixed key (the same kid in every run): never a real one.
KEY = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
TRUSTED_KEYS = f"{KEY.kid}:{KEY.public_key_b64()}"
INSTALL = "inst_7Qm2xk"
ACCOUNT = "acct_4Lx9pd"
INSTALL_TOKEN = "cfi_test_install_token"  # a fake
PERIOD_START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 12, 1, tzinfo=UTC)
LIMIT = 500
USED = 120


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def entitlement_token(
    *,
    issued: datetime = NOW - timedelta(hours=2),
    valid: timedelta = timedelta(hours=24),
    grace: timedelta = timedelta(days=7),
    plan: str = "growth",
    status: str = "active",
    used: int = USED,
) -> str:
    """A token as the billing service signs it: valid ``valid`` after ``issued``, then counted
    offline for ``grace`` more."""
    expires = issued + valid
    claims = {
        "iss": ISSUER,
        "sub": ACCOUNT,
        "aud": INSTALL,
        "iat": _seconds(issued),
        "nbf": _seconds(issued),
        "exp": _seconds(expires),
        "grace_until": _seconds(expires + grace),
        "plan": plan,
        "order_limit": LIMIT if plan != "none" else 0,
        "period_start": _seconds(PERIOD_START),
        "period_end": _seconds(PERIOD_END),
        "status": status,
        "used": used,
        "jti": "tok_tui_1",
    }
    return sign(claims, KEY)


def sign_in(services: Services, token: str, *, issued: datetime = NOW - timedelta(hours=2)) -> None:
    """Store the sign-in and its entitlement as ``billing login`` would."""
    with services.store.write() as session:
        save_sign_in(session, INSTALL, ACCOUNT, now=issued)
        state = billing_state(session, for_update=True)
        assert state is not None
        save_token(state, token, issued.replace(microsecond=0), now=issued)
