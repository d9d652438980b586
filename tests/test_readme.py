"""The README documents what authors and new machines need."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT

from reportkit.manifest import FIELDS
from reportkit.themes import setting_names

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_report_toml_field_is_documented_with_its_default():
    documented = set(re.findall(r"^\| `(\w+)` \|", README, flags=re.M))
    assert documented == set(FIELDS)


def test_every_theme_setting_is_documented_with_the_default_styles_value():
    rows = dict(re.findall(r"^\| `(\w+\.\w+)` \| (.*?) \|", README, flags=re.M))
    assert list(rows) == setting_names()
    defaults = tomllib.loads((ROOT / "styles" / "default" / "theme.toml").read_text(encoding="utf-8"))
    for name, shown in rows.items():
        table, key = name.split(".")
        assert tomllib.loads(f"value = {shown}")["value"] == defaults[table][key], name


def test_opens_with_the_two_fresh_machine_commands():
    commands = re.findall(r"^(?!#)(.+)$", README.split("```sh", 1)[1].split("```", 1)[0], flags=re.M)
    commands = [c for c in commands if c.strip()]
    assert len(commands) == 2
    assert "pip install" in commands[0] and "reportkit build reports/kyrgyzstan-2013" in commands[0]
    assert "pip install -e '.[test]'" in commands[1] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci and "python -m pytest -q" in ci
