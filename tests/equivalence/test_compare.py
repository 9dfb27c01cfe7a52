"""Snapshots from the real child-side `snapshot()` are compared with dtype-aware tolerances."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
import torch

from harp_refactor.equivalence.compare import (
    Comparison,
    Difference,
    Tolerance,
    compare,
    default_tolerance,
    describe,
)
from harp_refactor.equivalence.values import Array, Obj, Opaque, Raised, snapshot


@dataclasses.dataclass
class State:
    """A user dataclass as a function might return it."""

    step: int
    weights: Any


@dataclasses.dataclass
class OtherState:
    """A second dataclass with the same fields as `State`."""

    step: int
    weights: Any


def check(expected: Any, actual: Any, tolerance: Tolerance | None = None, path: str = "") -> Comparison:
    """Snapshot both values as the child does, then compare them as the parent does."""
    return compare(snapshot(expected), snapshot(actual), tolerance or Tolerance(), path)


def kinds(comparison: Comparison) -> list[str]:
    """The kinds of the differences found, in path order."""
    return [difference.kind for difference in comparison.differences]


def only(comparison: Comparison) -> Difference:
    """The single difference a comparison found."""
    assert len(comparison.differences) == 1, comparison.differences
    return comparison.differences[0]


class TestDefaultTolerance:
    @pytest.mark.parametrize(
        ("dtype", "expected"),
        [
            ("float16", (1e-2, 1e-3)),
            ("bfloat16", (1e-2, 1e-3)),
            ("half", (1e-2, 1e-3)),
            ("float32", (1e-5, 1e-6)),
            ("float", (1e-5, 1e-6)),
            ("complex64", (1e-5, 1e-6)),
            ("torch.float32", (1e-5, 1e-6)),
            ("<f4", (1e-5, 1e-6)),
            ("float64", (1e-9, 1e-12)),
            ("double", (1e-9, 1e-12)),
            ("complex128", (1e-9, 1e-12)),
            ("int64", (0.0, 0.0)),
            ("uint8", (0.0, 0.0)),
            ("bool", (0.0, 0.0)),
            ("string", (0.0, 0.0)),
        ],
    )
    def test_dtype_names(self, dtype: str, expected: tuple[float, float]) -> None:
        """Each dtype name maps to its family's (rtol, atol); unknown and exact dtypes get zero."""
        assert default_tolerance(dtype) == expected


