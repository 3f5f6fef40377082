"""First-run set-up: folders, the commented ``config.toml`` and an up-to-date database.

``init --sandbox`` (:func:`init_sandbox`) also points the installation at a running
``creatorflow sandbox serve`` and connects it (billing included: ``creatorflow billing login``
then signs in to the sandbox's billing service).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from creatorflow.config.settings import load_settings
from creatorflow.errors import CreatorflowError, hint_for_os_error
from creatorflow.services.configuration import redact
from creatorflow.services.context import Services
from creatorflow.services.database import DatabaseUpgrade, upgrade_database

if TYPE_CHECKING:
    from creatorflow.services.sandbox import SandboxInfo


@dataclass(frozen=True)
class InitReport:
    """What ``initialize`` found and created."""

    config_file: Path
    config_created: bool
    data_dir: Path
    log_dir: Path
    database: str
    schema: DatabaseUpgrade


class SetupError(CreatorflowError):
    """A folder or file of the installation cannot be created."""

    title = "Cannot set up CreatorFlow"


def disk_error(path: Path, exc: OSError) -> SetupError:
    """Explain a failed write in words a person can act on."""
    reason = exc.strerror or str(exc)
    return SetupError(f"Cannot write {path}: {reason}.", hint=hint_for_os_error(exc, path))


def initialize(services: Services) -> InitReport:
    """Create the folders, a commented config file (kept if present) and the database schema.

    Safe to run again: an existing configuration is left alone and the schema is only
    upgraded when it is behind.

    Raises:
        SetupError: a folder or file cannot be written (read-only location, full disk).
        ConfigError: an existing ``config.toml`` is invalid.
        StoreError: the database cannot be created or migrated.
    """
    from creatorflow.config.writer import template_text
    from creatorflow.fileio import write_atomically

    paths = services.paths
    for folder in (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise disk_error(folder, exc) from None
    created = not paths.config_file.exists()
    if created:
        try:
            write_atomically(paths.config_file, template_text())
        except OSError as exc:
            raise disk_error(paths.config_file, exc) from None
    load_settings(paths.config_file, services.environ)
    schema = upgrade_database(services)
    return InitReport(
        config_file=paths.config_file,
        config_created=created,
        data_dir=paths.data_dir,
        log_dir=paths.log_dir,
        database=str(redact(services.database_url)),
        schema=schema,
    )


@dataclass(frozen=True)
class SandboxInitReport:
    """What ``init --sandbox`` set up on top of ``init``."""

    init: InitReport
    control_url: str
    billing_url: str
    settings: dict[str, str]
    overridden: dict[str, str]
    secrets_backend: str
    secrets_file_enabled: bool
    shops: list[str]
    skus: int
    skus_given_parcels: int
    orders_synced: int


# Secrets the sandbox owns; any other value there belongs to someone's real account.
_SANDBOX_SECRETS = ("tiktok_app_secret", "shippo_api_key", "easypost_api_key")


def _sandbox_settings(services: Services, info: SandboxInfo) -> dict[str, str]:
    from creatorflow.services.demo import SHIP_FROM

    wanted = {
        "tiktok.api_base": info.tiktok_url,
        "tiktok.auth_base": info.tiktok_url,
        "tiktok.authorize_base": info.tiktok_url,
        "tiktok.app_key": info.tiktok_app_key,
        "tiktok.service_id": info.tiktok_service_id,
        "tiktok.region": "US",
        "shippo.api_base": info.shippo_url,
        "easypost.api_base": info.easypost_url,
        # The sandbox's billing service and its throwaway entitlement-signing key.
        "billing.url": info.billing_url,
        "billing.trusted_keys": info.billing_trusted_keys,
        "labels.format": "pdf_4x6",
        # The sandbox's clock runs fast: poll as often as the daemon allows.
        "daemon.poll_seconds": "30",
    }
    settings = services.settings
    if not settings.text("ship_from.street1").strip():
        wanted |= {f"ship_from.{key.lower()}": value for key, value in SHIP_FROM.items()}
    return wanted


def _refuse_foreign_secrets(services: Services, info: SandboxInfo) -> None:
    from creatorflow.errors import SecretError

    values = dict(
        zip(
            _SANDBOX_SECRETS,
            (info.tiktok_app_secret, info.shippo_api_key, info.easypost_api_key),
            strict=True,
        )
    )
    for name, value in values.items():
        current = services.secrets.get(name)
        if current is not None and current != value:
            raise SecretError(
                f"The secret store already holds a different {name} "
                f"(from {services.secrets.source(name)}): probably a real account's. "
                "`init --sandbox` will not overwrite it.",
                hint="The system keyring is shared by every CreatorFlow home of this user. "
                "Try the sandbox as another user or on a machine without your real keys, or "
                f"remove it with `creatorflow secrets delete {name}` if it is not needed.",
            )


def init_sandbox(services: Services) -> SandboxInitReport:
    """``init``, then point this installation at the running ``sandbox serve`` and connect.

    Writes the sandbox's URLs and app ids to ``config.toml`` (and a sender address if none is
    set; the billing service's URL and signing key in ``billing.url`` and
    ``billing.trusted_keys``, so that ``creatorflow billing login`` signs in there; it is
    left to the person, who approves the code on the sandbox's open approval page), stores
    its fake keys in the secret store — turning on ``secrets.allow_file`` where
    no keyring can hold them — connects the TikTok shop, Shippo and EasyPost, syncs products,
    gives every SKU without one a weight and size, and syncs orders, so that
    ``orders approve --all-ready`` works at once. Safe to run again.

    Raises:
        SandboxNotRunningError: no sandbox runs for this home.
        SecretError: the secret store holds a real account's key under a sandbox name.
        plus whatever ``initialize``, connecting or syncing raise.
    """
    from creatorflow.services.configuration import set_setting
    from creatorflow.services.label_providers import connect_provider
    from creatorflow.services.order_sync import sync_orders
    from creatorflow.services.product_sync import list_products, sync_products
    from creatorflow.services.sandbox import give_parcels, read_sandbox_info
    from creatorflow.services.sandbox_control import sandbox_auth_code
    from creatorflow.services.tiktok_connection import APP_SECRET, connect_tiktok

    report = initialize(services)
    info = read_sandbox_info(services)
    wanted = _sandbox_settings(services, info)
    overridden: dict[str, str] = {}
    for name, value in wanted.items():
        result = set_setting(services, name, value)
        if result.overridden_by:
            overridden[name] = result.overridden_by

    def fresh() -> Services:
        return Services(
            paths=services.paths, environ=services.environ, secret_store=services.secret_store
        )

    live = fresh()
    file_enabled = False
    try:
        if live.secrets.writable_backend() is None:
            set_setting(services, "secrets.allow_file", "true")
            live.close()
            live = fresh()
            file_enabled = True
        _refuse_foreign_secrets(live, info)
        backend = live.secrets.set(APP_SECRET, info.tiktok_app_secret)
        connected = connect_tiktok(live, auth_code=sandbox_auth_code(live))
        connect_provider(live, "shippo", info.shippo_api_key)
        connect_provider(live, "easypost", info.easypost_api_key)
        sync_products(live)
        given = give_parcels(live, keep_existing=True)
        skus = len(list_products(live))
        synced = sync_orders(live)
    finally:
        live.close()
    return SandboxInitReport(
        init=report,
        control_url=info.control_url,
        billing_url=info.billing_url,
        settings=wanted,
        overridden=overridden,
        secrets_backend=backend,
        secrets_file_enabled=file_enabled,
        shops=[shop.name for shop in connected.shops if shop.active],
        skus=skus,
        skus_given_parcels=given,
        orders_synced=synced.new + synced.updated,
    )
