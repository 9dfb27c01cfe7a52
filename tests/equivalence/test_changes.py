"""What rewrites like ours change: the probes that must run and the wrong variants that must be told apart."""

from __future__ import annotations

import builtins
import itertools
import linecache
import textwrap
from typing import Any

import numpy as np
import pytest

from harp_refactor.equivalence import perturb
from harp_refactor.equivalence.changes import (
    ORIGINAL,
    REWRITTEN,
    Probe,
    changed_units,
    describe_lines,
    probes,
    variants,
)

RUNS = itertools.count()


def program(text: str) -> str:
    """A program written indented in a test, as the text of its file."""
    return textwrap.dedent(text).lstrip("\n")


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line holding the `occurrence`-th line that contains `fragment`."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if fragment in line]
    return found[occurrence - 1]


def run(source: str, function: str, *args: Any) -> Any:
    """Execute a program's text as a module and call one of its functions, with the helpers installed."""
    saved = {name: getattr(builtins, name) for name in perturb.NAMES if hasattr(builtins, name)}
    perturb.install()
    filename = f"<case {next(RUNS)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # AutoGraph reads the source
    namespace: dict[str, Any] = {"__name__": "case"}
    try:
        exec(compile(source, filename, "exec"), namespace)
        return namespace[function](*args)
    finally:
        for name in perturb.NAMES:
            if name in saved:
                setattr(builtins, name, saved[name])
            else:
                delattr(builtins, name)


HOIST_BEFORE = program('''
    import numpy as np


    def normalise(batches, weights):
        """Scale every batch by the norm of the weights."""
        out = []
        for batch in batches:
            scale = np.sqrt((weights * weights).sum())
            out.append(batch / scale)
        return out
''')

HOIST_AFTER = program('''
    import numpy as np


    def normalise(batches, weights):
        """Scale every batch by the norm of the weights."""
        out = []
        scale = np.sqrt((weights * weights).sum())
        for batch in batches:
            out.append(batch / scale)
        return out
''')

HOIST_GUARDED = program('''
    import numpy as np


    def normalise(batches, weights):
        """Scale every batch by the norm of the weights."""
        out = []
        if len(batches) > 0:
            scale = np.sqrt((weights * weights).sum())
        for batch in batches:
            out.append(batch / scale)
        return out
''')

REUSE_BEFORE = program("""
    import numpy as np


    def softmax_rows(queries, keys):
        rows = []
        for q in queries:
            rows.append(np.exp(q @ keys.T) / np.exp(q @ keys.T).sum())
        return rows
""")

REUSE_AFTER = program("""
    import numpy as np


    def softmax_rows(queries, keys):
        rows = []
        for q in queries:
            logits = np.exp(q @ keys.T)
            rows.append(logits / logits.sum())
        return rows
""")

SLICE_BEFORE = program("""
    def smooth(signal, out):
        n = len(signal)
        for i in range(1, n - 1):
            out[i] = 0.25 * signal[i - 1] + 0.5 * signal[i] + 0.25 * signal[i + 1]
        return out
""")

SLICE_AFTER = program("""
    def smooth(signal, out):
        n = len(signal)
        out[1 : n - 1] = 0.25 * signal[0 : n - 2] + 0.5 * signal[1 : n - 1] + 0.25 * signal[2:n]
        return out
""")

METHOD_BEFORE = program("""
    import tensorflow as tf


    class Trainer:
        def __init__(self, model, optimizer):
            self.model = model
            self.optimizer = optimizer

        def train_step(self, x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self.model(x) - y))
            grads = tape.gradient(loss, self.model.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
            return loss
""")

METHOD_AFTER = METHOD_BEFORE.replace("    def train_step", "    @tf.function\n    def train_step")

FUNCTION_BEFORE = program("""
    import tensorflow as tf


    def weighted_total(batches, weights):
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(batches)[0]):
            total += tf.reduce_sum(batches[i] * weights)
        return total
""")

FUNCTION_AFTER = FUNCTION_BEFORE.replace("def weighted_total", "@tf.function\ndef weighted_total")

RELU_BEFORE = program("""
    import torch
    import torch.nn.functional as F


    class Block(torch.nn.Module):
        def __init__(self, width):
            super().__init__()
            self.linear = torch.nn.Linear(width, width)

        def forward(self, x):
            h = self.linear(x)
            F.relu(h, inplace=True)
            return h.sum(dim=-1)
""")