class TestArrays:
    @pytest.mark.parametrize(
        ("make", "delta"),
        [
            (lambda v: torch.tensor(v, dtype=torch.float32), 4e-6),
            (lambda v: torch.tensor(v, dtype=torch.float64), 4e-10),
            (lambda v: torch.tensor(v, dtype=torch.float16), 2e-3),
            (lambda v: torch.tensor(v, dtype=torch.complex64), 4e-6j),
            (lambda v: np.asarray(v, dtype=np.float32), 4e-6),
            (lambda v: tf.constant(v, dtype=tf.float32), 4e-6),
            (lambda v: tf.Variable(tf.constant(v, dtype=tf.float64)), 4e-10),
        ],
    )
    def test_equal_within_dtype_default(self, make: Callable[[Any], Any], delta: complex) -> None:
        """Values that differ by less than the dtype's default tolerance are equal."""
        base = [[1.0, 2.0, -3.0], [0.5, 4.0, 8.0]]
        moved = [[x + delta * abs(x) for x in row] for row in base]
        assert check(make(base), make(moved)).equal

    @pytest.mark.parametrize(
        ("dtype", "factor"),
        [(torch.float32, 1e-5), (torch.float64, 1e-9), (torch.float16, 1e-2)],
    )
    def test_just_beyond_tolerance_differs(self, dtype: torch.dtype, factor: float) -> None:
        """A change of about three times rtol·|expected| is a value difference."""
        expected = torch.full((4,), 16.0, dtype=dtype)
        actual = expected.clone()
        actual[2] = 16.0 * (1 + 3 * factor)
        difference = only(check(expected, actual))
        assert difference.kind == "value"
        assert "[2]" in difference.detail
        assert difference.max_abs == pytest.approx(16.0 * 3 * factor, rel=0.2)

    def test_value_detail_names_the_largest_difference(self) -> None:
        """The detail of a value difference gives the index of the largest one, on one line."""
        expected = torch.zeros(3, 4)
        actual = expected.clone()
        actual[0, 1] = 1e-3
        actual[1, 2] = 5e-2
        difference = only(check(expected, actual))
        assert "at [1, 2]" in difference.detail
        assert "2/12" in difference.detail
        assert "\n" not in difference.detail
        assert difference.max_abs == pytest.approx(5e-2)

    def test_bfloat16_is_loose(self) -> None:
        """One bfloat16 step near 1 is within bfloat16 tolerance but not within float32's."""
        expected, actual = [1.0, 2.0], [1.0078125, 2.0]
        assert check(torch.tensor(expected, dtype=torch.bfloat16), torch.tensor(actual, dtype=torch.bfloat16)).equal
        assert not check(torch.tensor(expected), torch.tensor(actual)).equal

    def test_tensorflow_bfloat16_variable(self) -> None:
        """A bfloat16 tf.Variable is compared with the bfloat16 tolerance."""
        expected = tf.Variable(tf.constant([1.0, 2.0], dtype=tf.bfloat16))
        actual = tf.Variable(tf.constant([1.0078125, 2.0], dtype=tf.bfloat16))
        comparison = check(expected, actual)
        assert comparison.equal
        assert (comparison.rtol, comparison.atol) == (1e-2, 1e-3)

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            (torch.ones(3), torch.ones(3, dtype=torch.float64)),
            (torch.ones(3, dtype=torch.int64), torch.ones(3, dtype=torch.int32)),
            (tf.ones(3), tf.ones(3, dtype=tf.float64)),
            (np.ones(3, dtype=np.float32), np.ones(3)),
        ],
    )
    def test_dtype_change(self, expected: Any, actual: Any) -> None:
        """A dtype change is a "dtype" difference even when the values agree."""
        difference = only(check(expected, actual))
        assert difference.kind == "dtype"
        assert "float32 → float64" in difference.detail or "int64 → int32" in difference.detail

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            (torch.zeros(2, 3), torch.zeros(3, 2)),
            (torch.zeros(6), torch.zeros(1, 6)),
            (torch.tensor(0.0), torch.zeros(1)),
            (np.zeros((0, 3)), np.zeros((0, 4))),
        ],
    )
    def test_shape_change(self, expected: Any, actual: Any) -> None:
        """Arrays of different shapes differ in "shape", even when they would broadcast."""
        assert kinds(check(expected, actual)) == ["shape"]

    def test_nan_where_nan(self) -> None:
        """NaN in the same positions is equal; NaN moved elsewhere is a "nan" difference."""
        nan = math.nan
        assert check(torch.tensor([nan, 1.0, nan]), torch.tensor([nan, 1.0, nan])).equal
        difference = only(check(torch.tensor([nan, 1.0]), torch.tensor([1.0, nan])))
        assert difference.kind == "nan"
        assert "[0]" in difference.detail

    @pytest.mark.parametrize(
        ("expected", "actual", "equal"),
        [
            ([math.inf, -math.inf, 1.0], [math.inf, -math.inf, 1.0], True),
            ([math.inf, 1.0], [-math.inf, 1.0], False),
            ([math.inf, 1.0], [3.0e38, 1.0], False),
            ([1.0, 2.0], [1.0, math.inf], False),
        ],
    )
    def test_infinities(self, expected: list[float], actual: list[float], equal: bool) -> None:
        """Infinities must match in position and sign; a mismatch is infinitely large."""
        comparison = check(torch.tensor(expected), torch.tensor(actual))
        assert comparison.equal is equal
        if not equal:
            assert kinds(comparison) == ["value"]
            assert comparison.max_abs == math.inf

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            (torch.ones(2), np.ones(2, dtype=np.float32)),
            (tf.ones(2), tf.Variable(tf.ones(2))),
            (np.float32(1.0), np.array(1.0, dtype=np.float32)),
            (torch.ones(2), [1.0, 1.0]),
        ],
    )
    def test_kind_change(self, expected: Any, actual: Any) -> None:
        """Turning a tensor into another framework's array (or a list) is a "type" difference."""
        difference = only(check(expected, actual))
        assert difference.kind == "type"

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            (torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4])),
            (np.array([2**62, 0]), np.array([2**62 + 1, 0])),
            (torch.tensor([True, False]), torch.tensor([True, True])),
            (tf.constant([7], dtype=tf.int32), tf.constant([8], dtype=tf.int32)),
        ],
    )
    def test_integers_and_bools_are_exact(self, expected: Any, actual: Any) -> None:
        """Any change to an integer or bool element is a difference, however large the values."""
        difference = only(check(expected, actual, Tolerance(rtol=0.5, atol=10.0)))
        assert difference.kind == "value"
        assert difference.max_abs >= 1.0

    def test_complex_imaginary_part(self) -> None:
        """A change to the imaginary part of a complex tensor is a value difference."""
        expected = torch.tensor([1 + 1j, 2 - 1j], dtype=torch.complex128)
        actual = torch.tensor([1 + 1j, 2 - 1.001j], dtype=torch.complex128)
        difference = only(check(expected, actual))
        assert difference.kind == "value"
        assert difference.max_abs == pytest.approx(1e-3)

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            (torch.empty(0, 3), torch.empty(0, 3)),
            (torch.empty(0, dtype=torch.int64), torch.empty(0, dtype=torch.int64)),
            (tf.zeros((2, 0)), tf.zeros((2, 0))),
            (np.array([], dtype=object), np.array([], dtype=object)),
        ],
    )
    def test_empty_arrays(self, expected: Any, actual: Any) -> None:
        """Empty arrays of the same shape and dtype are equal."""
        comparison = check(expected, actual)
        assert comparison.equal
        assert comparison.max_abs == 0.0

    def test_tensorflow_strings(self) -> None:
        """String tensors (object arrays of bytes) compare element by element."""
        assert check(tf.constant(["a", "b"]), tf.constant(["a", "b"])).equal
        difference = only(check(tf.constant(["a", "b"]), tf.constant(["a", "c"])))
        assert difference.kind == "value"
        assert "[1]" in difference.detail

    def test_object_arrays_never_raise(self) -> None:
        """Object arrays of odd elements are compared, not a crash."""
        expected = np.array([{"a": 1}, None, np.zeros(2)], dtype=object)
        actual = np.array([{"a": 1}, None, np.ones(2)], dtype=object)
        assert check(expected, expected.copy()).equal
        assert kinds(check(expected, actual)) == ["value"]

    def test_numpy_scalars(self) -> None:
        """NumPy scalars are arrays of shape () with their dtype's tolerance."""
        assert check(np.float32(1.0), np.float32(1.0 + 4e-6)).equal
        assert not check(np.float32(1.0), np.float32(1.001)).equal
        assert not check(np.int64(3), np.int64(4)).equal


