"""The API knowledge base: what the analysis knows about framework calls.

Which calls are pure, random, in-place, graph-building (TF1), device-synchronising, which
return tensors and which return views of their inputs. The facts come from the frameworks'
own registries (PyTorch operator schemas and tags, TensorFlow OpDefs, NumPy ufuncs) plus a
short curated list; ``knowledge/generate.py`` writes them to ``knowledge/api.json``, which
ships with the package. This module only reads that file: analysis never imports torch,
tensorflow or numpy.

Names are canonical qualified names: ``torch.matmul``, ``torch.Tensor.add_``,
``numpy.ndarray.sum``, ``tensorflow.Variable.assign``. A TF1 API that has no TF2 namesake is
stored as ``tensorflow.compat.v1.X``; other ``tensorflow.compat.v1.X`` and
``tensorflow.compat.v2.X`` names resolve to ``tensorflow.X``.

``mutates`` names the arguments a call writes: ``"self"`` for the receiver of a method,
``"0"``, ``"1"``… for positional arguments (counted after the receiver), or a keyword name.
A keyword such as ``"out"``, and a position that is optional (a ufunc's positional output),
is written only when the caller passes it: ``torch.add`` is pure *and* mutates ``("out",)``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["ApiInfo", "KnowledgeBase", "load"]

FORMAT = 1
# Where a method called on a value of unknown framework may be defined, per framework.
TENSOR_CLASSES: Mapping[str, tuple[str, ...]] = {
    "torch": ("torch.Tensor",),
    "numpy": ("numpy.ndarray",),
    "tensorflow": ("tensorflow.Tensor", "tensorflow.Variable"),
}
# Name prefixes that are spelled differently but mean the same API.
ALIAS_PREFIXES = (("tensorflow.compat.v1.", "tensorflow."), ("tensorflow.compat.v2.", "tensorflow."))


@dataclass(frozen=True)
class ApiInfo:
    """What the analysis needs to know about one framework API."""

    name: str  # canonical qualified name, e.g. "torch.matmul"; "a|b" when combined from several
    pure: bool  # no side effects, result depends only on arguments (deterministic); random is not pure
    random: bool  # consumes a (seeded) random generator
    mutates: tuple[str, ...]  # arguments written in place: "self", "0", "1", ..., or keyword names
    graph: bool  # TF1: calling it adds an operation to the default graph
    sync: bool  # waits for the device or copies to the host (.item(), .cpu(), .numpy(), ...)
    tensor: bool  # returns a tensor / ndarray (or a tuple of them)
    view: bool  # the result may share memory with an input
    stateful: bool  # has state beyond its arguments (variables, generators, files, global settings)


def _mutation_order(arg: str) -> tuple[int, int, str]:
    """The receiver first, then positions in order, then keyword names."""
    if arg == "self":
        return (0, 0, "")
    if arg.isdigit():
        return (1, int(arg), "")
    return (2, 0, arg)


def _combine(infos: list[ApiInfo]) -> ApiInfo:
    """Conservative union of several frameworks' answers for one method or attribute."""
    if len(infos) == 1:
        return infos[0]
    mutates = {arg for info in infos for arg in info.mutates}
    return ApiInfo(
        name="|".join(info.name for info in infos),
        pure=all(info.pure for info in infos),
        random=any(info.random for info in infos),
        mutates=tuple(sorted(mutates, key=_mutation_order)),
        graph=any(info.graph for info in infos),
        sync=any(info.sync for info in infos),
        tensor=all(info.tensor for info in infos),
        view=any(info.view for info in infos),
        stateful=any(info.stateful for info in infos),
    )


class KnowledgeBase:
    """Read-only view of ``api.json``; ``ApiInfo`` records are built on first use."""

    def __init__(self, apis: Mapping[str, Mapping[str, Any]], versions: Mapping[str, str] | None = None) -> None:
        self._apis = dict(apis)
        self._attributes = frozenset(name for name, raw in self._apis.items() if "attribute" in raw.get("flags", ()))
        self._infos: dict[str, ApiInfo] = {}
        self._versions = dict(versions or {})

    @classmethod
    def from_json(cls, text: str) -> KnowledgeBase:
        """Parse the document ``knowledge/generate.py`` writes."""
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise ValueError(f"unsupported knowledge base format {document.get('format')!r}")
        return cls(document["apis"], document.get("versions"))

    @property
    def versions(self) -> Mapping[str, str]:
        """Framework versions the data was generated with (``{"torch": "2.13.0+cpu", ...}``)."""
        return dict(self._versions)

    def _info(self, name: str) -> ApiInfo:
        info = self._infos.get(name)
        if info is None:
            raw = self._apis[name]
            flags = frozenset(raw.get("flags", ()))
            info = ApiInfo(
                name=name,
                pure="pure" in flags,
                random="random" in flags,
                mutates=tuple(raw.get("mutates", ())),
                graph="graph" in flags,
                sync="sync" in flags,
                tensor="tensor" in flags,
                view="view" in flags,
                stateful="stateful" in flags,
            )
            self._infos[name] = info
        return info

    def _resolve(self, qualified_name: str) -> str | None:
        if qualified_name in self._apis:
            return qualified_name
        for prefix, canonical in ALIAS_PREFIXES:
            if qualified_name.startswith(prefix):
                alias = canonical + qualified_name[len(prefix) :]
                if alias in self._apis:
                    return alias
        return None

    def lookup(self, qualified_name: str) -> ApiInfo | None:
        """The API with this qualified name (or a known alias of it), or None if unknown."""
        name = self._resolve(qualified_name)
        return self._info(name) if name is not None else None

    def _members(self, member: str, frameworks: Iterable[str], attributes: bool) -> ApiInfo | None:
        infos = []
        for framework in frameworks:
            for cls in TENSOR_CLASSES.get(framework, ()):
                name = f"{cls}.{member}"
                if name in self._apis and (name in self._attributes) == attributes:
                    infos.append(self._info(name))
        return _combine(infos) if infos else None

    def method(self, method_name: str, frameworks: Iterable[str] = ("torch", "numpy", "tensorflow")) -> ApiInfo | None:
        """A tensor method called on a value of unknown framework.

        Looks up ``torch.Tensor.<m>``, ``numpy.ndarray.<m>``, ``tensorflow.Tensor.<m>`` and
        ``tensorflow.Variable.<m>`` for the given frameworks. When several define it, the
        answer is conservative: pure and tensor only if all say so; random, graph, sync,
        view, stateful if any does; mutates is the union. Attributes are not methods.
        """
        return self._members(method_name, frameworks, attributes=False)

    def attribute(self, attr_name: str) -> ApiInfo | None:
        """A tensor attribute read (``x.T``, ``x.shape``, ``x.grad``), combined like ``method``."""
        return self._members(attr_name, TENSOR_CLASSES, attributes=True)

    def __contains__(self, qualified_name: object) -> bool:
        return isinstance(qualified_name, str) and self._resolve(qualified_name) is not None

    def __len__(self) -> int:
        return len(self._apis)


def _read_data() -> str:
    """The shipped ``knowledge/api.json``, from the installed package when there is one."""
    package = __spec__.parent if __spec__ is not None else ""
    if package:
        try:
            return resources.files(package).joinpath("knowledge").joinpath("api.json").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            pass
    return (Path(__file__).resolve().parent / "knowledge" / "api.json").read_text(encoding="utf-8")


@functools.cache
def load() -> KnowledgeBase:
    """The knowledge base shipped with the package (parsed once per process)."""
    return KnowledgeBase.from_json(_read_data())
