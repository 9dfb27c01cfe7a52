"""Compare two snapshots (see `values`) of what the original and the rewritten code produced.

Runs in the parent process; NumPy is imported only when arrays are compared.

- Containers are compared recursively: lists and tuples by type and length (a length
  difference is reported and the common prefix still compared), dicts and `Obj` attributes
  key by key (a key on one side only is "missing" or "extra" at that key's path).
- `Obj` and `Opaque` compare their type names first; `Raised` compares exception types only.
- Python `bool`, `int`, `str`, `bytes` and `None` compare exactly; `float` and `complex` with
  the float64 tolerance.  The types must match exactly: 1, 1.0 and True all differ.
- `Array`s must agree in kind (torch, TensorFlow, NumPy), dtype name and shape; NaN must be
  where NaN is, ±inf where the same ±inf is, and the rest must satisfy
  `|actual - expected| <= atol + rtol * |expected|` with the dtype's default tolerance unless
  a `Tolerance` overrides it.  Integer and bool arrays compare exactly, other arrays (strings,
  objects) element by element with `==`.
- Each leaf reports at most one difference, the first that applies of: type, dtype, shape,
  NaN positions, values.  Nothing raises: input this module does not understand becomes a
  difference.
"""

from __future__ import annotations

import cmath
import math
import re
from dataclasses import dataclass
from typing import Any

from .values import Array, Obj, Opaque, Raised

_INF = math.inf
_HALF = frozenset({"float16", "half", "bfloat16", "complex32", "chalf"})
_SINGLE = frozenset({"float32", "float", "single", "complex64", "cfloat", "csingle"})
_DOUBLE = frozenset(
    {"float64", "double", "complex128", "cdouble", "longdouble", "float96", "float128", "complex192", "complex256"}
)
_NUMPY_CODE = re.compile(r"[<>=|]?([fc])(\d+)")


@dataclass(frozen=True)
class Tolerance:
    """User overrides; None means the dtype's default."""

    rtol: float | None = None
    atol: float | None = None


def default_tolerance(dtype: str) -> tuple[float, float]:
    """(rtol, atol) for a dtype name as found in `Array.dtype` ("float32", "bfloat16", "int64" ...).

    float16/bfloat16/half: (1e-2, 1e-3); float32/complex64/float: (1e-5, 1e-6);
    float64/complex128/double: (1e-9, 1e-12); integers, bools and anything else exact (0.0, 0.0).
    A framework prefix ("torch.float32") and NumPy type codes ("<f4") are understood.
    """
    name = str(dtype).strip().lower().rsplit(".", 1)[-1]
    code = _NUMPY_CODE.fullmatch(name)
    if code:  # "<f4", ">c16": bytes per element, twice as many for complex
        size = int(code.group(2)) // (2 if code.group(1) == "c" else 1)
        name = {2: "float16", 4: "float32", 8: "float64"}.get(size, "float64" if size > 8 else name)
    if name in _HALF:
        return (1e-2, 1e-3)
    if name in _SINGLE:
        return (1e-5, 1e-6)
    if name in _DOUBLE:
        return (1e-9, 1e-12)
    return (0.0, 0.0)


@dataclass(frozen=True)
class Difference:
    """One place where the actual snapshot differs from the expected one."""

    path: str  # where, e.g. "return[1]['loss']", "arg 0 (A)", "global W", "return.attrs.weight"
    kind: str  # "value", "shape", "dtype", "type", "missing", "extra", "nan", "exception", "length"
    detail: str  # one line for people
    max_abs: float  # largest absolute difference for "value" kinds (inf when not numeric), 0.0 otherwise
    max_rel: float  # largest |a-e|/|e| over elements with e != 0 for "value" kinds (inf when not numeric)