RELU_AFTER = RELU_BEFORE.replace("        F.relu(h, inplace=True)\n", "")

CLIP_BEFORE = program("""
    import numpy as np


    def accumulate(grads, totals, clip):
        for g, total in zip(grads, totals):
            if clip:
                np.clip(g, -1.0, 1.0, out=g)
            total += g
        return totals
""")

CLIP_AFTER = CLIP_BEFORE.replace("np.clip(g, -1.0, 1.0, out=g)", "pass")

MODULE_BEFORE = program("""
    import numpy as np

    weights = np.linspace(0.0, 1.0, 16)
    for step in range(3):
        weights = weights * 0.9 + np.sqrt((weights**2).sum())
""")

MODULE_AFTER = program("""
    import numpy as np

    weights = np.linspace(0.0, 1.0, 16)
    for step in range(3):
        norm = np.sqrt((weights**2).sum())
        weights = weights * 0.9 + norm
""")


class TestProbes:
    """The places whose execution shows that the changed statements ran."""

    def test_hoist(self) -> None:
        """A hoisted statement is probed where it now is and where it was inside the loop."""
        line = "scale = np.sqrt"
        assert probes(HOIST_BEFORE, HOIST_AFTER) == (
            Probe(REWRITTEN, line_of(HOIST_AFTER, line), "", f"rewritten line {line_of(HOIST_AFTER, line)}"),
            Probe(ORIGINAL, line_of(HOIST_BEFORE, line), "", f"original line {line_of(HOIST_BEFORE, line)}"),
        )

    def test_hoist_with_guard(self) -> None:
        """A guard added around a hoisted statement is probed at its `if` line, and the statement too."""
        found = {(probe.version, probe.line) for probe in probes(HOIST_BEFORE, HOIST_GUARDED)}
        assert found == {
            (REWRITTEN, line_of(HOIST_GUARDED, "if len(batches)")),
            (REWRITTEN, line_of(HOIST_GUARDED, "scale = np.sqrt")),
            (ORIGINAL, line_of(HOIST_BEFORE, "scale = np.sqrt")),
        }

    def test_reuse_via_a_temp(self) -> None:
        """Both the temp's assignment and the statement that reuses it are probed, against the original line."""
        found = [(probe.version, probe.line) for probe in probes(REUSE_BEFORE, REUSE_AFTER)]
        assert found == [
            (REWRITTEN, line_of(REUSE_AFTER, "logits = ")),
            (REWRITTEN, line_of(REUSE_AFTER, "rows.append")),
            (ORIGINAL, line_of(REUSE_BEFORE, "rows.append")),
        ]

    def test_loop_replaced_by_a_slice(self) -> None:
        """A slice statement replacing a loop is probed, and so are the loop's header and body."""
        found = [(probe.version, probe.line) for probe in probes(SLICE_BEFORE, SLICE_AFTER)]
        assert found == [(REWRITTEN, 3), (ORIGINAL, 3), (ORIGINAL, 4)]

    def test_decorator_added_to_a_method(self) -> None:
        """An added decorator is covered by entering the method, in both versions."""
        assert probes(METHOD_BEFORE, METHOD_AFTER) == (
            Probe(REWRITTEN, 0, "Trainer.train_step", "Trainer.train_step (decorator changed)"),
            Probe(ORIGINAL, 0, "Trainer.train_step", "original Trainer.train_step"),
        )

    def test_decorator_added_to_a_nested_function(self) -> None:
        """A nested function is named by its qualname, as `co_qualname` spells it."""
        before = program("""
            import tensorflow as tf


            def make_step(model):
                def step(x):
                    return model(x)

                return step
        """)
        after = before.replace("    def step", "    @tf.function\n    def step")
        assert [probe.function for probe in probes(before, after)] == ["make_step.<locals>.step"] * 2

    def test_removed_statement(self) -> None:
        """A deleted statement is probed in the original only."""
        line = line_of(RELU_BEFORE, "F.relu")
        assert probes(RELU_BEFORE, RELU_AFTER) == (Probe(ORIGINAL, line, "", f"original line {line}"),)

    def test_multi_line_statement(self) -> None:
        """A change in the middle of a multi-line statement is probed at the statement's first line."""
        before = program("""
            def regularised_loss(criterion, out, y, params, weight_decay):
                loss = (
                    criterion(out, y)
                    + weight_decay * sum((p**2).sum() for p in params)
                )
                return loss
        """)
        after = before.replace("sum((p**2).sum() for p in params)", "sum((p * p).sum() for p in params)")
        assert [(probe.version, probe.line) for probe in probes(before, after)] == [(REWRITTEN, 2), (ORIGINAL, 2)]

    def test_compound_header(self) -> None:
        """A changed `for` line is probed at the loop's header."""
        before = "def total(xs, n):\n    s = 0.0\n    for i in range(n):\n        s += xs[i]\n    return s\n"
        after = before.replace("range(n)", "range(0, n)")
        assert [(probe.version, probe.line) for probe in probes(before, after)] == [(REWRITTEN, 3), (ORIGINAL, 3)]

    def test_comment_and_blank_lines(self) -> None:
        """A rewrite that changes only comments and blank lines has nothing to probe."""
        before = "def mean(xs):\n    # the mean\n    return sum(xs) / len(xs)\n"
        after = "def mean(xs):\n    # the arithmetic mean\n\n    return sum(xs) / len(xs)\n"
        assert probes(before, after) == ()

    def test_unparsable(self) -> None:
        """A version that does not parse gives no probes."""
        assert probes("def f(:\n", "def f():\n    pass\n") == ()


