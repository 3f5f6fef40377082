"""Rack-style form decoding (``a[b][0][c]=v``, ``a[]=v``) and typed, checked parameter access.

The SDK sends POST bodies form-encoded with literal brackets and GET/DELETE queries with
percent-encoded ones (``expand%5B0%5D=…``); :func:`decode_form` takes both. Values stay strings
until a handler asks for a type through :class:`Params`, which also remembers what it was asked
for so that :meth:`Params.finish` can answer ``parameter_unknown`` for everything else.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from creatorflow.sandbox.stripe import errors

Node = str | dict[str, "Node"] | list["Node"]
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def decode_form(raw: str) -> dict[str, Node]:
    """Decode a form body or query string into nested dicts (indexes stay dict keys)."""
    root: dict[str, Node] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        match = _KEY.match(key)
        if match is None:
            raise errors.invalid(f"Invalid parameter name: {key}", param=key)
        tokens = [match.group(1), *_PART.findall(match.group(2))]
        _insert(root, tokens, value, key)
    return root


def _insert(root: dict[str, Node], tokens: list[str], value: str, key: str) -> None:
    node: dict[str, Node] = root
    for position, token in enumerate(tokens):
        last = position == len(tokens) - 1
        if token == "":
            raise errors.invalid(f"Invalid array parameter: {key}", param=key)
        nxt = tokens[position + 1] if not last else None
        if last:
            if isinstance(node.get(token), (dict, list)):
                raise errors.invalid(f"Invalid hash: {key} mixes a value and a hash", param=key)
            node[token] = value
            return
        if nxt == "":
            if position + 2 != len(tokens):
                raise errors.invalid(f"Invalid array parameter: {key}", param=key)
            existing = node.setdefault(token, [])
            if not isinstance(existing, list):
                raise errors.invalid(f"Invalid array: {key}", param=key)
            existing.append(value)
            return
        child = node.setdefault(token, {})
        if not isinstance(child, dict):
            raise errors.invalid(f"Invalid hash: {key} mixes a value and a hash", param=key)
        node = child


def fingerprint(method: str, path: str, params: dict[str, Node]) -> str:
    """A stable text for (method, path, decoded params): what an idempotency key is bound to."""
    return json.dumps([method, path, params], sort_keys=True, separators=(",", ":"))


def as_list(value: Node) -> list[Node]:
    """An array parameter: ``a[]=…`` lists, or ``a[0]=…`` hashes with numeric keys in order."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if not all(k.isdigit() for k in value):
            raise errors.invalid("Invalid array")
        return [value[k] for k in sorted(value, key=int)]
    return [value]