@dataclass(frozen=True)
class Comparison:
    """The differences between two snapshots and the largest numeric errors seen.

    `rtol`/`atol` are the tolerance of the float leaf whose largest error was biggest relative
    to its tolerance (|Δ| / (atol + rtol·|expected|)); when several tie (for instance when every
    float leaf is exact) the loosest of them.  0.0 when no float was compared.
    """

    differences: tuple[Difference, ...]  # sorted by path; empty when equal
    max_abs: float  # largest absolute error over all compared numeric leaves (0.0 if none)
    max_rel: float  # largest relative error over all numeric leaves
    rtol: float
    atol: float
    numeric: bool = False  # was any float compared (else the errors and tolerance say nothing)?

    @property
    def equal(self) -> bool:
        return not self.differences


def compare(expected: Any, actual: Any, tolerance: Tolerance = Tolerance(), path: str = "") -> Comparison:
    """Compare the snapshot `actual` against `expected`; `path` prefixes every difference's path."""
    walker = _Walker(tolerance)
    walker.walk(expected, actual, path)
    worst = walker.worst
    return Comparison(
        differences=tuple(sorted(walker.differences, key=lambda d: (_path_key(d.path), d.kind))),
        max_abs=walker.max_abs,
        max_rel=walker.max_rel,
        rtol=worst[1] if worst else 0.0,
        atol=worst[2] if worst else 0.0,
        numeric=worst is not None,
    )


def describe(comparison: Comparison, limit: int = 5) -> list[str]:
    """One line per difference (at most `limit`, then "... and N more"); empty when equal."""
    shown = comparison.differences[: max(limit, 0)]
    lines = [f"{d.path or '<value>'}: {d.kind}: {d.detail}" for d in shown]
    rest = len(comparison.differences) - len(shown)
    if rest > 0:
        lines.append(f"... and {rest} more")
    return lines


def _path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    """Natural order: "[2]" before "[10]"."""
    return tuple((1, int(part), "") if part.isdigit() else (0, 0, part) for part in re.split(r"(\d+)", path) if part)


def _num(value: float) -> str:
    return f"{value:.3g}"


