"""The settings file: a hand-edited or damaged value is refused naming the file, never a
traceback at start-up (the scanner settings' own checks are in test_scanner.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.branch.config import ConfigError, load_config


@pytest.mark.parametrize("text, message", [
    ('{"zone": 5}', "zone must be an object"),
    ('{"zone": {"x": 0.1}}', "a signature zone needs exactly the keys"),
    ('{"store_path": 5}', "store_path must be a text"),
    ('{"target_far": 2}', "target_far must be between 0 and 1"),
    ("[" * 20000 + "]" * 20000, "cannot be used"),
])
def test_settings_of_the_wrong_type_are_named_not_a_traceback(tmp_path: Path, text: str,
                                                              message: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