class TestTolerance:
    def test_defaults_are_none(self) -> None:
        """A default Tolerance overrides nothing."""
        assert Tolerance() == Tolerance(rtol=None, atol=None)

    def test_override_loosens(self) -> None:
        """A larger rtol accepts a change the float32 default rejects."""
        expected, actual = torch.ones(3), torch.full((3,), 1.001)
        assert not check(expected, actual).equal
        comparison = check(expected, actual, Tolerance(rtol=1e-2))
        assert comparison.equal
        assert (comparison.rtol, comparison.atol) == (1e-2, 1e-6)

    def test_override_tightens(self) -> None:
        """Zero tolerances reject a change the float64 default accepts."""
        expected, actual = torch.ones(2, dtype=torch.float64), torch.full((2,), 1 + 1e-12, dtype=torch.float64)
        assert check(expected, actual).equal
        difference = only(check(expected, actual, Tolerance(rtol=0.0, atol=0.0)))
        assert difference.kind == "value"

    def test_atol_alone_keeps_the_default_rtol(self) -> None:
        """Overriding atol only leaves rtol at the dtype's default."""
        comparison = check(torch.zeros(2), torch.full((2,), 5e-4), Tolerance(atol=1e-3))
        assert comparison.equal
        assert (comparison.rtol, comparison.atol) == (1e-5, 1e-3)

    def test_applies_to_python_floats(self) -> None:
        """Python floats use the float64 default, or the override."""
        assert not check(1.0, 1.0001).equal
        assert check(1.0, 1.0001, Tolerance(rtol=1e-3)).equal


