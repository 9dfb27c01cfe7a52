"""Configuration and flags become the harness's settings."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harp_refactor.cli import entry_command, harness_settings
from harp_refactor.config import Config, load_config
from harp_refactor.errors import ConfigError


def _args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = {"timeout": None, "min_speedup": None, "entry": None}
    values.update(overrides)
    return argparse.Namespace(**values)


class TestHarnessSettings:
    def test_per_code_tolerance_replaces_the_project_tolerance(self) -> None:
        """A patch fixing HARP101 uses HARP101's tolerance, even when it is tighter than the project's."""
        config = Config(tolerance=(1e-3, 1e-4), per_code_tolerance={"HARP101": (1e-6, None)})
        settings = harness_settings(_args(), config, ["HARP101"])
        assert (settings.tolerance.rtol, settings.tolerance.atol) == (1e-6, 1e-4)
        other = harness_settings(_args(), config, ["HARP102"])
        assert (other.tolerance.rtol, other.tolerance.atol) == (1e-3, 1e-4)

    def test_flags_override_configuration(self) -> None:
        """--timeout, --min-speedup and --entry win over the configuration."""
        config = Config(timeout=30.0, min_speedup=1.5, entry=("train.py",))
        settings = harness_settings(_args(timeout=5.0, min_speedup=2.0, entry="python run.py --fast"), config)
        assert settings.limits.timeout_s == 5.0 and settings.min_speedup == 2.0
        assert settings.entry == ("run.py", "--fast")

    @pytest.mark.parametrize(
        ("command", "expected"),
        [
            ("python train.py --steps 2", ("train.py", "--steps", "2")),
            ("python -m pytest tests/test_model.py", ("pytest", "tests/test_model.py")),
            ("pytest -x", ("pytest", "-x")),
            ("script.py", ("script.py",)),
        ],
    )
    def test_entry_commands_are_normalised(self, command: str, expected: tuple[str, ...]) -> None:
        """Entry commands drop the interpreter and turn `-m pytest` into `pytest`."""
        assert entry_command(command) == expected


class TestHarnessConfiguration:
    def test_harness_keys_are_read(self, tmp_path: Path) -> None:
        """The harness's keys in [tool.harp-refactor] are parsed into the configuration."""
        path = tmp_path / "pyproject.toml"
        path.write_text(
            "[tool.harp-refactor]\n"
            'samples = "tests.samples:inputs"\nentry = "python train.py --steps 2"\ntimeout = 12\n'
            "memory-limit = 2048\ntolerance = {rtol = 1e-4}\nper-code-tolerance = {harp101 = {atol = 1e-7}}\n"
            "min-speedup = 1.1\ncompare-printed-numbers = true\n"
        )
        config = load_config(path)
        assert config.samples == "tests.samples:inputs" and config.entry == ("python", "train.py", "--steps", "2")
        assert (config.timeout, config.memory_limit, config.min_speedup) == (12.0, 2048, 1.1)
        assert config.tolerance == (1e-4, None) and config.per_code_tolerance == {"HARP101": (None, 1e-7)}
        assert config.compare_printed_numbers is True

    @pytest.mark.parametrize(
        ("line", "key"),
        [("timeout = 'soon'", "timeout"), ("tolerance = {rtol = 1e-4, btol = 1}", "tolerance")],
    )
    def test_bad_values_name_the_key(self, tmp_path: Path, line: str, key: str) -> None:
        """A value of the wrong kind is a configuration error naming the key and the file."""
        path = tmp_path / "pyproject.toml"
        path.write_text(f"[tool.harp-refactor]\n{line}\n")
        with pytest.raises(ConfigError, match=key) as error:
            load_config(path)
        assert str(path) in str(error.value)
