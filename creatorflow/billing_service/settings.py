"""The service's settings, read from its own environment (never from the local tool's config).

| variable | meaning |
|---|---|
| `STRIPE_API_KEY` | Stripe secret or restricted key; Stripe endpoints answer 503 without it |
| `STRIPE_WEBHOOK_SECRET` | the endpoint's `whsec_…` secret; webhooks answer 503 without it |
| `CREATORFLOW_STRIPE_API_BASE` | Stripe API base URL (the sandbox simulator in tests and demos) |
| `CREATORFLOW_BILLING_DATABASE_URL` | SQLAlchemy URL; default `creatorflow-billing.db` in the cwd |
| `CREATORFLOW_BILLING_SIGNING_KEY_FILE` | Ed25519 private key (PEM) that signs entitlements |
| `CREATORFLOW_BILLING_METER_EVENT` | Stripe Billing Meter event name; usage is forwarded when set |
| `CREATORFLOW_BILLING_PUBLIC_URL` | the service's public base URL (device page, Stripe returns) |
| `CREATORFLOW_BILLING_APPROVAL_EMAIL_HEADER` | header carrying the signed-in email (see below) |
| `CREATORFLOW_BILLING_OPEN_APPROVAL` | `1`: anyone may approve a login for any email (sandbox) |

Who approves a device login: whoever submits `/device` with an email gets an install token for
that email's account, so in production the page sits behind the vendor's web login, which
passes the proven address in the header named by `CREATORFLOW_BILLING_APPROVAL_EMAIL_HEADER`
(e.g. `X-Forwarded-Email` from oauth2-proxy); the form's email is then ignored. Without that
header setting the page refuses approvals unless it is explicitly open (`serve --dev` or
`CREATORFLOW_BILLING_OPEN_APPROVAL=1`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: The default store: a SQLite file in the directory the service is started from.
DEFAULT_DATABASE_FILE = "creatorflow-billing.db"
#: Where `serve --dev` keeps the signing key it generates (next to the default database).
DEV_SIGNING_KEY_FILE = "creatorflow-billing-dev-signing-key.pem"

DAY = 86_400


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment. Secrets are kept out of `repr`."""

    stripe_api_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    signing_key_file: Path | None = None
    meter_event: str | None = None
    #: None: derive it from each request's own base URL (fine on loopback, wrong behind a proxy).
    public_url: str | None = None
    #: The header a login proxy sets to the signed-in email (see the module docstring).
    approval_email_header: str | None = None
    #: Approvals with whatever email the form gives (sandbox and development only).
    open_approval: bool = False
    #: Entitlement lifetime (`exp` - `iat`) and the offline grace after it.
    token_ttl: int = 7 * DAY
    offline_grace: int = 7 * DAY
    #: How long a `past_due` subscription keeps full access: the dunning deadline.
    past_due_grace: int = 14 * DAY
    #: Webhook signature tolerance: Stripe's own default.
    webhook_tolerance: int = 300
    #: Device login (RFC 8628).
    device_code_ttl: int = 900
    device_poll_interval: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ

        def value(name: str) -> str | None:
            text = env.get(name, "").strip()
            return text or None

        key_file = value("CREATORFLOW_BILLING_SIGNING_KEY_FILE")
        public_url = value("CREATORFLOW_BILLING_PUBLIC_URL")
        return cls(
            stripe_api_key=value("STRIPE_API_KEY"),
            webhook_secret=value("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base=value("CREATORFLOW_STRIPE_API_BASE"),
            database_url=value("CREATORFLOW_BILLING_DATABASE_URL") or cls.database_url,
            signing_key_file=Path(key_file).expanduser() if key_file else None,
            meter_event=value("CREATORFLOW_BILLING_METER_EVENT"),
            public_url=public_url.rstrip("/") if public_url else None,
            approval_email_header=value("CREATORFLOW_BILLING_APPROVAL_EMAIL_HEADER"),
            open_approval=value("CREATORFLOW_BILLING_OPEN_APPROVAL") in ("1", "true", "yes"),
        )