class TestScalars:
    @pytest.mark.parametrize(
        ("expected", "actual", "kind"),
        [
            (1, 1, None),
            (1, 2, "value"),
            (1, 1.0, "type"),
            (1, True, "type"),
            (True, False, "value"),
            (1.0, 1.0 + 1e-12, None),
            (1.0, 1.0 + 1e-6, "value"),
            (math.nan, math.nan, None),
            (math.nan, 1.0, "nan"),
            (math.inf, math.inf, None),
            (math.inf, -math.inf, "value"),
            (1 + 2j, 1 + 2j + 1e-13, None),
            (1 + 2j, 1 + 3j, "value"),
            ("abc", "abc", None),
            ("abc", "abd", "value"),
            (b"x", b"x", None),
            (b"x", "x", "type"),
            (None, None, None),
            (None, 0, "type"),
            (10**400, 10**400 + 1, "value"),
        ],
    )
    def test_plain_values(self, expected: Any, actual: Any, kind: str | None) -> None:
        """Python scalars compare exactly, floats within the float64 tolerance, and types must match."""
        comparison = check(expected, actual)
        assert kinds(comparison) == ([] if kind is None else [kind])

    def test_non_numeric_value_difference_is_infinite(self) -> None:
        """A string difference has no size: its max_abs is inf."""
        assert only(check("a", "b")).max_abs == math.inf


class TestContainers:
    def test_list_versus_tuple(self) -> None:
        """A list where a tuple was returned is a "type" difference."""
        difference = only(check([1, 2], (1, 2)))
        assert (difference.kind, difference.detail) == ("type", "expected list, got tuple")

    def test_length(self) -> None:
        """A different length is reported once, and the common prefix is still compared."""
        comparison = check([torch.ones(2), 2], [torch.ones(2), 3, 4])
        assert [(d.path, d.kind) for d in comparison.differences] == [("", "length"), ("[1]", "value")]

    def test_dict_keys(self) -> None:
        """Keys on one side only are "missing" or "extra" at their own path."""
        comparison = check({"a": 1, "b": 2}, {"a": 1, "c": 2}, path="return")
        assert [(d.path, d.kind) for d in comparison.differences] == [
            ("return['b']", "missing"),
            ("return['c']", "extra"),
        ]

    def test_dict_order_is_ignored(self) -> None:
        """Dicts with the same items in another order are equal."""
        assert check({"a": torch.ones(1), "b": 2}, {"b": 2, "a": torch.ones(1)}).equal

    def test_nested_paths(self) -> None:
        """A difference deep inside containers is reported at its full path."""
        expected = (torch.zeros(2), {"loss": torch.tensor(1.0), "grads": [torch.ones(3), torch.ones(3)]})
        actual = (torch.zeros(2), {"loss": torch.tensor(1.5), "grads": [torch.ones(3), torch.ones(3) * 2]})
        comparison = check(expected, actual, path="return")
        assert [d.path for d in comparison.differences] == ["return[1]['grads'][1]", "return[1]['loss']"]

    def test_paths_sort_naturally(self) -> None:
        """Differences are sorted by path with numbers in numeric order."""
        expected = list(range(12))
        actual = [x + 1 if x in (2, 10) else x for x in expected]
        assert [d.path for d in check(expected, actual).differences] == ["[2]", "[10]"]

    def test_sets(self) -> None:
        """Sets are compared by their items, whatever their order."""
        assert check({3, 1, 2}, {1, 2, 3}).equal
        assert not check({1, 2}, {1, 2, 3}).equal

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [
            (Array("numpy.ndarray", "float32", np.zeros(2, dtype=np.float32)), [0.0, 0.0]),
            (Obj("a.B", {}), {}),
            (Opaque("builtins.function"), Raised("builtins.ValueError", "x")),
            (Array("numpy.ndarray", "float32", "not an array"), Array("numpy.ndarray", "float32", object())),
            (Obj("a.B", "not a dict"), Obj("a.B", {"x": 1})),
            ({"x": [1, (2, {"y": None})]}, {"x": [1, (2, [None])]}),
        ],
    )
    def test_mismatched_structures_never_raise(self, expected: Any, actual: Any) -> None:
        """Snapshots that do not line up give differences, not exceptions."""
        comparison = compare(expected, actual)
        assert not comparison.equal
        assert all(d.detail and "\n" not in d.detail for d in comparison.differences)