class TestVariants:
    """Deliberately wrong versions of a rewrite, one per changed value."""

    def test_hoist(self) -> None:
        """The hoisted value is wrapped where it now is, and the variant computes a different result."""
        (variant,) = variants(HOIST_BEFORE, HOIST_AFTER)
        line = line_of(HOIST_AFTER, "scale = np.sqrt")
        assert variant.lines == (line,)
        assert variant.what == f"the value assigned on line {line} perturbed"
        assert (
            variant.source.splitlines()[line - 1]
            == "    scale = __harp_perturb__((np.sqrt((weights * weights).sum())))"
        )
        batches, weights = [np.ones(3), np.arange(3.0)], np.array([3.0, 4.0])
        expected = run(HOIST_BEFORE, "normalise", batches, weights)
        actual = run(variant.source, "normalise", batches, weights)
        assert not np.allclose(np.stack(actual), np.stack(expected), rtol=1e-5)

    def test_hoist_with_guard(self) -> None:
        """A guarded hoist perturbs the hoisted value, and a moved statement is not taken for a removal."""
        (variant,) = variants(HOIST_BEFORE, HOIST_GUARDED)
        assert variant.lines == (line_of(HOIST_GUARDED, "scale = np.sqrt"),)
        assert "__harp_perturb_in_place__" not in variant.source

    def test_reuse_via_a_temp(self) -> None:
        """The temp's value is one site, the argument of the call that reuses it another."""
        temp, call = variants(REUSE_BEFORE, REUSE_AFTER)
        assert "logits = __harp_perturb__((np.exp(q @ keys.T)))" in temp.source
        assert "rows.append(__harp_perturb__((logits / logits.sum())))" in call.source

    def test_loop_replaced_by_a_slice(self) -> None:
        """The value a slice statement assigns is perturbed, and the variant's result differs."""
        (variant,) = variants(SLICE_BEFORE, SLICE_AFTER)
        assert "out[1 : n - 1] = __harp_perturb__((0.25 * signal[0 : n - 2]" in variant.source
        signal = np.linspace(0.0, 1.0, 8)
        expected = run(SLICE_BEFORE, "smooth", signal, np.zeros(8))
        actual = run(variant.source, "smooth", signal, np.zeros(8))
        assert not np.allclose(actual, expected, rtol=1e-5)

    def test_decorator_added_to_a_method(self) -> None:
        """The results of a method given `@tf.function` are perturbed by a new outermost decorator."""
        (variant,) = variants(METHOD_BEFORE, METHOD_AFTER)
        expected = METHOD_AFTER.replace("    @tf.function", "    @__harp_perturb_results__\n    @tf.function")
        assert variant.source == expected
        assert variant.lines == (line_of(METHOD_AFTER, "@tf.function"),)
        assert variant.what == "the results of Trainer.train_step (decorator changed) perturbed"

    def test_decorator_added_to_a_function(self) -> None:
        """A variant of a function given `@tf.function` returns a different total."""
        pytest.importorskip("tensorflow")
        (variant,) = variants(FUNCTION_BEFORE, FUNCTION_AFTER)
        assert variant.source.startswith(FUNCTION_AFTER.split("@tf.function")[0] + "@__harp_perturb_results__\n")
        batches, weights = np.ones((3, 4), np.float32), np.full(4, 0.5, np.float32)
        expected = run(FUNCTION_BEFORE, "weighted_total", batches, weights)
        actual = run(variant.source, "weighted_total", batches, weights)
        assert float(actual) == pytest.approx(float(expected) * (1 + 1e-3) + 1e-3)

    def test_removed_statement(self) -> None:
        """What a removed statement read is perturbed in place where it stood, with its indentation."""
        (variant,) = variants(RELU_BEFORE, RELU_AFTER)
        line = line_of(RELU_BEFORE, "F.relu")
        assert (
            variant.source.splitlines()[line - 1]
            == "        __harp_perturb_in_place__(locals(), globals(), ('F', 'h'))"
        )
        assert variant.lines == (line,)
        assert variant.what == f"arrays read by the removed statement (original line {line}) perturbed in place"

    def test_removed_statement_left_as_pass(self) -> None:
        """A `pass` left in place of the only statement of a block is replaced, and the result differs."""
        (variant,) = variants(CLIP_BEFORE, CLIP_AFTER)
        assert "            __harp_perturb_in_place__(locals(), globals(), ('np', 'g'))\n" in variant.source
        assert "pass" not in variant.source

        def inputs() -> tuple[list[Any], list[Any], bool]:
            return [np.full(2, 0.5), np.full(2, -0.25)], [np.zeros(2), np.zeros(2)], True

        expected = run(CLIP_BEFORE, "accumulate", *inputs())
        actual = run(variant.source, "accumulate", *inputs())
        assert not np.allclose(np.stack(actual), np.stack(expected), rtol=1e-5)

    def test_multi_line_and_unicode_values(self) -> None:
        """Values spanning lines, after non-ASCII names, are wrapped whole and the variant compiles."""
        before = program("""
            def standardise(batch):
                μ = batch.mean(axis=0)
                σ = (
                    batch.std(axis=0)
                    + 1e-6
                )
                return (batch - μ) / σ
        """)
        after = before.replace("axis=0", "axis=0, keepdims=True")
        found = variants(before, after)
        assert [variant.lines for variant in found] == [(2,), (3,)]
        assert "μ = __harp_perturb__((batch.mean(axis=0, keepdims=True)))" in found[0].source
        assert (
            "σ = (\n        __harp_perturb__((batch.std(axis=0, keepdims=True)\n        + 1e-6))\n    )"
            in found[1].source
        )
        actual = run(found[1].source, "standardise", np.arange(6.0).reshape(3, 2))
        assert actual.shape == (3, 2)

    def test_more_sites_than_variants(self) -> None:
        """Sites beyond the limit are spread over `limit` variants that together perturb every site."""
        before = (
            "def features(batch, scale):\n"
            + "".join(f"    f{k} = batch[:, {k}] * scale\n" for k in range(10))
            + "    return f0, f1, f2, f3, f4, f5, f6, f7, f8, f9\n"
        )
        after = before.replace("* scale", "* float(scale)")
        found = variants(before, after, limit=4)
        assert [variant.lines for variant in found] == [(2, 3, 4), (5, 6, 7), (8, 9), (10, 11)]
        assert all(variant.source.count("__harp_perturb__") == len(variant.lines) for variant in found)
        assert found[2].what == "the value assigned on line 8 perturbed; the value assigned on line 9 perturbed"

    def test_call_statement_arguments_are_sites(self) -> None:
        """`print(loss)` rewritten to `tf.print(loss)` passes a perturbed `loss` in its variant."""
        before = "def report(losses):\n    for loss in losses:\n        print(loss)\n"
        after = "import tensorflow as tf\n\n\ndef report(losses):\n    for loss in losses:\n        tf.print(loss)\n"
        (variant,) = variants(before, after)
        assert "tf.print(__harp_perturb__((loss)))" in variant.source

    def test_no_site(self) -> None:
        """A rewrite that changes only a loop header, or a call with literal arguments, has no variant."""
        before = "def report(losses):\n    for loss in losses:\n        print('loss')\n"
        after = "def report(losses):\n    for loss in list(losses):\n        print('epoch')\n"
        assert variants(before, after) == ()

    def test_flag_set_to_a_literal_has_no_site(self) -> None:
        """Setting `torch.backends.cudnn.benchmark = True` before a training loop computes no value to perturb."""
        before = "import torch\n\n\ndef fit(model, batches):\n    for x in batches:\n        model(x)\n"
        after = before.replace("    for x", "    torch.backends.cudnn.benchmark = True\n    for x")
        assert variants(before, after) == ()

    @pytest.mark.parametrize(
        ("before", "after"),
        [
            (HOIST_BEFORE, HOIST_AFTER),
            (HOIST_BEFORE, HOIST_GUARDED),
            (REUSE_BEFORE, REUSE_AFTER),
            (SLICE_BEFORE, SLICE_AFTER),
            (METHOD_BEFORE, METHOD_AFTER),
            (RELU_BEFORE, RELU_AFTER),
            (CLIP_BEFORE, CLIP_AFTER),
            (MODULE_BEFORE, MODULE_AFTER),
        ],
    )
    def test_variants_compile(self, before: str, after: str) -> None:
        """Every variant of every kind of rewrite compiles and differs from the rewrite."""
        found = variants(before, after)
        assert found
        for variant in found:
            compile(variant.source, "variant.py", "exec")
            assert variant.source != after


