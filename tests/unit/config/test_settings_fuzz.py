"""Whatever is in config.toml, loading it either works or raises ConfigError: never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from creatorflow.config.keys import KEYS
from creatorflow.config.settings import load_settings
from creatorflow.errors import ConfigError

names = st.sampled_from([k.section for k in KEYS] + ["x", "labels.format"])
leaves = st.sampled_from([k.leaf for k in KEYS] + ["fromat", ""])
scalars = st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=False), st.text(max_size=20))


def toml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(c if c.isprintable() else " " for c in escaped) + '"'
    return repr(value)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(names, leaves, scalars), max_size=8), st.text(max_size=40))
def test_any_file_loads_or_fails_cleanly(entries: list[tuple[str, str, object]], junk: str) -> None:
    failures: list[ConfigError] = []
    lines = [f"[{section}]\n{leaf or 'k'} = {toml_scalar(v)}" for section, leaf, v in entries]
    for text in ("\n".join(lines), "\n".join(lines) + "\n" + junk):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "config.toml"
            path.write_text(text, encoding="utf-8")
            try:
                loaded = load_settings(path, environ={})
            except ConfigError as error:
                failures.append(error)
                continue
            for setting in loaded:
                assert setting.key.check(setting.value) == setting.value
    assert all(error.message and error.exit_code == 2 for error in failures)
