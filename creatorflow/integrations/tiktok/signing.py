"""Request signing for the TikTok Shop Open API, version 202309 and later.

The algorithm is TikTok's own (partner docs "Sign your API request"; every official and
community SDK agrees): the sorted query parameters, except ``sign`` and ``access_token``,
concatenated as ``{key}{value}`` after the request path, followed by the exact body sent,
wrapped in the app secret on both sides and MAC'd with HMAC-SHA256 keyed with the app secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["UNSIGNED_PARAMS", "sign", "signed_query"]

UNSIGNED_PARAMS = frozenset({"sign", "access_token"})
"""Query parameters TikTok leaves out of the signature."""


def _signed_items(query: Mapping[str, str]) -> list[tuple[str, str]]:
    # Empty values are omitted from both the URL and the signature (signed_query drops them
    # too), so a first-page ``page_token=`` can never make the two disagree.
    return sorted((k, v) for k, v in query.items() if k not in UNSIGNED_PARAMS and v != "")


def sign(app_secret: str, path: str, query: Mapping[str, str], body: str = "") -> str:
    """Compute the ``sign`` query parameter of a TikTok Shop Open API request.

    Values are signed raw, exactly as the application holds them, never URL-encoded: a
    ``page_token`` such as ``"6AsP/N5M1k+7D1u"`` travels as ``6AsP%2FN5M1k%2B7D1u`` in the
    URL but is signed as ``6AsP/N5M1k+7D1u``. Arrays must already be comma-joined
    (``ids="1,2,3"``). Keys are sorted by code point, which matches TikTok's byte order.

    Args:
        app_secret: The app secret from Partner Center.
        path: The request path only, without scheme, host or query
            (``/order/202309/orders/search``).
        query: Every query parameter that will be sent, including ``app_key``,
            ``timestamp`` and ``shop_cipher``. ``sign`` and ``access_token`` are ignored,
            as are parameters whose value is empty.
        body: The exact body string that is sent. Leave empty for requests without a
            body and for ``multipart/form-data`` uploads, whose body TikTok does not sign.

    Returns:
        The signature as 64 lowercase hexadecimal characters.
    """
    base = path + "".join(k + v for k, v in _signed_items(query)) + body
    wrapped = app_secret + base + app_secret
    return hmac.new(app_secret.encode(), wrapped.encode(), hashlib.sha256).hexdigest()


def signed_query(
    app_key: str,
    app_secret: str,
    path: str,
    query: Mapping[str, str],
    body: str,
    timestamp: int,
) -> dict[str, str]:
    """Return the full query string parameters of a signed request.

    The result is ``query`` without empty-valued parameters or a stale ``sign``, plus
    ``app_key``, ``timestamp`` and the freshly computed ``sign``. Values stay raw; the
    HTTP client URL-encodes them when it builds the URL.

    Args:
        app_key: The app key from Partner Center.
        app_secret: The app secret from Partner Center.
        path: The request path only (``/order/202309/orders/search``).
        query: The endpoint's own query parameters (``shop_cipher``, ``page_size``, …).
        body: The exact body string that will be sent; empty for GET and multipart.
        timestamp: Unix time in seconds; TikTok accepts five minutes back to 30 s ahead.

    Returns:
        The parameters to send, ``sign`` included.

    Raises:
        ValueError: ``timestamp`` is negative or looks like milliseconds.
    """
    if not 0 <= timestamp < 10**10:
        raise ValueError(f"timestamp must be Unix seconds, got {timestamp}")
    params = {k: v for k, v in query.items() if v != "" and k != "sign"}
    params["app_key"] = app_key
    params["timestamp"] = str(timestamp)
    params["sign"] = sign(app_secret, path, params, body)
    return params
