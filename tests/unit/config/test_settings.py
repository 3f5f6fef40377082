"""Loading settings: defaults, file, environment, and errors that say where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorflow.config.keys import KEYS, Kind
from creatorflow.config.paths import resolve_paths
from creatorflow.config.settings import load_settings, lookup_key
from creatorflow.config.writer import set_value, template_text, unset_value
from creatorflow.errors import ConfigError, ExitCode


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_has_a_description_and_a_valid_default() -> None:
    for key in KEYS:
        assert key.description.strip(), key.name
        assert key.check(key.default) == key.default
        assert key.env == "CREATORFLOW_" + key.name.upper().replace(".", "_")
        if key.kind is Kind.CHOICE:
            assert key.default in key.choices


def test_defaults_apply_when_there_is_no_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml", environ={})
    assert settings.text("labels.format") == "pdf_4x6"
    assert settings.setting("labels.format").source == "default"
    assert settings.integer("printer.port") == 9100


def test_file_values_remember_their_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '# hi\n[labels]\nformat = "zpl"\n\n[printer]\nport = 9101\n')
    settings = load_settings(path, environ={})
    assert settings.text("labels.format") == "zpl"
    assert settings.setting("labels.format").origin == f"{path}:3"
    assert settings.setting("printer.port").origin == f"{path}:6"


def test_environment_beats_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[tiktok]\napi_base = "https://file.example"\n')
    settings = load_settings(path, environ={"CREATORFLOW_TIKTOK_API_BASE": "http://127.0.0.1:9"})
    setting = settings.setting("tiktok.api_base")
    assert setting.value == "http://127.0.0.1:9"
    assert (setting.source, setting.origin) == ("env", "CREATORFLOW_TIKTOK_API_BASE")


def test_environment_values_are_typed(tmp_path: Path) -> None:
    env = {"CREATORFLOW_SECRETS_ALLOW_FILE": "yes", "CREATORFLOW_DAEMON_POLL_SECONDS": "300"}
    settings = load_settings(tmp_path / "none.toml", environ=env)
    assert settings.flag("secrets.allow_file") is True
    assert settings.integer("daemon.poll_seconds") == 300


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "none.toml", environ={"CREATORFLOW_PRINTER_PORT": "ninety"})
    assert "CREATORFLOW_PRINTER_PORT" in caught.value.message
    assert caught.value.exit_code == ExitCode.USAGE


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[labels]\nformat = "zpl"\nprinter = = 3\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"{path}:3" in caught.value.message


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[labels]\nfromat = "zpl"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"{path}:2" in caught.value.message
    assert "labels.fromat" in caught.value.message
    assert "labels.format" in (caught.value.hint or "")


def test_unknown_section_key_suggests_by_leaf() -> None:
    with pytest.raises(ConfigError) as caught:
        lookup_key("printers.porrt")
    assert "printer.port" in (caught.value.hint or "")


def test_wrong_type_in_file_names_key_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[printer]\nkind = "cups"\nport = "9100"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert f"{path}:3" in caught.value.message
    assert "printer.port" in caught.value.message


def test_bad_choice_lists_the_choices(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[labels]\nformat = "png"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "pdf_4x6" in caught.value.message


def test_dotted_keys_at_top_level_are_located(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", 'labels.format = "zpl"\n')
    assert load_settings(path, environ={}).setting("labels.format").origin == f"{path}:1"


def test_template_parses_and_sets_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", template_text())
    settings = load_settings(path, environ={})
    assert all(s.source == "default" for s in settings)
    for key in KEYS:
        assert f"# {key.leaf} = " in template_text()


def test_set_value_keeps_comments_and_types(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '# my note\n[printer]\n# keep me\nkind = "cups"\n')
    set_value(path, "printer.port", "9200")
    set_value(path, "labels.format", "zpl")
    text = path.read_text(encoding="utf-8")
    assert "# my note" in text
    assert "# keep me" in text
    settings = load_settings(path, environ={})
    assert settings.integer("printer.port") == 9200
    assert settings.text("printer.kind") == "cups"
    assert settings.text("labels.format") == "zpl"


@pytest.mark.parametrize(
    ("key", "value"),
    [("printer.port", "abc"), ("printer.port", "0"), ("labels.format", "png"), ("x.y", "1")],
)
def test_set_value_rejects_bad_input_and_changes_nothing(
    tmp_path: Path, key: str, value: str
) -> None:
    path = write(tmp_path / "c.toml", '[labels]\nformat = "zpl"\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        set_value(path, key, value)
    assert caught.value.exit_code == ExitCode.USAGE
    assert path.read_bytes() == before


def test_set_value_refuses_to_edit_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "[labels\n")
    with pytest.raises(ConfigError):
        set_value(path, "labels.format", "zpl")
    assert path.read_text(encoding="utf-8") == "[labels\n"


def test_unset_value_restores_the_default(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[labels]\nformat = "zpl"\n')
    assert unset_value(path, "labels.format") is True
    assert load_settings(path, environ={}).setting("labels.format").source == "default"
    assert unset_value(path, "labels.format") is False


def test_creatorflow_home_moves_every_folder(tmp_path: Path) -> None:
    paths = resolve_paths({"CREATORFLOW_HOME": str(tmp_path / "h")})
    for folder in (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir):
        assert folder.is_relative_to(tmp_path / "h")
        assert not folder.exists()  # nothing is created until asked
    assert paths.config_file.name == "config.toml"


def test_platform_paths_without_home() -> None:
    paths = resolve_paths({})
    assert "creatorflow" in str(paths.config_dir).lower()
    assert paths.database_file.parent == paths.data_dir
