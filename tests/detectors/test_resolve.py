"""Jedi finds where a speculatively hoisted function is defined, across modules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harp_refactor.detectors.pattern import Options
from harp_refactor.detectors.resolve import definition_site
from harp_refactor.pipeline import Settings, analyse_text

MAIN = """
import torch
from mylib import normalise
def f(W, x):
    out = []
    for _ in range(3):
        out.append(normalise(W) @ x)
    return out
"""
LIBRARY = """
import torch


def normalise(W):
    return W / torch.linalg.norm(W)
"""


class TestDefinitionSite:
    def test_finds_a_function_in_a_sibling_module(self, write: Callable[[str, str], Path]) -> None:
        """A name imported from a sibling module resolves to its `def` line there."""
        library = write("mylib.py", LIBRARY)
        main = write("main.py", MAIN)
        site = definition_site(str(main), main.read_text(), 6, 19)
        assert site == f"{library.resolve()}:4"

    def test_unknown_name_gives_none(self, write: Callable[[str, str], Path]) -> None:
        """A name Jedi cannot resolve gives None rather than an error."""
        main = write("main.py", "import torch\nmissing_function(1)\n")
        assert definition_site(str(main), main.read_text(), 2, 3) is None

    def test_speculative_finding_says_where_to_read(self, write: Callable[[str, str], Path]) -> None:
        """The assumption of a --speculative hoist names the definition a person should read."""
        library = write("mylib.py", LIBRARY)
        main = write("main.py", MAIN)
        settings = Settings(options=Options(speculative=True))
        (finding,) = analyse_text(str(main), main.read_text(), settings)
        (assumption,) = [a for a in finding.assumptions if a.pattern == "pure_function"]
        assert assumption.check == f"read `normalise` at {library.resolve()}:4"