class Params:
    """Typed access to one hash of decoded parameters, remembering which keys were read.

    Empty strings mean "unset" (Stripe's convention), so optional getters return None for them.
    """

    def __init__(self, data: dict[str, Node], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix
        self._used: set[str] = set()
        self._children: list[Params] = []

    def name(self, key: str) -> str:
        """The full parameter name of `key`, as Stripe reports it in ``param``."""
        return f"{self.prefix}[{key}]" if self.prefix else key

    def has(self, key: str) -> bool:
        """Whether `key` was sent at all (even empty)."""
        return key in self.data

    def raw(self, key: str) -> Node | None:
        """The undecoded value of `key`, marking it read."""
        self._used.add(key)
        return self.data.get(key)

    def ignore(self, *keys: str) -> None:
        """Accept `keys` without looking at them (parameters with no simulated effect)."""
        self._used.update(keys)

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        choices: tuple[str, ...] | None = None,
        max_length: int | None = None,
    ) -> str | None:
        """A string parameter; "" counts as absent."""
        value = self.raw(key)
        if isinstance(value, (dict, list)):
            raise errors.invalid(f"Invalid string: {self.name(key)}", param=self.name(key))
        if value is None or value == "":
            if required:
                raise errors.missing(self.name(key))
            return None
        if choices is not None and value not in choices:
            allowed = ", ".join(f"`{c}`" for c in choices)
            raise errors.invalid(
                f"Invalid {self.name(key)}: must be one of {allowed}",
                param=self.name(key),
            )
        if max_length is not None and len(value) > max_length:
            raise errors.invalid(
                f"Invalid {self.name(key)}: must be at most {max_length} characters",
                param=self.name(key),
            )
        return value

    def need(self, key: str, **kwargs: Any) -> str:
        """A required string parameter."""
        value = self.text(key, required=True, **kwargs)
        assert value is not None
        return value

    def integer(
        self, key: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        """An integer parameter (``parameter_invalid_integer`` otherwise)."""
        value = self.text(key, required=required)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise errors.invalid(
                f"Invalid integer: {value}",
                param=self.name(key),
                code="parameter_invalid_integer",
            ) from None
        if minimum is not None and number < minimum:
            raise errors.invalid(
                f"Invalid {self.name(key)}: must be greater than or equal to {minimum}",
                param=self.name(key),
            )
        return number

    def decimal(self, key: str) -> Decimal | None:
        """A decimal-string parameter."""
        value = self.text(key)
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise errors.invalid(f"Invalid decimal: {value}", param=self.name(key)) from None

    def flag(self, key: str) -> bool | None:
        """A boolean parameter (``"true"``/``"false"``)."""
        value = self.text(key)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise errors.invalid(
                f"Invalid boolean: {value}",
                param=self.name(key),
                code="parameter_invalid_boolean",
            )
        return value == "true"

    def hash(self, key: str, *, required: bool = False) -> Params | None:
        """A nested hash, as its own :class:`Params` (checked by :meth:`finish` too)."""
        value = self.raw(key)
        if value is None or value == "":
            if required:
                raise errors.missing(self.name(key))
            return None
        if not isinstance(value, dict):
            raise errors.invalid(f"Invalid hash: {self.name(key)}", param=self.name(key))
        child = Params(value, self.name(key))
        self._children.append(child)
        return child

    def array(self, key: str) -> list[Params] | None:
        """An array of hashes (``line_items[0][price]=…``)."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        out: list[Params] = []
        for index, item in enumerate(as_list(value)):
            if not isinstance(item, dict):
                raise errors.invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
            child = Params(item, f"{self.name(key)}[{index}]")
            self._children.append(child)
            out.append(child)
        return out

    def strings(self, key: str) -> list[str] | None:
        """An array of strings (``lookup_keys[0]=…``, ``expand[]=…``)."""
        value = self.raw(key)
        if value is None:
            return None
        if value == "":
            return []
        out: list[str] = []
        for item in as_list(value):
            if not isinstance(item, str):
                raise errors.invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
            out.append(item)
        return out

    def metadata(self, current: dict[str, str], key: str = "metadata") -> dict[str, str]:
        """`current` metadata with this request's changes.

        ``metadata[k]=`` deletes one key, ``metadata=`` clears them all.
        """
        value = self.raw(key)
        if value is None:
            return dict(current)
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise errors.invalid(f"Invalid hash: {self.name(key)}", param=self.name(key))
        merged = dict(current)
        for k, v in value.items():
            if not isinstance(v, str):
                raise errors.invalid(
                    f"Invalid value for {self.name(key)}[{k}]: metadata values are strings",
                    param=f"{self.name(key)}[{k}]",
                )
            if len(k) > 40 or len(v) > 500:
                raise errors.invalid(
                    "Metadata keys are at most 40 characters and values at most 500.",
                    param=f"{self.name(key)}[{k}]",
                )
            if v == "":
                merged.pop(k, None)
            else:
                merged[k] = v
        if len(merged) > 50:
            raise errors.invalid("Metadata can have at most 50 keys.", param=self.name(key))
        return merged

    def time_range(self, key: str) -> tuple[int | None, int | None]:
        """A ``created``-style filter: an exact time or ``[gt|gte|lt|lte]``, as [start, end]."""
        value = self.raw(key)
        if value is None or value == "":
            return None, None
        if isinstance(value, str):
            exact = self.integer(key)
            return exact, exact
        child = self.hash(key)
        assert child is not None
        low, high = None, None
        if (gt := child.integer("gt")) is not None:
            low = gt + 1
        if (gte := child.integer("gte")) is not None:
            low = gte if low is None else max(low, gte)
        if (lt := child.integer("lt")) is not None:
            high = lt - 1
        if (lte := child.integer("lte")) is not None:
            high = lte if high is None else min(high, lte)
        return low, high

    def finish(self) -> None:
        """Answer ``parameter_unknown`` for the first key nobody read (children included)."""
        for key in self.data:
            if key not in self._used:
                raise errors.unknown(self.name(key))
        for child in self._children:
            child.finish()


class Call:
    """One decoded API request as the handlers see it."""

    def __init__(
        self,
        method: str,
        path: str,
        ids: dict[str, str],
        params: Params,
        base_url: str,
        expand: list[str],
    ) -> None:
        self.method = method
        self.path = path
        self.ids = ids
        self.params = params
        self.base_url = base_url
        self.expand = expand
