"""The installed package: one import name, no generic top-level modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class TestInstalledLayout:
    def test_no_generic_top_level_modules_are_importable(self, tmp_path: Path) -> None:
        """Outside the checkout, `refactor`, `detectors`, `transforms` and `equivalence` do not import."""
        probe = (
            "import importlib.util as u, harp_refactor.detectors.patterns, harp_refactor.transforms.hoist\n"
            "print([m for m in ('refactor', 'detectors', 'transforms', 'equivalence') if u.find_spec(m)])"
        )
        result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "[]"

    def test_rule_files_and_knowledge_base_are_installed(self) -> None:
        """The package carries its clingo rules and its generated knowledge base."""
        from harp_refactor.detectors.knowledge import load
        from harp_refactor.detectors.patterns import all_patterns

        assert all(pattern.rule_path().is_file() for pattern in all_patterns().values())
        assert len(load()) > 3000
