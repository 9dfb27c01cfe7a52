"""Evaluate rule files over a module's facts with clingo."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import clingo

from .facts import Facts, Term

COMMON_RULES = tuple(Path(__file__).with_name("patterns") / name for name in ("common.lp", "tensorflow.lp"))


@dataclass(frozen=True)
class Answer:
    """The atoms of the (unique, stratified) answer set, indexed by predicate."""

    atoms: dict[str, tuple[tuple[Term, ...], ...]]

    def __call__(self, predicate: str) -> tuple[tuple[Term, ...], ...]:
        return self.atoms.get(predicate, ())

    def ints(self, predicate: str) -> Iterator[tuple[int, ...]]:
        for args in self(predicate):
            yield tuple(int(arg) for arg in args)


@cache
def _rule_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _term(symbol: clingo.Symbol) -> Term:
    if symbol.type == clingo.SymbolType.Number:
        return int(symbol.number)
    if symbol.type == clingo.SymbolType.String:
        return str(symbol.string)
    return str(symbol)


def solve(facts: Facts, rule_files: Iterable[Path], flags: Iterable[str] = (), shown: Iterable[str] = ()) -> Answer:
    """Ground and solve facts + the common rules + `rule_files`; return the atoms named in `shown`
    (every atom when `shown` is empty).

    Our rules are stratified Datalog: grounding alone derives the one answer set, as facts, so
    the shown atoms are read straight from the grounder; rules that leave atoms undecided (a
    user's choice rule) are solved and the first model is read.
    """
    control = clingo.Control(["--warn=none"])
    program = [*(_rule_text(path) for path in COMMON_RULES), *(_rule_text(path) for path in rule_files)]
    program.extend(f"{flag}." for flag in flags)
    control.add("base", [], "\n".join(program))
    control.add("facts", [], facts.program())
    control.ground([("base", []), ("facts", [])])
    wanted = set(shown)
    symbols = _grounded_facts(control, wanted) if wanted else None
    if symbols is None:
        symbols = _first_model(control)
    atoms: dict[str, list[tuple[Term, ...]]] = {}
    for symbol in symbols:
        if not wanted or symbol.name in wanted:
            atoms.setdefault(symbol.name, []).append(tuple(_term(a) for a in symbol.arguments))
    return Answer({name: tuple(sorted(values, key=str)) for name, values in atoms.items()})


def _grounded_facts(control: clingo.Control, wanted: set[str]) -> list[clingo.Symbol] | None:
    """The atoms of the wanted predicates, when grounding decided them all; else None."""
    symbols = []
    for name, arity, positive in control.symbolic_atoms.signatures:
        if name not in wanted:
            continue
        for atom in control.symbolic_atoms.by_signature(name, arity, positive):
            if not atom.is_fact:
                return None
            symbols.append(atom.symbol)
    return symbols


def _first_model(control: clingo.Control) -> list[clingo.Symbol]:
    with control.solve(yield_=True) as handle:
        for model in handle:
            return list(model.symbols(atoms=True))
    return []
