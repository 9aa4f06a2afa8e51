"""The one typed settings module: every option described, sizes and booleans parsed, a bad value named loudly."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields

import pytest

from autograder.cli import main
from autograder.layout import REPO_ROOT
from autograder.settings import Settings, SettingsError


def test_every_setting_has_a_description_and_a_default_that_parses_back():
    defaults = Settings()
    for f in fields(Settings):
        assert len(f.metadata["help"]) > 20, f"{f.name} needs a description"
        value = getattr(defaults, f.name)
        if value is None:  # unset: the path decides (AUTOGRADER_REQUIRE); no text stands for it
            continue
        text = ":".join(value) if isinstance(value, list) else str(int(value) if isinstance(value, bool) else value)
        assert getattr(Settings.from_env({f"AUTOGRADER_{f.name.upper()}": text}), f.name) == value


@pytest.mark.parametrize(
    ("variable", "text", "value"),
    [
        ("AUTOGRADER_MEMORY", "4G", 4 << 30),
        ("AUTOGRADER_MEMORY", "512m", 512 << 20),
        ("AUTOGRADER_FSIZE", "1.5K", 1536),
        ("AUTOGRADER_NAMESPACES", "off", False),
        ("AUTOGRADER_NAMESPACES", "YES", True),
        ("AUTOGRADER_CALL_TIMEOUT", "2.5", 2.5),
    ],
)
def test_values_parse(variable, text, value):
    assert getattr(Settings.from_env({variable: text}), variable.removeprefix("AUTOGRADER_").lower()) == value


@pytest.mark.parametrize(
    ("variable", "text"),
    [("AUTOGRADER_MEMORY", "4Q"), ("AUTOGRADER_CPU", "-1"), ("AUTOGRADER_NAMESPACES", "maybe"), ("AUTOGRADER_CALL_TIMEOUT", "0")],
)
def test_a_bad_value_is_an_error_naming_the_variable(variable, text):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: text})


def test_the_command_line_refuses_a_bad_setting_before_grading(monkeypatch, capsys):
    monkeypatch.setenv("AUTOGRADER_MEMORY", "4Q")
    assert main(["grade", "solutions", "--only", "one_hot", "--in-process", "--results", "/dev/null"]) == 2
    assert "AUTOGRADER_MEMORY='4Q' is not valid" in capsys.readouterr().err


def test_config_prints_every_setting_and_where_it_came_from():
    out = subprocess.run(
        [sys.executable, "-m", "autograder", "config"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"AUTOGRADER_CPU": "7", "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert set(rows) == {f"AUTOGRADER_{f.name.upper()}" for f in fields(Settings)}
    assert "7" in rows["AUTOGRADER_CPU"] and "(env)" in rows["AUTOGRADER_CPU"] and "(default)" in rows["AUTOGRADER_MEMORY"]
