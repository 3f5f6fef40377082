"""Authorisation link, redirect parsing, token exchange and refresh, the token keeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from creatorflow.errors import AuthError, ExitCode
from creatorflow.integrations.http import TransientHTTPError
from creatorflow.integrations.tiktok.errors import TikTokAuthError
from creatorflow.integrations.tiktok.oauth import (
    TikTokAuthClient,
    TokenKeeper,
    TokenSet,
    authorization_url,
    new_state,
    parse_redirect,
)
from tests.unit.tiktok.test_client_fakes import (
    ACCESS,
    APP_KEY,
    APP_SECRET,
    AUTH,
    NOW,
    REFRESH,
    FakeTikTok,
    fail,
    ok,
    token_answer,
    tokens,
)


def auth_client(fake: FakeTikTok, sleeps: list[float] | None = None) -> TikTokAuthClient:
    return TikTokAuthClient(
        auth_base=AUTH,
        app_key=APP_KEY,
        app_secret=APP_SECRET,
        transport=httpx.MockTransport(fake),
        now=lambda: NOW,
        sleep=(sleeps if sleeps is not None else []).append,
    )


# --- Authorisation link and redirect ---------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "base", "root"),
    [
        ("US", None, "https://services.us.tiktokshop.com/open/authorize"),
        ("us", None, "https://services.us.tiktokshop.com/open/authorize"),
        ("GB", None, "https://services.tiktokshop.com/open/authorize"),
        ("ID", None, "https://services.tiktokshop.com/open/authorize"),
        ("US", "http://127.0.0.1:8123/", "http://127.0.0.1:8123/open/authorize"),
    ],
)
def test_authorization_url(region: str, base: str | None, root: str) -> None:
    url = authorization_url(service_id="7123", state="st/+=", region=region, base=base)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == root
    assert parse_qs(parts.query) == {"service_id": ["7123"], "state": ["st/+="]}


def test_new_state_is_random_and_url_safe() -> None:
    first, second = new_state(), new_state()
    assert first != second
    assert len(first) >= 24
    assert all(c.isalnum() or c in "-_" for c in first)


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/callback?code=ROW_abc123&state=S1",
        "  https://example.com/callback?state=S1&code=ROW_abc123\n",
        "code=ROW_abc123&state=S1",
        "ROW_abc123",
        "https://example.com/cb?code=ROW_abc123",  # App Store installs carry no state
    ],
)
def test_parse_redirect_finds_the_code(text: str) -> None:
    assert parse_redirect(text, expected_state="S1") == "ROW_abc123"


def test_parse_redirect_without_expected_state() -> None:
    assert parse_redirect("https://x/cb?code=C&state=any", expected_state=None) == "C"


def test_parse_redirect_state_mismatch() -> None:
    with pytest.raises(AuthError, match="state"):
        parse_redirect("https://x/cb?code=C&state=evil", expected_state="S1")


@pytest.mark.parametrize(
    "text",
    ["https://x/cb?code=null&error=auth_denied&state=S1", "https://x/cb?error=auth_denied", "null"],
)
def test_parse_redirect_declined(text: str) -> None:
    with pytest.raises(AuthError, match="declined") as caught:
        parse_redirect(text, expected_state="S1")
    assert caught.value.exit_code == ExitCode.AUTH


@pytest.mark.parametrize("text", ["", "   ", "https://x/cb?state=S1"])
def test_parse_redirect_without_code(text: str) -> None:
    with pytest.raises(AuthError):
        parse_redirect(text, expected_state="S1")


# --- TokenSet --------------------------------------------------------------------------------


def test_token_set_repr_hides_tokens() -> None:
    shown = repr(tokens())
    assert ACCESS not in shown
    assert REFRESH not in shown
    assert "open-1" in shown
    assert ACCESS not in str(tokens())


# --- Token service ---------------------------------------------------------------------------


def test_exchange_code_request_and_tokens() -> None:
    fake = FakeTikTok([token_answer()])
    with auth_client(fake) as client:
        got = client.exchange_code("ROW_code")
    request = fake.last
    assert (request.method, request.url.path) == ("GET", "/api/v2/token/get")
    assert dict(request.url.params) == {
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "auth_code": "ROW_code",
        "grant_type": "authorized_code",
    }
    assert got.access_token == "TTP_access_new"
    assert got.refresh_token == "TTP_refresh_new"
    assert got.access_token_expires_at == NOW + timedelta(days=7)
    assert got.refresh_token_expires_at == NOW + timedelta(days=365)
    assert got.access_token_expires_at is not None
    assert got.access_token_expires_at.tzinfo is not None
    assert (got.open_id, got.seller_name, got.seller_base_region) == ("open-1", "Shop", "US")
    assert got.granted_scopes == ("seller.order.read",)


def test_expire_in_below_1e9_is_a_duration() -> None:
    answer = ok(
        {
            "access_token": "a",
            "access_token_expire_in": 604800,
            "refresh_token": "r",
            "refresh_token_expire_in": 1691487031,
        }
    )
    with auth_client(FakeTikTok([answer])) as client:
        got = client.refresh("r0")
    assert got.access_token_expires_at == NOW + timedelta(seconds=604800)
    assert got.refresh_token_expires_at == datetime(2023, 8, 8, 9, 30, 31, tzinfo=UTC)


def test_refresh_request() -> None:
    fake = FakeTikTok([token_answer()])
    with auth_client(fake) as client:
        client.refresh(REFRESH)
    assert fake.last.url.path == "/api/v2/token/refresh"
    assert fake.last.url.params["grant_type"] == "refresh_token"
    assert fake.last.url.params["refresh_token"] == REFRESH


@pytest.mark.parametrize("code", [36004001, 36004005])
def test_refresh_refused_asks_to_reconnect(code: int) -> None:
    with (
        auth_client(FakeTikTok([fail(code, "rt has expired")])) as client,
        pytest.raises(AuthError) as caught,
    ):
        client.refresh(REFRESH)
    error = caught.value
    assert error.exit_code == 3
    assert error.title == "Reconnect TikTok"
    assert "creatorflow connect tiktok" in (error.hint or "")
    assert APP_SECRET not in f"{error} {error.hint}"


def test_bad_auth_code_is_an_auth_error() -> None:
    with (
        auth_client(FakeTikTok([fail(36004004, "invalid auth code")])) as client,
        pytest.raises(TikTokAuthError, match="authorisation code") as caught,
    ):
        client.exchange_code("used")
    assert "30 minutes" in (caught.value.hint or "")


def test_token_service_outage_is_retried() -> None:
    sleeps: list[float] = []
    fake = FakeTikTok([(502, b"<html>"), token_answer()])
    with auth_client(fake, sleeps) as client:
        assert client.refresh(REFRESH).access_token == "TTP_access_new"
    assert len(sleeps) == 1
    fake = FakeTikTok([(503, b"<html>")])
    with auth_client(fake, sleeps) as client, pytest.raises(TransientHTTPError) as caught:
        client.refresh(REFRESH)
    assert APP_SECRET not in str(caught.value)


# --- TokenKeeper -----------------------------------------------------------------------------


class Now:
    def __init__(self) -> None:
        self.value = NOW

    def __call__(self) -> datetime:
        return self.value


def keeper(
    answers: list[object], token_set: TokenSet | None = None
) -> tuple[TokenKeeper, FakeTikTok, list[TokenSet], Now]:
    fake = FakeTikTok(answers)  # type: ignore[arg-type]
    saved: list[TokenSet] = []
    now = Now()
    client = TikTokAuthClient(
        auth_base=AUTH,
        app_key=APP_KEY,
        app_secret=APP_SECRET,
        transport=httpx.MockTransport(fake),
        now=now,
        sleep=lambda _s: None,
    )
    return (
        TokenKeeper(token_set or tokens(), auth=client, on_refresh=saved.append, now=now),
        fake,
        saved,
        now,
    )


def test_keeper_refreshes_within_the_margin_only() -> None:
    kept, fake, saved, now = keeper([token_answer()])
    assert kept.access_token() == ACCESS
    now.value = NOW + timedelta(days=5, hours=1)  # 23 h left
    assert kept.access_token() == "TTP_access_new"
    assert [t.access_token for t in saved] == ["TTP_access_new"]
    assert kept.tokens.refresh_token == "TTP_refresh_new"
    assert len(fake.requests) == 1


def test_keeper_refreshes_once_for_concurrent_rejections() -> None:
    kept, fake, saved, _ = keeper([token_answer()])
    assert kept.after_rejection(ACCESS) == "TTP_access_new"
    assert kept.after_rejection(ACCESS) == "TTP_access_new"  # someone already refreshed
    assert len(fake.requests) == 1
    assert len(saved) == 1


def test_keeper_keeps_the_refresh_token_when_not_rotated() -> None:
    answer = ok({"access_token": "a2", "access_token_expire_in": 2000000000})
    kept, _, saved, _ = keeper([answer])
    kept.after_rejection(ACCESS)
    (fresh,) = saved
    assert fresh.refresh_token == REFRESH
    assert fresh.refresh_token_expires_at == tokens().refresh_token_expires_at
    assert fresh.open_id == "open-1"


def test_keeper_without_a_way_to_refresh() -> None:
    kept = TokenKeeper(
        tokens(expires_in=timedelta(hours=1)), auth=None, on_refresh=lambda _t: None, now=Now()
    )
    assert kept.access_token() == ACCESS  # still valid for an hour
    with pytest.raises(AuthError) as caught:
        kept.after_rejection(ACCESS)
    assert caught.value.exit_code == 3
    expired = TokenKeeper(
        tokens(expires_in=-timedelta(hours=1)), auth=None, on_refresh=lambda _t: None, now=Now()
    )
    with pytest.raises(AuthError, match="expired"):
        expired.access_token()


def test_keeper_rides_out_a_failed_early_refresh() -> None:
    kept, fake, saved, now = keeper(
        [(503, b"down"), (503, b"down"), (503, b"down"), token_answer()],
        tokens(expires_in=timedelta(hours=2)),
    )
    assert kept.access_token() == ACCESS  # refresh failed, old token still good
    assert kept.access_token() == ACCESS  # not tried again right away
    assert len(fake.requests) == 3
    now.value = NOW + timedelta(minutes=6)
    assert kept.access_token() == "TTP_access_new"
    assert len(saved) == 1


def test_keeper_raises_when_expired_and_refresh_fails() -> None:
    kept, _, _, _ = keeper([(503, b"down")], tokens(expires_in=-timedelta(minutes=1)))
    with pytest.raises(TransientHTTPError):
        kept.access_token()
    kept, _, _, _ = keeper([fail(36004001, "rt expired")], tokens(expires_in=timedelta(hours=1)))
    with pytest.raises(AuthError):
        kept.access_token()