class TestObjects:
    def test_linear_module_equal(self) -> None:
        """Two nn.Linear with the same weights are equal through their state dicts."""
        torch.manual_seed(0)
        layer = torch.nn.Linear(3, 2)
        assert check(layer, layer).equal

    def test_linear_module_paths(self) -> None:
        """A changed weight is reported at return.attrs.state_dict['weight']."""
        torch.manual_seed(0)
        expected = torch.nn.Linear(3, 2)
        actual = torch.nn.Linear(3, 2)
        actual.load_state_dict(expected.state_dict())
        with torch.no_grad():
            actual.weight[1, 0] += 0.5
        difference = only(check(expected, actual, path="return"))
        assert difference.path == "return.attrs.state_dict['weight']"
        assert "at [1, 0]" in difference.detail

    def test_linear_module_shape(self) -> None:
        """A layer of another size differs in the shape of its weight and bias."""
        comparison = check(torch.nn.Linear(3, 2), torch.nn.Linear(3, 4), path="return")
        assert [(d.path, d.kind) for d in comparison.differences] == [
            ("return.attrs.state_dict['bias']", "shape"),
            ("return.attrs.state_dict['weight']", "shape"),
        ]

    def test_dataclass_fields(self) -> None:
        """Dataclass fields are compared as attributes, each at its own path."""
        expected = State(step=3, weights=torch.ones(2))
        assert check(expected, State(step=3, weights=torch.ones(2))).equal
        comparison = check(expected, State(step=4, weights=torch.ones(2) * 2), path="global S")
        assert [d.path for d in comparison.differences] == ["global S.attrs.step", "global S.attrs.weights"]

    def test_dataclass_type(self) -> None:
        """Another class with the same fields is a "type" difference."""
        difference = only(check(State(1, None), OtherState(1, None)))
        assert difference.kind == "type"
        assert "OtherState" in difference.detail

    def test_plain_object_attributes(self) -> None:
        """An attribute that disappears is "missing" at its attribute path."""

        class Holder:
            def __init__(self, **attributes: Any) -> None:
                self.__dict__.update(attributes)

        comparison = check(Holder(a=1, b=torch.zeros(1)), Holder(a=1), path="arg 0 (h)")
        assert [(d.path, d.kind) for d in comparison.differences] == [("arg 0 (h).attrs.b", "missing")]

    def test_opaque_compares_type(self) -> None:
        """Functions are opaque: equal to any function, different from a generator."""
        assert check(lambda: 1, lambda: 2).equal
        assert kinds(check(lambda: 1, (x for x in ()))) == ["type"]