def _short(value: Any, limit: int = 60) -> str:
    """A one-line, bounded rendering of a value for a detail text."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _element(value: Any) -> str:
    """A NumPy element in its shortest form ("1.0000001" for a float32, not its float64 repr)."""
    try:
        text = str(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    text = text.replace("\n", " ")
    return text if len(text) <= 40 else text[:37] + "..."


def _label(value: Any) -> str:
    """What a snapshot is, for a type difference."""
    if isinstance(value, Array):
        return f"{value.kind}[{value.dtype}]"
    if isinstance(value, (Obj, Opaque, Raised)):
        return value.type_name
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _index(flat: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    import numpy as np

    return " at [" + ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) + "]"


def _is_ndarray(value: Any) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ == "ndarray"


def _key_path(path: str, key: Any) -> str:
    return f"{path}[{_short(key)}]"


def _attr_path(path: str, name: Any) -> str:
    prefix = f"{path}.attrs" if path else "attrs"
    return f"{prefix}.{name}" if isinstance(name, str) and name.isidentifier() else f"{prefix}[{_short(name)}]"


class _Walker:
    """Walks two snapshots side by side, collecting differences and error statistics."""

    def __init__(self, tolerance: Tolerance) -> None:
        self.tolerance = tolerance
        self.differences: list[Difference] = []
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.worst: tuple[float, float, float] | None = None  # (error / tolerance, rtol, atol) of float leaves

    def tolerances(self, dtype: str) -> tuple[float, float]:
        rtol, atol = default_tolerance(dtype)
        override = self.tolerance
        return (
            rtol if override.rtol is None else float(override.rtol),
            atol if override.atol is None else float(override.atol),
        )

    def add(self, path: str, kind: str, detail: str, max_abs: float = 0.0, max_rel: float = 0.0) -> None:
        self.differences.append(Difference(path, kind, detail, max_abs, max_rel))

    def record(
        self, max_abs: float, max_rel: float, ratio: float | None = None, rtol: float = 0.0, atol: float = 0.0
    ) -> None:
        """Statistics of one numeric leaf; `ratio` (error over tolerance) only for float leaves."""
        self.max_abs = max(self.max_abs, max_abs)
        self.max_rel = max(self.max_rel, max_rel)
        if ratio is not None:
            candidate = (ratio, rtol, atol)
            if self.worst is None or candidate > self.worst:
                self.worst = candidate

    def walk(self, expected: Any, actual: Any, path: str) -> None:
        try:
            self.dispatch(expected, actual, path)
        except Exception as error:  # odd input is a difference, never a crash
            self.add(path, "type", f"could not compare: {type(error).__name__}: {_short(str(error), 100)}", _INF, _INF)

    def dispatch(self, expected: Any, actual: Any, path: str) -> None:
        if isinstance(expected, Raised) or isinstance(actual, Raised):
            self.exceptions(expected, actual, path)
            return
        if _is_ndarray(expected):
            expected = Array("numpy.ndarray", str(expected.dtype), expected)
        if _is_ndarray(actual):
            actual = Array("numpy.ndarray", str(actual.dtype), actual)
        if type(expected) is not type(actual):
            self.add(path, "type", f"expected {_label(expected)}, got {_label(actual)}")
        elif isinstance(expected, Array):
            self.array(expected, actual, path)
        elif isinstance(expected, (list, tuple)):
            if len(expected) != len(actual):
                self.add(path, "length", f"expected {len(expected)} items, got {len(actual)}")
            for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
                self.walk(e, a, f"{path}[{i}]")
        elif isinstance(expected, dict):
            self.mapping(expected, actual, path, _key_path, "key")
        elif isinstance(expected, Obj):
            if expected.type_name != actual.type_name:
                self.add(path, "type", f"expected {expected.type_name}, got {actual.type_name}")
            elif isinstance(expected.attrs, dict) and isinstance(actual.attrs, dict):
                self.mapping(expected.attrs, actual.attrs, path, _attr_path, "attribute")
            else:
                self.walk(expected.attrs, actual.attrs, f"{path}.attrs")
        elif isinstance(expected, Opaque):
            if expected.type_name != actual.type_name:
                self.add(path, "type", f"expected {expected.type_name}, got {actual.type_name}")
        elif isinstance(expected, (float, complex)):
            self.inexact(expected, actual, path)
        elif isinstance(expected, int) and not isinstance(expected, bool):
            self.integer(expected, actual, path)
        elif isinstance(expected, bool):
            changed = float(expected != actual)
            self.record(changed, changed if expected else 0.0)
            if changed:
                self.add(path, "value", f"expected {expected}, got {actual}", changed, changed if expected else 0.0)
        else:  # str, bytes, None and anything else: equality
            if not _same(expected, actual):
                self.add(path, "value", f"expected {_short(expected)}, got {_short(actual)}", _INF, _INF)

    def exceptions(self, expected: Any, actual: Any, path: str) -> None:
        if isinstance(expected, Raised) and isinstance(actual, Raised):
            if expected.type_name != actual.type_name:
                self.add(
                    path,
                    "exception",
                    f"expected {expected.type_name} to be raised, got {actual.type_name}: {_short(actual.message)}",
                )
        elif isinstance(expected, Raised):
            self.add(path, "exception", f"expected {expected.type_name} to be raised, got a {_label(actual)}")
        else:
            raised = f"{actual.type_name} was raised: {_short(actual.message)}"
            self.add(path, "exception", f"expected a {_label(expected)}, but {raised}")

    def mapping(self, expected: dict[Any, Any], actual: dict[Any, Any], path: str, where: Any, noun: str) -> None:
        for key, value in expected.items():
            if key in actual:
                self.walk(value, actual[key], where(path, key))
            else:
                self.add(where(path, key), "missing", f"{noun} {_short(key)} missing")
        for key in actual:
            if key not in expected:
                self.add(where(path, key), "extra", f"unexpected {noun} {_short(key)}")

    def integer(self, expected: int, actual: int, path: str) -> None:
        delta = abs(actual - expected)
        try:
            max_abs = float(delta)
            max_rel = float(delta / abs(expected)) if expected else 0.0
        except OverflowError:
            max_abs = max_rel = _INF
        self.record(max_abs, max_rel)
        if delta:
            detail = f"expected {_short(expected, 40)}, got {_short(actual, 40)}; |Δ| {_num(max_abs)}"
            self.add(path, "value", detail, max_abs, max_rel)

    def inexact(self, expected: complex, actual: complex, path: str) -> None:
        """A Python float or complex, with the float64 tolerance."""
        rtol, atol = self.tolerances("float64")
        e_nan, a_nan = cmath.isnan(expected), cmath.isnan(actual)
        if e_nan != a_nan:
            self.add(path, "nan", f"expected {expected!r}, got {actual!r}")
            return
        if e_nan:
            self.record(0.0, 0.0, 0.0, rtol, atol)
            return
        if cmath.isinf(expected) or cmath.isinf(actual):
            same = expected == actual
            self.record(0.0 if same else _INF, 0.0 if same else _INF, 0.0 if same else _INF, rtol, atol)
            if not same:
                self.add(path, "value", f"expected {expected!r}, got {actual!r}", _INF, _INF)
            return
        delta = _magnitude(actual - expected)
        size = _magnitude(expected)
        bound = atol + rtol * size
        max_rel = delta / size if size else 0.0
        ratio = delta / bound if bound > 0 else (_INF if delta > 0 else 0.0)
        self.record(delta, max_rel, ratio, rtol, atol)
        if delta > bound:
            detail = f"|Δ| {_num(delta)} > atol {_num(atol)} + rtol {_num(rtol)}·|expected| (expected {expected!r}, got {actual!r})"  # noqa: E501
            self.add(path, "value", detail, delta, max_rel)

    def array(self, expected: Array, actual: Array, path: str) -> None:
        import numpy as np

        if expected.kind != actual.kind:
            self.add(path, "type", f"expected {_label(expected)}, got {_label(actual)}")
            return
        if expected.dtype != actual.dtype:
            self.add(path, "dtype", f"dtype {expected.dtype} → {actual.dtype}")
            return
        e, a = np.asarray(expected.data), np.asarray(actual.data)
        if e.shape != a.shape:
            self.add(path, "shape", f"shape {tuple(e.shape)} → {tuple(a.shape)}")
            return
        kinds = {e.dtype.kind, a.dtype.kind}
        if kinds <= set("biu"):
            self.exact_array(e, a, path)
        elif kinds <= set("biufc"):
            self.float_array(e, a, path, *self.tolerances(expected.dtype))
        else:
            self.other_array(e, a, path)

    def exact_array(self, e: Any, a: Any, path: str) -> None:
        import numpy as np

        if e.size == 0:
            self.record(0.0, 0.0)
            return
        unequal = e != a
        with np.errstate(all="ignore"):
            wide_e = e.astype(np.float64)
            delta = np.abs(a.astype(np.float64) - wide_e)
            delta = np.where(unequal, np.maximum(delta, 1.0), 0.0)  # float64 cannot tell huge int64s apart
            size = np.abs(wide_e)
            relative = np.divide(delta, size, out=np.zeros_like(delta), where=size > 0)
        max_abs, max_rel = float(delta.max()), float(relative.max())
        self.record(max_abs, max_rel)
        count = int(np.count_nonzero(unequal))
        if count:
            flat = int(np.argmax(delta))
            where = _index(flat, e.shape)
            detail = (
                f"{count}/{e.size} elements differ; max |Δ| {_num(max_abs)}{where} "
                f"(expected {_element(e.flat[flat])}, got {_element(a.flat[flat])})"
            )
            self.add(path, "value", detail, max_abs, max_rel)

    def float_array(self, e: Any, a: Any, path: str, rtol: float, atol: float) -> None:
        import numpy as np

        if e.size == 0:
            self.record(0.0, 0.0, 0.0, rtol, atol)
            return
        wide = np.result_type(e.dtype, a.dtype, np.float64)
        with np.errstate(all="ignore"):
            x, y = e.astype(wide), a.astype(wide)
            x_nan, y_nan = np.isnan(x), np.isnan(y)
            if not np.array_equal(x_nan, y_nan):
                flat = int(np.argmax(x_nan != y_nan))
                detail = (
                    f"NaN positions differ ({int(np.count_nonzero(x_nan))} expected, {int(np.count_nonzero(y_nan))} "
                    f"got); first{_index(flat, e.shape)} (expected {_element(e.flat[flat])}, "
                    f"got {_element(a.flat[flat])})"
                )
                self.add(path, "nan", detail)
                return
            finite = np.isfinite(x) & np.isfinite(y)
            infinite = ~finite & ~x_nan & (x != y)
            if infinite.any():
                flat = int(np.argmax(infinite))
                detail = (
                    f"{int(np.count_nonzero(infinite))}/{e.size} infinities differ; first{_index(flat, e.shape)} "
                    f"(expected {_element(e.flat[flat])}, got {_element(a.flat[flat])})"
                )
                self.record(_INF, _INF, _INF, rtol, atol)
                self.add(path, "value", detail, _INF, _INF)
                return
            delta = np.where(finite, np.abs(y - x), 0.0)
            size = np.where(finite, np.abs(x), 0.0)
            bound = atol + rtol * size
            relative = np.divide(delta, size, out=np.zeros_like(delta), where=size > 0)
            ratios = np.divide(delta, bound, out=np.where(delta > 0, _INF, 0.0), where=bound > 0)
            over = delta > bound
        max_abs, max_rel = float(delta.max()), float(relative.max())
        self.record(max_abs, max_rel, float(ratios.max()), rtol, atol)
        count = int(np.count_nonzero(over))
        if count:
            flat = int(np.argmax(np.where(over, delta, -1.0)))
            detail = (
                f"max |Δ| {_num(float(delta.flat[flat]))}{_index(flat, e.shape)} > atol {_num(atol)} + "
                f"rtol {_num(rtol)}·|expected| (expected {_element(e.flat[flat])}, got {_element(a.flat[flat])}); "
                f"{count}/{e.size} elements"
            )
            self.add(path, "value", detail, max_abs, max_rel)

    def other_array(self, e: Any, a: Any, path: str) -> None:
        """Strings, objects, datetimes, records: element by element with `==`."""
        import numpy as np

        if e.dtype.kind in "US" and a.dtype.kind in "US" and e.dtype.kind == a.dtype.kind:
            unequal = np.asarray(e != a, dtype=bool)
        elif e.dtype == a.dtype and e.dtype.kind in "Mm":
            unequal = np.asarray((e != a) & ~(np.isnat(e) & np.isnat(a)), dtype=bool)
        else:
            pairs = zip(e.ravel().tolist(), a.ravel().tolist(), strict=True)
            unequal = np.array([not _same(x, y) for x, y in pairs], dtype=bool).reshape(e.shape)
        count = int(np.count_nonzero(unequal))
        if count:
            flat = int(np.argmax(unequal))
            detail = (
                f"{count}/{e.size} elements differ; first{_index(flat, e.shape)} "
                f"(expected {_element(e.flat[flat])}, got {_element(a.flat[flat])})"
            )
            self.add(path, "value", detail, _INF, _INF)


def _magnitude(value: complex) -> float:
    """|value| without OverflowError (abs() of a huge complex raises)."""
    return math.hypot(value.real, value.imag)


def _same(expected: Any, actual: Any) -> bool:
    """Equality that never raises: NaN equals NaN, arrays compare elementwise, failures are unequal."""
    if expected is actual:
        return True
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(actual)
    try:
        result = expected == actual
        if isinstance(result, bool):
            return result
        if hasattr(result, "all"):
            return bool(result.all()) and getattr(expected, "shape", None) == getattr(actual, "shape", None)
        return bool(result)
    except Exception:
        return False