class TestChangedUnits:
    """The functions and methods a rewrite changed, when nothing else changed."""

    def test_function_and_method(self) -> None:
        """Changed top-level functions and plain methods are named by qualname."""
        assert changed_units(HOIST_BEFORE, HOIST_AFTER) == ["normalise"]
        assert changed_units(METHOD_BEFORE, METHOD_AFTER) == ["Trainer.train_step"]
        assert changed_units(RELU_BEFORE, RELU_AFTER) == ["Block.forward"]

    def test_staticmethod(self) -> None:
        """A changed staticmethod counts as a unit."""
        before = "class Ops:\n    @staticmethod\n    def norm(x):\n        return (x * x).sum() ** 0.5\n"
        after = before.replace("(x * x).sum() ** 0.5", "(x**2).sum() ** 0.5")
        assert changed_units(before, after) == ["Ops.norm"]

    @pytest.mark.parametrize(
        ("decorator",),
        [("@property",), ("@classmethod",), ("@functools.cached_property",)],
    )
    def test_bound_otherwise(self, decorator: str) -> None:
        """A changed property or classmethod is not a unit: the whole program is checked."""
        before = f"class Ops:\n    {decorator}\n    def norm(self):\n        return (self.x * self.x).sum()\n"
        after = before.replace("(self.x * self.x)", "(self.x**2)")
        assert changed_units(before, after) is None

    def test_module_level_change(self) -> None:
        """A change among module-level statements gives None."""
        assert changed_units(MODULE_BEFORE, MODULE_AFTER) is None

    def test_class_statement_changed(self) -> None:
        """A changed class attribute gives None."""
        before = "class Config:\n    lr = 0.1\n\n    def step(self, w, g):\n        return w - self.lr * g\n"
        assert changed_units(before, before.replace("0.1", "0.01")) is None

    def test_function_added(self) -> None:
        """A function added or removed gives None."""
        added = SLICE_BEFORE + "\n\ndef helper(x):\n    return x\n"
        assert changed_units(SLICE_BEFORE, added) is None
        assert changed_units(added, SLICE_BEFORE) is None

    def test_unparsable_and_unchanged(self) -> None:
        """Text that does not parse gives None; no change gives no units."""
        assert changed_units(SLICE_BEFORE, "def smooth(:\n") is None
        assert changed_units(SLICE_BEFORE, SLICE_BEFORE) == []


class TestDescribeLines:
    """Line numbers written as ranges."""

    @pytest.mark.parametrize(
        ("lines", "text"),
        [([12, 14, 15, 16], "12, 14-16"), ([3, 1, 2, 2], "1-3"), ([7], "7"), ([], "")],
    )
    def test_ranges(self, lines: list[int], text: str) -> None:
        """Sorted, deduplicated and joined into runs."""
        assert describe_lines(lines) == text
