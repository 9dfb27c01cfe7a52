"""The API knowledge base: the loader, and generate.py checked against the live registries."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harp_refactor.detectors import knowledge
from harp_refactor.detectors.knowledge import ApiInfo, KnowledgeBase, load

# One xdist worker runs this whole file: the generated knowledge base is module-scoped.
pytestmark = pytest.mark.xdist_group("test_knowledge")

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "detectors" / "knowledge"
FLAG_WORDS = {"pure", "random", "graph", "sync", "tensor", "view", "stateful", "attribute"}
FRAMEWORKS = ("torch.", "numpy.", "tensorflow.")


def info(name: str) -> ApiInfo:
    found = load().lookup(name)
    assert found is not None, f"{name} is missing from the knowledge base"
    return found


def committed_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((KNOWLEDGE_DIR / "api.json").read_text(encoding="utf-8"))
    return document


# ---------------------------------------------------------------------------------------------
# The loader: no framework needed
# ---------------------------------------------------------------------------------------------


def test_load_is_cached_and_fast() -> None:
    assert load() is load()
    text = knowledge._read_data()
    start = time.perf_counter()
    kb = KnowledgeBase.from_json(text)
    elapsed = time.perf_counter() - start
    assert len(kb) == len(load()) > 3000
    assert elapsed < 0.25, f"parsing api.json took {elapsed:.3f}s"


def test_loading_imports_no_framework() -> None:
    code = (
        "import sys, harp_refactor.detectors.knowledge as k; k.load().lookup('torch.matmul'); "
        "print(sorted({'torch', 'numpy', 'tensorflow'} & set(sys.modules)))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("torch.matmul", dict(pure=True, tensor=True, random=False, view=False, mutates=("out",))),
        ("torch.Tensor.add_", dict(pure=False, mutates=("self",), view=True)),
        ("torch.Tensor.add", dict(pure=True, mutates=())),
        ("torch.relu_", dict(pure=False, mutates=("0",))),
        ("torch.rand", dict(pure=False, random=True, stateful=True, tensor=True)),
        ("torch.Tensor.item", dict(pure=True, sync=True, tensor=False)),
        ("torch.Tensor.cpu", dict(sync=True, tensor=True, view=True)),
        ("torch.Tensor.view", dict(pure=True, view=True, tensor=True)),
        ("torch.Tensor.detach", dict(pure=True, view=True)),
        ("torch.Tensor.backward", dict(pure=False, stateful=True)),
        ("torch.cuda.synchronize", dict(pure=False, sync=True)),
        ("torch.nn.functional.relu", dict(pure=True, tensor=True)),
        ("torch.nn.functional.dropout", dict(pure=False, random=True)),
        ("torch.nn.Linear", dict(random=True, tensor=False)),
        ("torch.nn.ReLU", dict(pure=True, random=False)),
        ("torch.optim.SGD", dict(pure=False, stateful=True)),
        ("torch.save", dict(pure=False, stateful=True)),
        ("numpy.add", dict(pure=True, tensor=True, mutates=("2", "out"))),
        ("numpy.add.at", dict(pure=False, mutates=("0",))),
        ("numpy.sum", dict(pure=True, tensor=True, mutates=("out",))),
        ("numpy.reshape", dict(pure=True, view=True)),
        ("numpy.copyto", dict(pure=False, mutates=("0",))),
        ("numpy.random.normal", dict(pure=False, random=True)),
        ("numpy.random.seed", dict(random=True, stateful=True, tensor=False)),
        ("numpy.ndarray.sort", dict(pure=False, mutates=("self",))),
        ("numpy.ndarray.item", dict(pure=True, tensor=False, sync=False)),
        ("numpy.shape", dict(pure=True, tensor=False)),
        ("tensorflow.matmul", dict(pure=True, graph=True, tensor=True)),
        ("tensorflow.reduce_sum", dict(pure=True, graph=True)),
        ("tensorflow.print", dict(pure=False, stateful=True, graph=True)),
        ("tensorflow.random.uniform", dict(random=True, stateful=True, graph=True)),
        ("tensorflow.random.stateless_uniform", dict(pure=True, random=False)),
        ("tensorflow.nn.dropout", dict(random=True)),
        ("tensorflow.Variable", dict(stateful=True, graph=True)),
        ("tensorflow.Variable.assign", dict(mutates=("self",), stateful=True, graph=True)),
        ("tensorflow.Tensor.numpy", dict(sync=True, graph=False)),
        ("tensorflow.compat.v1.placeholder", dict(graph=True, pure=False)),
        ("tensorflow.compat.v1.assign", dict(mutates=("0",), stateful=True, graph=True)),
        ("tensorflow.compat.v1.global_variables_initializer", dict(graph=True, stateful=True)),
        ("tensorflow.compat.v1.Session", dict(graph=False, stateful=True)),
        ("tensorflow.compat.v1.Session.run", dict(graph=False, sync=True)),
    ],
)
def test_lookup_answers(name: str, expected: dict[str, object]) -> None:
    found = info(name)
    assert found.name == name
    for field, value in expected.items():
        assert getattr(found, field) == value, f"{name}.{field}"


def test_aliases_resolve_to_canonical_names() -> None:
    kb = load()
    assert info("tensorflow.compat.v1.matmul").name == "tensorflow.matmul"
    assert info("tensorflow.compat.v2.nn.relu").name == "tensorflow.nn.relu"
    assert info("tensorflow.compat.v1.placeholder").name == "tensorflow.compat.v1.placeholder"
    assert "tensorflow.compat.v1.matmul" in kb and "tensorflow.matmul" in kb
    assert kb.lookup("torch.no_such_function") is None
    assert "torch.no_such_function" not in kb
    assert kb.lookup("tensorflow.compat.v1.no_such_function") is None


def test_method_combines_frameworks_conservatively() -> None:
    kb = load()
    both = kb.method("sort")
    assert both is not None
    assert set(both.name.split("|")) == {"torch.Tensor.sort", "numpy.ndarray.sort"}
    assert not both.pure and both.mutates == ("self",)
    only_torch = kb.method("sort", frameworks=("torch",))
    assert only_torch is not None and only_torch.pure and only_torch.mutates == ()
    numpy_ = kb.method("numpy")
    assert numpy_ is not None and numpy_.sync
    assign = kb.method("assign")
    assert assign is not None and assign.name == "tensorflow.Variable.assign" and assign.mutates == ("self",)
    add_ = kb.method("add_")
    assert add_ is not None and add_.mutates == ("self",) and not add_.pure
    assert kb.method("no_such_method") is None
    assert kb.method("T") is None, "attributes are not methods"


def test_attributes() -> None:
    kb = load()
    for name in ("T", "mT", "real", "imag"):
        found = kb.attribute(name)
        assert found is not None and found.pure and found.view and found.tensor, name
    shape = kb.attribute("shape")
    assert shape is not None and shape.pure and not shape.tensor and not shape.view
    grad = kb.attribute("grad")
    assert grad is not None and grad.pure and grad.tensor and grad.name == "torch.Tensor.grad"
    assert kb.attribute("dtype") is not None
    assert kb.attribute("sum") is None, "methods are not attributes"


def test_every_entry_is_well_formed() -> None:
    kb = load()
    document = committed_document()
    assert document["format"] == knowledge.FORMAT
    for name, raw in document["apis"].items():
        assert name.startswith(FRAMEWORKS), name
        assert set(raw) <= {"flags", "mutates", "via"}, name
        assert set(raw["flags"]) <= FLAG_WORDS, name
        found = kb.lookup(name)
        assert found is not None
        assert all(arg == "self" or arg.isdigit() or arg.isidentifier() for arg in found.mutates), name
        assert list(found.mutates) == sorted(found.mutates, key=knowledge._mutation_order), name
        if found.pure:
            assert not (found.random or found.stateful or "self" in found.mutates), name
        if found.random:
            assert found.stateful, name
        if name.startswith(("torch.", "numpy.")):
            assert not found.graph, name


def test_file_is_one_entry_per_line_and_small() -> None:
    path = KNOWLEDGE_DIR / "api.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(committed_document()["apis"]) + 6
    assert path.stat().st_size < 1_500_000


# ---------------------------------------------------------------------------------------------
# generate.py against the frameworks' registries
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generate() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("harp_knowledge_generate", KNOWLEDGE_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def torch_entries(generate: ModuleType) -> dict[str, Any]:
    pytest.importorskip("torch")
    entries: dict[str, Any] = generate.torch_apis()
    return entries


@pytest.fixture(scope="module")
def tf_entries(generate: ModuleType) -> dict[str, Any]:
    pytest.importorskip("tensorflow")
    entries: dict[str, Any] = generate.tf_apis()
    return entries


@pytest.fixture(scope="module")
def numpy_entries(generate: ModuleType) -> dict[str, Any]:
    pytest.importorskip("numpy")
    entries: dict[str, Any] = generate.numpy_apis()
    return entries


def test_torch_entries_follow_schemas_and_tags(torch_entries: dict[str, Any]) -> None:
    import torch

    seeded = torch.Tag.nondeterministic_seeded
    checked_random = checked_inplace = 0
    for full in torch._C._dispatch_get_all_op_names():
        if not full.startswith("aten::"):
            continue
        base, _, overload = full[len("aten::") :].partition(".")
        op = getattr(getattr(torch.ops.aten, base), overload or "default")
        if seeded in op.tags and f"torch.{base}" in torch_entries:
            entry = torch_entries[f"torch.{base}"]
            assert entry.random and not entry.pure, base
            checked_random += 1
        self_written = any(a.name == "self" and a.alias_info and a.alias_info.is_write for a in op._schema.arguments)
        if self_written and f"torch.Tensor.{base}" in torch_entries:
            entry = torch_entries[f"torch.Tensor.{base}"]
            assert "self" in entry.mutates and not entry.pure, base
            checked_inplace += 1
    assert checked_random > 20 and checked_inplace > 200


def test_torch_views_and_python_level_functions(torch_entries: dict[str, Any]) -> None:
    for name in ("transpose", "t", "permute", "expand", "unsqueeze", "squeeze", "flatten", "reshape", "split"):
        assert torch_entries[f"torch.Tensor.{name}"].view, name
    for name in ("add", "clone", "matmul", "sum"):
        assert not torch_entries[f"torch.Tensor.{name}"].view, name
    assert torch_entries["torch.add"].mutates == ("out",)
    assert torch_entries["torch.Tensor.add"].mutates == ()
    assert torch_entries["torch.Tensor.item"].sync
    assert torch_entries["torch.nn.functional.gumbel_softmax"].random  # Python source calls exponential_
    assert torch_entries["torch.pca_lowrank"].random  # through a helper that calls randn
    assert torch_entries["torch.unique"].pure
    assert torch_entries["torch.nn.init.uniform_"].random
    assert torch_entries["torch.nn.init.uniform_"].mutates == ("0",)
    assert not torch_entries["torch.nn.init.zeros_"].random
    assert torch_entries["torch.nn.TransformerEncoderLayer"].random  # builds Linear layers
    assert not torch_entries["torch.nn.LayerNorm"].random  # ones and zeros
    assert torch_entries["torch.Tensor.T"].attribute and torch_entries["torch.Tensor.T"].view


def test_tensorflow_entries_follow_opdefs(tf_entries: dict[str, Any]) -> None:
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry

    for name in dir(tf.raw_ops):
        op_def = op_def_registry.get(name)
        if name.startswith("_") or op_def is None:
            continue
        entry = tf_entries[f"tensorflow.raw_ops.{name}"]
        assert entry.graph, name
        if op_def.is_stateful:
            assert entry.stateful and not entry.pure, name
        updates_ref = any(arg.is_ref for arg in op_def.input_arg) and any(arg.is_ref for arg in op_def.output_arg)
        if updates_ref and not name.startswith(("Ref", "Debug")):  # Assign, ScatterAdd, ApplyAdam, ...
            assert entry.mutates and entry.stateful and not entry.pure, name
    assert tf_entries["tensorflow.matmul"].via == "opdef" and tf_entries["tensorflow.matmul"].pure
    assert tf_entries["tensorflow.print"].stateful
    assert tf_entries["tensorflow.random.uniform"].random
    assert tf_entries["tensorflow.random.stateless_normal"].pure
    assert tf_entries["tensorflow.compat.v1.assign"].mutates == ("0",)
    assert tf_entries["tensorflow.io.write_file"].stateful
    assert "tensorflow.compat.v1.matmul" not in tf_entries, "TF1 names of TF2 objects are aliases"


def test_numpy_entries_follow_ufuncs_and_signatures(numpy_entries: dict[str, Any]) -> None:
    import numpy as np

    ufuncs = [name for name in dir(np) if isinstance(getattr(np, name), np.ufunc)]
    assert len(ufuncs) > 50
    for name in ufuncs:
        entry = numpy_entries[f"numpy.{name}"]
        assert entry.pure and entry.tensor and "out" in entry.mutates, name
    assert numpy_entries["numpy.mean"].mutates == ("out",)
    assert numpy_entries["numpy.linalg.inv"].pure
    assert all(entry.random for key, entry in numpy_entries.items() if key.startswith("numpy.random."))
    assert numpy_entries["numpy.ndarray.T"].view and numpy_entries["numpy.ndarray.T"].attribute


def test_curated_entries_exist_and_win(generate: ModuleType) -> None:
    document = committed_document()["apis"]
    curated = generate.curated_entries(generate.curated())
    assert curated
    for name, entry in curated.items():
        assert name in document, f"curated {name} is not in api.json"
        assert document[name]["via"] == "curated", name
        assert set(entry.flags()) - {"attribute"} == set(document[name]["flags"]) - {"attribute"}, name
        assert tuple(document[name].get("mutates", ())) == entry.mutates, name


def test_curated_operator_names_exist(generate: ModuleType) -> None:
    tf = pytest.importorskip("tensorflow")
    apis = committed_document()["apis"]
    matched = {name.rsplit(".", 1)[1] for name, raw in apis.items() if raw["via"] == "opdef"}
    for function, op in generate.curated()["map"]["tensorflow"].items():
        assert hasattr(tf.raw_ops, op), f"{function} -> {op}"
        assert function.removesuffix("_v1") in matched, f"no public function {function} was matched to {op}"
    assert committed_document()["apis"]["tensorflow.reduce_sum"]["via"] == "opdef"


def test_curated_specs_are_checked(generate: ModuleType) -> None:
    assert generate.parse_spec("stateful mutates=out,self,0").mutates == ("self", "0", "out")
    for bad in ("pure random stateful", "pure mutates=self", "random", "pure fast"):
        with pytest.raises(ValueError):
            generate.parse_spec(bad)


def test_check_mode_reports_a_stale_file(generate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = {"format": 1, "versions": {}, "apis": {"numpy.abs": {"flags": ["pure", "tensor"], "via": "ufunc"}}}
    monkeypatch.setattr(generate, "build", lambda: document)
    target = tmp_path / "api.json"
    assert generate.main(["--check", "--output", str(target)]) == 1
    assert generate.main(["--output", str(target)]) == 0
    assert generate.main(["--check", "--output", str(target)]) == 0
    assert KnowledgeBase.from_json(target.read_text(encoding="utf-8")).lookup("numpy.abs") is not None


def test_regenerating_gives_the_committed_file(generate: ModuleType) -> None:
    """api.json is up to date with generate.py, curated.toml and the installed frameworks."""
    pytest.importorskip("torch")
    pytest.importorskip("tensorflow")
    import numpy
    import tensorflow
    import torch

    committed = committed_document()
    installed = {"numpy": numpy.__version__, "tensorflow": tensorflow.__version__, "torch": torch.__version__}
    if committed["versions"] != installed:
        pytest.skip(f"api.json was generated with {committed['versions']}, installed are {installed}")
    text = generate.render(generate.build())
    assert text == (KNOWLEDGE_DIR / "api.json").read_text(encoding="utf-8"), (
        "api.json is stale: run python detectors/knowledge/generate.py"
    )