class TestExceptions:
    def test_same_type_other_message(self) -> None:
        """Two exceptions of one type are equal whatever their messages."""
        assert check(ValueError("shape (3,)"), ValueError("shape (4,)")).equal

    def test_different_type(self) -> None:
        """Another exception type is an "exception" difference naming both."""
        difference = only(check(ValueError("x"), KeyError("y")))
        assert difference.kind == "exception"
        assert "ValueError" in difference.detail and "KeyError" in difference.detail

    @pytest.mark.parametrize(
        ("expected", "actual"),
        [(ValueError("bad"), torch.ones(2)), (torch.ones(2), RuntimeError("size mismatch"))],
    )
    def test_raised_versus_returned(self, expected: Any, actual: Any) -> None:
        """Raising where the other side returned, or the reverse, is an "exception" difference."""
        assert kinds(check(expected, actual)) == ["exception"]


class TestStatistics:
    def test_errors_reported_when_equal(self) -> None:
        """An equal comparison still reports its largest errors and the tolerance that governed them."""
        expected = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
        actual = expected + torch.tensor([3e-10, 0.0, -4e-10], dtype=torch.float64)
        comparison = check(expected, actual)
        assert comparison.equal
        assert comparison.max_abs == pytest.approx(4e-10, rel=1e-3)
        assert comparison.max_rel == pytest.approx(3e-10, rel=1e-3)
        assert (comparison.rtol, comparison.atol) == (1e-9, 1e-12)

    def test_no_floats(self) -> None:
        """Without float leaves the tolerances are zero; integer errors still count."""
        comparison = check([torch.tensor([1, 2]), 5], [torch.tensor([1, 2]), 7])
        assert (comparison.rtol, comparison.atol) == (0.0, 0.0)
        assert (comparison.max_abs, comparison.max_rel) == (2.0, pytest.approx(0.4))

    def test_tolerance_of_the_worst_leaf(self) -> None:
        """The reported tolerance is that of the leaf whose error is largest relative to it."""
        expected = [torch.ones(2, dtype=torch.float16), torch.ones(2)]
        actual = [torch.ones(2, dtype=torch.float16), torch.full((2,), 1 + 8e-6)]
        comparison = check(expected, actual)
        assert comparison.equal
        assert (comparison.rtol, comparison.atol) == (1e-5, 1e-6)

    def test_loosest_tolerance_when_all_exact(self) -> None:
        """When every float leaf is exact the loosest tolerance is reported."""
        values = [torch.ones(2), torch.ones(2, dtype=torch.bfloat16), 1.0]
        comparison = check(values, values)
        assert (comparison.max_abs, comparison.rtol, comparison.atol) == (0.0, 1e-2, 1e-3)

    def test_difference_carries_its_errors(self) -> None:
        """A value difference has the leaf's max_abs and max_rel; other kinds have zero."""
        comparison = check([torch.tensor([2.0]), torch.ones(2)], [torch.tensor([2.5]), torch.ones(3)])
        value, shape = comparison.differences
        assert (value.kind, value.max_abs, value.max_rel) == ("value", 0.5, 0.25)
        assert (shape.kind, shape.max_abs, shape.max_rel) == ("shape", 0.0, 0.0)


class TestDescribe:
    def test_equal_gives_nothing(self) -> None:
        """An equal comparison describes as no lines."""
        assert describe(check(torch.ones(2), torch.ones(2))) == []

    def test_one_line_each(self) -> None:
        """Each difference is one line naming its path and kind."""
        lines = describe(check({"a": torch.ones(2)}, {"a": torch.zeros(2)}, path="return"))
        assert len(lines) == 1
        assert lines[0].startswith("return['a']: value: max |Δ| 1 at [0]")

    @pytest.mark.parametrize(("limit", "count"), [(5, 6), (3, 4), (20, 12), (0, 1)])
    def test_limit(self, limit: int, count: int) -> None:
        """At most `limit` lines, then one line saying how many more there are."""
        lines = describe(check(list(range(12)), [x + 1 for x in range(12)]), limit=limit)
        assert len(lines) == count
        if limit < 12:
            assert lines[-1] == f"... and {12 - limit} more"
