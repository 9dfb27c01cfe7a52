"""Vectorising `for i in range(n)` loops: the analysis HARP103 and HARP104 share.

A loop nest (`for i in range(n): for j in range(m): ...`) whose body only reads and writes
array elements indexed by the counters, with straight-line arithmetic and element-wise
library calls, computes the same as one slice expression per statement: each counter
becomes a slice (`i` → `:n`) and each array is indexed so that its loop axes line up with
the others (a `None` where it does not use a counter). A statement that writes every element
once (`w[i, j] += lr * g[i, j]`) is a map (HARP103); one that adds into a total that does
not depend on every counter (`s += x[i] * y[i]`, `grad[f] += d[i, f]`) is a reduction
(HARP104) and becomes a `sum` over the counters it drops, or `@` for a dot product.

The analysis refuses, with the reason, anything where the one-shot form could differ: a
value carried from one iteration to the next (`a[i] = a[i - 1] + x[i]`, a temporary read
before it is set), an early exit, a branch, a call with effects or one not known to work
element by element, the counter used as a number, indices out of the loops' order, and
temporaries or counters read after the loop. Stores stay in place (`out[:n] = ...` writes
the same array, so its dtype and aliasing are kept).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from harp_refactor.assumption import Assumption

from .syntax_walk import children, walk

# Library functions that apply to each element on its own (NumPy ufuncs and their PyTorch
# namesakes): given arrays, they compute what a loop of scalar calls would.
ELEMENTWISE = frozenset(
    "abs absolute arccos arcsin arctan arctan2 ceil clip cos cosh deg2rad exp exp2 expm1 fabs floor "
    "hypot log log10 log1p log2 logaddexp maximum minimum negative power rad2deg reciprocal rint round "
    "sigmoid sign sin sinh sqrt square tan tanh where erf relu".split()
)
_ELEMENTWISE_BUILTINS = frozenset({"abs"})
# Allocations whose rank the analysis can read off the call.
_ALLOCATORS = frozenset(
    f"{root}.{name}" for root in ("numpy", "torch") for name in ("zeros", "ones", "empty", "full", "rand", "randn")
) | frozenset({"numpy.random.rand", "numpy.random.randn"})
_VECTORS = frozenset(f"{root}.{name}" for root in ("numpy", "torch") for name in ("arange", "linspace"))
_LIKE = frozenset(
    f"{root}.{name}_like" for root in ("numpy", "torch") for name in ("zeros", "ones", "empty", "full", "rand", "randn")
)
_SUMMED = frozenset({"+=", "-="})
# Linear algebra that treats leading axes as a batch of matrices: one call on a stack of
# matrices computes what one call per matrix does.
BATCHED = frozenset(
    f"{root}.linalg.{name}" for root in ("numpy", "torch") for name in ("cholesky", "inv", "det", "eigvalsh", "pinv")
)
# Members lists do not have: reading one shows the value is an array or a tensor.
_ARRAY_MEMBERS = frozenset({"shape", "ndim", "dtype", "T", "size", "numel", "astype", "reshape"})


class Unvectorizable(Exception):
    """Why a loop must stay a loop (a short clause: "`x` carries a value ...")."""


@dataclass(frozen=True)
class Context:
    """What the facts know that the syntax does not."""

    module: cst.Module
    function: cst.FunctionDef
    # id() of call nodes with effects (or random draws): they must run once per iteration
    impure: frozenset[int] = frozenset()
    # id() of call nodes → the framework API they call ("numpy.exp")
    api: dict[int, str] = field(default_factory=dict)
    # the function's variables the facts see to be tensors or arrays
    arrays: frozenset[str] = frozenset()
    # the function's local arrays whose number of dimensions the code shows (`allocated_ranks`)
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The statements that replace the loop, and what the rewrite assumes."""

    reduces: bool  # some statement sums over a counter (HARP104); else a pure map (HARP103)
    code: str  # the new statements, one per line, not indented
    assumptions: tuple[Assumption, ...]


@dataclass(frozen=True)
class _Axis:
    counter: str
    start: cst.BaseExpression | None
    stop: cst.BaseExpression


def analyse(loop: cst.For, context: Context) -> Plan:
    """The vectorised form of the nest that starts at `loop`, or Unvectorizable(reason)."""
    axes, statements = _nest(loop, context)
    return _Body(loop, axes, context).rewrite(statements)


def indexes_by_counter(loop: cst.For) -> bool:
    """Does the loop body index something with the loop's counter (is it worth explaining)?"""
    if not isinstance(loop.target, cst.Name):
        return False
    counter = loop.target.value
    return any(mentions(element, counter) for element in walk(loop.body, cst.SubscriptElement))


# -- the nest -------------------------------------------------------------------------------


def _nest(loop: cst.For, context: Context) -> tuple[list[_Axis], list[cst.BaseSmallStatement]]:
    axes: list[_Axis] = []
    node = loop
    while True:
        axes.append(_axis(node, [a.counter for a in axes]))
        block = node.body
        if isinstance(block, cst.SimpleStatementSuite):
            return axes, list(block.body)
        lines = list(block.body)
        if len(lines) == 1 and isinstance(lines[0], cst.For):
            node = lines[0]
            continue
        statements: list[cst.BaseSmallStatement] = []
        for line in lines:
            if not isinstance(line, cst.SimpleStatementLine):
                raise Unvectorizable(_compound_reason(line, context.module))
            statements.extend(line.body)
        return axes, statements


def _axis(loop: cst.For, outer: list[str]) -> _Axis:
    if loop.orelse is not None or loop.asynchronous is not None:
        raise Unvectorizable("has an `else` clause" if loop.orelse else "is an `async for`")
    if not isinstance(loop.target, cst.Name):
        raise Unvectorizable("unpacks its loop target")
    call = loop.iter
    if not (
        isinstance(call, cst.Call)
        and m.matches(call.func, m.Name("range"))
        and 1 <= len(call.args) <= 2
        and all(arg.keyword is None and not arg.star for arg in call.args)
    ):
        raise Unvectorizable("does not count with `range(stop)` or `range(start, stop)`")
    bounds = [arg.value for arg in call.args]
    for bound in bounds:
        for counter in outer:
            if mentions(bound, counter):
                raise Unvectorizable(
                    f"the range of `{loop.target.value}` depends on the outer counter `{counter}` (a triangular nest)"
                )
    start, stop = (None, bounds[0]) if len(bounds) == 1 else (bounds[0], bounds[1])
    return _Axis(loop.target.value, start, stop)


def _compound_reason(statement: cst.CSTNode, module: cst.Module) -> str:
    if isinstance(statement, cst.If):
        return "has a branch (`if`): the iterations do not all do the same work"
    if isinstance(statement, (cst.For, cst.While)):
        return "has a nested loop beside other statements"
    if isinstance(statement, (cst.Try, cst.TryStar, cst.With)):
        return f"has a `{_first_word(statement, module)}` block"
    return f"has `{_first_word(statement, module)}`"


def _first_word(node: cst.CSTNode, module: cst.Module) -> str:
    return module.code_for_node(node).strip().split()[0].rstrip(":")


# -- the body -------------------------------------------------------------------------------


@dataclass
class _Store:
    base: str  # the array written, as code (`self.w`)
    index: str  # its index, as code (`i, j`)


class _Body:
    """Checks and rewrites the straight-line statements of one nest's body."""

    def __init__(self, loop: cst.For, axes: list[_Axis], context: Context) -> None:
        self.loop = loop
        self.axes = axes
        self.counters = [axis.counter for axis in axes]
        self.context = context
        self.ranks = context.ranks
        self.temps: dict[str, frozenset[str]] = {}
        self.reads: list[tuple[str, str, bool]] = []  # (array, index, loop-dependent) of every element read
        self.unsure_elements: list[str] = []  # elements assumed to be single numbers
        self.pad = 0  # trailing `None`s that line loop-dependent elements up with the target's element shape
        self.ellipsis: bool | None = None  # whether elements are indexed after a leading `...`
        self.assigned: set[str] = set()

    def code(self, node: cst.CSTNode) -> str:
        return " ".join(self.context.module.code_for_node(node).split())

    def rewrite(self, statements: Sequence[cst.BaseSmallStatement]) -> Plan:
        if not statements:
            raise Unvectorizable("has an empty body")
        assigned = self.assigned = self._assigned_names(statements)
        for counter in self.counters:
            if counter in assigned:
                raise Unvectorizable(f"assigns its counter `{counter}`")
        for axis in self.axes:
            for bound in (axis.start, axis.stop):
                if bound is not None and any(mentions(bound, name) for name in assigned):
                    raise Unvectorizable(f"its range reads `{self.code(bound)}`, which the body changes")
        stores = [self._store(s) for s in statements if _stored_subscript(s) is not None]
        self._set_pad(stores)
        lines: list[str] = []
        reduces = False
        accumulators: set[str] = set()
        for statement in statements:
            line, reduced = self._statement(statement, accumulators)
            lines.append(line)
            reduces = reduces or reduced
        self._check_dependences(statements, stores, accumulators)
        for store in stores:
            if not self._is_array(store.base):
                raise Unvectorizable(
                    f"nothing shows that `{store.base}` is an array or a tensor: were it a list, the slice "
                    "assignment would change its length instead of failing"
                )
        for name in sorted(set(self.temps) | set(self.counters)):
            if _read_after(self.context.function, self.loop, name):
                what = "counter" if name in self.counters else "temporary"
                raise Unvectorizable(f"the {what} `{name}` is read after the loop")
        return Plan(reduces, "\n".join(lines), self._assumptions(stores))

    # statements

    def _assigned_names(self, statements: Sequence[cst.BaseSmallStatement]) -> set[str]:
        names: set[str] = set()
        for statement in statements:
            if isinstance(statement, cst.Assign):
                for target in statement.targets:
                    if isinstance(target.target, cst.Name):
                        names.add(target.target.value)
            elif isinstance(statement, (cst.AugAssign, cst.AnnAssign)) and isinstance(statement.target, cst.Name):
                names.add(statement.target.value)
        return names

    def _statement(self, statement: cst.BaseSmallStatement, accumulators: set[str]) -> tuple[str, bool]:
        """One rewritten line, and whether it reduces."""
        if isinstance(statement, (cst.Break, cst.Continue, cst.Return, cst.Raise)):
            raise Unvectorizable(f"leaves the loop early (`{self.code(statement).split()[0]}`)")
        if isinstance(statement, cst.Expr) and isinstance(statement.value, (cst.Yield, cst.Await)):
            raise Unvectorizable(f"hands values out one at a time (`{self.code(statement).split()[0]}`)")
        if isinstance(statement, cst.Expr):
            raise Unvectorizable(f"runs `{self.code(statement)}` for its effect")
        if isinstance(statement, cst.Assign):
            if len(statement.targets) != 1:
                raise Unvectorizable(f"assigns several targets in `{self.code(statement)}`")
            target = statement.targets[0].target
            total = _running_total(target, statement.value)
            if total is not None:
                return self._accumulate(target, "+", total, statement, accumulators), True
            if isinstance(target, cst.Name):
                return self._temporary(target.value, statement.value), False
            if isinstance(target, cst.Subscript):
                return self._map(target, "=", statement.value), False
            raise Unvectorizable(f"assigns `{self.code(target)}`")
        if isinstance(statement, cst.AugAssign):
            symbol = self.code(statement.operator).strip()
            target = statement.target
            if isinstance(target, cst.Subscript):
                counters = self._target_counters(target)
                if counters == set(self.counters):
                    return self._map(target, symbol, statement.value), False
            if symbol in _SUMMED and isinstance(target, (cst.Name, cst.Subscript)):
                return self._accumulate(target, symbol[0], statement.value, statement, accumulators), True
            raise Unvectorizable(f"combines iterations with `{symbol}` in `{self.code(statement)}`")
        if isinstance(statement, cst.Pass):
            raise Unvectorizable("has only `pass`")
        raise Unvectorizable(f"has `{self.code(statement)}`")

    def _temporary(self, name: str, value: cst.BaseExpression) -> str:
        if name in self.temps:
            raise Unvectorizable(f"assigns the temporary `{name}` twice")
        new, axes = _Expression(self, self._unset()).vectorize(value)
        self.temps[name] = axes
        return f"{name} = {self.code(new)}"

    def _map(self, target: cst.Subscript, symbol: str, value: cst.BaseExpression) -> str:
        new_target, kept = _Expression(self, self._unset()).subscript(target, store=True)
        if kept != set(self.counters):
            missing = ", ".join(f"`{c}`" for c in self.counters if c not in kept)
            raise Unvectorizable(f"writes `{self.code(target)}` once per {missing}: only the last write stays")
        batched = self._batched(target, symbol, value)
        new_value, axes = _Expression(self, self._unset(), batched).vectorize(value)
        if not axes and symbol != "=":
            raise Unvectorizable(f"`{self.code(target)} {symbol} {self.code(value)}` adds a value that never changes")
        return f"{self.code(new_target)} {symbol} {self.code(new_value)}"

    def _batched(self, target: cst.Subscript, symbol: str, value: cst.BaseExpression) -> bool:
        """`out[b] = torch.linalg.cholesky(a[b])`: a linear-algebra call that works on a batch of
        matrices, applied to one matrix per iteration of a single loop. Its arguments are whole
        matrices, not numbers, so it must be the whole statement and index only by the counter."""
        if not (
            isinstance(value, cst.Call)
            and self.context.api.get(id(value)) in BATCHED
            and symbol == "="
            and len(self.counters) == 1
            and len(target.slice) == 1
        ):
            return False
        counter = self.counters[0]
        for arg in value.args:
            if arg.keyword is None and isinstance(arg.value, cst.Subscript):
                if len(arg.value.slice) == 1 and _offset(_index_value(arg.value.slice[0]), counter) == 0:
                    continue
            if mentions(arg.value, counter):
                return False
        return _offset(_index_value(target.slice[0]), counter) == 0

    def _accumulate(
        self,
        target: cst.BaseAssignTargetExpression,
        sign: str,
        value: cst.BaseExpression,
        statement: cst.BaseSmallStatement,
        accumulators: set[str],
    ) -> str:
        """`s += f(x[i])` → `s += f(x[:n]).sum(0)`; `s += a[i] * b[i]` → `s += a[:n] @ b[:n]`."""
        name = self.code(target)
        root = _root_name(target)
        if root is None or mentions(value, root):
            raise Unvectorizable(f"`{self.code(statement)}` reads the running total")
        kept: frozenset[str] = frozenset()
        if isinstance(target, cst.Subscript):
            new_target, kept = _Expression(self, self._unset()).subscript(target, store=True)
            if self.ellipsis:
                raise Unvectorizable(f"adds into `{name}` with a leading `...`")
            name = self.code(new_target)
        accumulators.add(root)
        if isinstance(statement, cst.Assign) and isinstance(target, cst.Subscript):
            self.reads.append((self.code(target.value), self.index_code(target), True))
        new_value, axes = _Expression(self, self._unset()).vectorize(value)
        dropped = [c for c in self.counters if c in axes and c not in kept]
        if not dropped or axes - kept - set(dropped):
            raise Unvectorizable(f"`{self.code(statement)}` adds a value that does not change with the counters")
        summed = self._summed(value, new_value, dropped, kept)
        if isinstance(statement, cst.Assign):
            return f"{name} = {name} {sign} {summed}"
        return f"{name} {sign}= {summed}"

    def _summed(
        self, value: cst.BaseExpression, new_value: cst.BaseExpression, dropped: list[str], kept: frozenset[str]
    ) -> str:
        text = self.code(new_value)
        dot = self._dot(value, new_value)
        if dot is not None and not kept and len(self.counters) == 1:
            return dot
        if self.ellipsis:
            axes = [len(self.counters) - self.counters.index(c) for c in dropped]
            dims = [f"-{a}" for a in sorted(axes, reverse=True)]
        else:
            dims = [str(self.counters.index(c)) for c in dropped]
        dim = dims[0] if len(dims) == 1 else f"({', '.join(dims)})"
        if not _atomic(new_value):
            text = f"({text})"
        return f"{text}.sum({dim})"

    def _dot(self, value: cst.BaseExpression, new_value: cst.BaseExpression) -> str | None:
        """`a[i] * b[i]` over one leading counter: a dot product, `a[:n] @ b[:n]`."""
        if not (
            isinstance(value, cst.BinaryOperation)
            and isinstance(value.operator, cst.Multiply)
            and isinstance(new_value, cst.BinaryOperation)
            and not value.lpar
            and not self.ellipsis
        ):
            return None
        counter = self.counters[0]
        for side in (value.left, value.right):
            if not (isinstance(side, cst.Subscript) and len(side.slice) == 1 and mentions(side.slice[0], counter)):
                return None
            if self.ranks.get(self.code(side.value)) != 1:
                return None
        return f"{self.code(new_value.left)} @ {self.code(new_value.right)}"

    def _unset(self) -> set[str]:
        """Names the body assigns that no statement so far has set: reading them reads the last iteration."""
        return self.assigned - set(self.temps)

    def _store(self, statement: cst.BaseSmallStatement) -> _Store:
        target = _stored_subscript(statement)
        assert target is not None
        return _Store(self.code(target.value), self.index_code(target))

    def index_code(self, node: cst.Subscript) -> str:
        return ", ".join(self.code(element.slice) for element in node.slice)

    def _target_counters(self, target: cst.Subscript) -> set[str]:
        return {c for c in self.counters if any(mentions(element, c) for element in target.slice)}

    def _is_array(self, base: str) -> bool:
        """Evidence that `base` is an array or tensor: the facts say so, its allocation shows its
        shape, it is indexed with a tuple or read with `.shape`, or it is assigned the result of
        a NumPy or PyTorch call or of arithmetic lists do not have (`-`, `/`, `**`, `@`)."""
        if base in self.context.arrays or base in self.ranks:
            return True
        scope = self.context.function if "." not in base else self.context.module
        for node in walk(scope, (cst.Subscript, cst.Attribute)):
            if isinstance(node, cst.Subscript) and self.code(node.value) == base:
                if len(node.slice) > 1 or m.matches(node.slice[0], m.SubscriptElement(m.Index(m.Ellipsis()))):
                    return True
            if isinstance(node, cst.Attribute) and node.attr.value in _ARRAY_MEMBERS and self.code(node.value) == base:
                return True
        for node in walk(scope, cst.Assign):
            assert isinstance(node, cst.Assign)
            if any(self.code(t.target) == base for t in node.targets) and self._makes_array(node.value):
                return True
        return False

    def _aliased(self, first: str, second: str) -> bool:
        """Is one assigned from the other (`b = a`, `b = a.T`, `b = a[1:]`) in the function?"""
        for node in walk(self.context.function, cst.Assign):
            assert isinstance(node, cst.Assign)
            value = node.value
            while isinstance(value, (cst.Attribute, cst.Subscript)):
                value = value.value
            source = self.code(value)
            for target in node.targets:
                if {self.code(target.target), source} == {first, second}:
                    return True
        return False

    def _makes_array(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.BinaryOperation) and not isinstance(value.operator, (cst.Add, cst.Multiply)):
            return not isinstance(value.operator, cst.Modulo)
        if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
            return True
        return any(
            self.context.api.get(id(call), "").partition(".")[0] in ("numpy", "torch") for call in walk(value, cst.Call)
        )

    def _set_pad(self, stores: list[_Store]) -> None:
        """Trailing axes each loop-dependent element needs to line up with the written elements."""
        pads = set()
        for store in stores:
            rank = self.ranks.get(store.base)
            indices = store.index.count(",") + 1
            pads.add(rank - indices if rank is not None and rank >= indices else None)
        known = {p for p in pads if p is not None}
        if len(known) > 1:
            raise Unvectorizable("writes arrays whose elements have different shapes")
        self.pad = known.pop() if known else 0

    # dependences

    def _check_dependences(
        self, statements: Sequence[cst.BaseSmallStatement], stores: list[_Store], accumulators: set[str]
    ) -> None:
        """Every array written is read only at the element this iteration writes."""
        written: dict[str, str] = {}
        for store in stores:
            if written.setdefault(store.base, store.index) != store.index:
                raise Unvectorizable(f"writes `{store.base}` at two different indices")
        for base, index in written.items():
            mentions = sum(_count_code(s, base, self.code) for s in statements)
            same = sum(1 for b, i, _ in self.reads if b == base and i == index)
            stored = sum(1 for s in stores if s.base == base)
            if mentions != same + stored:
                other = next((f"`{b}[{i}]`" for b, i, _ in self.reads if b == base and i != index), f"`{base}`")
                raise Unvectorizable(
                    f"reads {other} while writing `{base}[{index}]`: one iteration's result feeds another"
                )
        for name in accumulators:
            if name in self.temps:
                raise Unvectorizable(f"`{name}` is both a temporary and a running total")

    def _assumptions(self, stores: list[_Store]) -> tuple[Assumption, ...]:
        found: list[Assumption] = []
        if self.unsure_elements:
            listed = ", ".join(f"`{e}`" for e in dict.fromkeys(self.unsure_elements))
            found.append(
                Assumption(
                    f"{listed} {'is one element' if len(self.unsure_elements) == 1 else 'are single elements'}: "
                    "each array is indexed in all its dimensions",
                    "the slices line the loop axes up in front of each element's own shape; elements of "
                    "different shapes would broadcast differently",
                    "vectorize",
                    "print the arrays' `.shape`",
                )
            )
        for axis in self.axes:
            for bound in (axis.start, axis.stop):
                if bound is not None and not _non_negative(bound):
                    found.append(
                        Assumption(
                            f"`{self.code(bound)}` is not negative",
                            "a range to a negative number is empty, but a slice to one is not",
                            "vectorize",
                            f"check where `{self.code(bound)}` comes from",
                        )
                    )
        written = {store.base for store in stores}
        fresh = {base for base in written if base in self.ranks}
        shared = sorted(
            {(w, b) for w in written - fresh for b, i, dependent in self.reads if dependent and b not in written}
        )
        for w, b in shared:
            if self._aliased(w, b):
                raise Unvectorizable(f"`{b}` may be `{w}` itself, read at another element than the one written")
            found.append(
                Assumption(
                    f"`{w}` and `{b}` do not share memory",
                    "the loop reads each element of one before writing the other; the slice reads all of them first",
                    "vectorize",
                    f"check that `{w}` is not a view of `{b}`",
                )
            )
        return tuple(found)


class _Expression:
    """Rewrites one expression: counter-indexed elements become slices; checks everything else."""

    def __init__(self, body: _Body, later: set[str], batched: bool = False) -> None:
        self.body = body
        self.later = later
        # the expression is one batched call on whole matrices (see `_Body._batched`)
        self.batched = batched

    def vectorize(self, node: cst.BaseExpression) -> tuple[cst.BaseExpression, frozenset[str]]:
        body = self.body
        if isinstance(node, cst.Name):
            if node.value in body.counters:
                raise Unvectorizable(f"uses the counter `{node.value}` as a number, not only as an index")
            if node.value in body.temps:
                return node, body.temps[node.value]
            if node.value in self.later:
                raise Unvectorizable(
                    f"reads `{node.value}` before the body sets it: it carries a value between iterations"
                )
            return node, frozenset()
        if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
            return node, frozenset()
        if isinstance(node, cst.Attribute):
            self.invariant(node.value, f"reads `.{node.attr.value}` of a value computed in the loop")
            return node, frozenset()
        if isinstance(node, cst.Subscript):
            return self.subscript(node)
        if isinstance(node, cst.BinaryOperation):
            left, left_axes = self.vectorize(node.left)
            right, right_axes = self.vectorize(node.right)
            axes = left_axes | right_axes
            if axes and isinstance(node.operator, cst.MatrixMultiply):
                raise Unvectorizable(f"multiplies matrices (`{body.code(node)}`) element by element of the loop")
            return node.with_changes(left=left, right=right), axes
        if isinstance(node, cst.UnaryOperation):
            inner, axes = self.vectorize(node.expression)
            if axes and isinstance(node.operator, cst.Not):
                raise Unvectorizable(f"`{body.code(node)}` takes the truth of one value")
            return node.with_changes(expression=inner), axes
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            comparison = node.comparisons[0]
            if isinstance(comparison.operator, (cst.In, cst.NotIn, cst.Is, cst.IsNot)):
                raise Unvectorizable(f"`{body.code(node)}` tests identity or membership")
            left, left_axes = self.vectorize(node.left)
            right, right_axes = self.vectorize(comparison.comparator)
            return node.with_changes(left=left, comparisons=[comparison.with_changes(comparator=right)]), (
                left_axes | right_axes
            )
        if isinstance(node, cst.Call):
            return self.call(node)
        if any(mentions(node, name) for name in [*body.counters, *body.temps, *self.later]):
            raise Unvectorizable(f"uses `{body.code(node)}`, which the rewrite cannot turn into slices")
        return node, frozenset()

    def invariant(self, node: cst.BaseExpression, reason: str) -> None:
        for name in [*self.body.counters, *self.body.temps, *self.later]:
            if mentions(node, name):
                raise Unvectorizable(reason)

    def call(self, node: cst.Call) -> tuple[cst.BaseExpression, frozenset[str]]:
        body = self.body
        self.invariant(node.func, f"calls a method of a value computed in the loop (`{body.code(node)}`)")
        args = []
        axes: frozenset[str] = frozenset()
        for arg in node.args:
            if arg.star:
                raise Unvectorizable(f"unpacks arguments in `{body.code(node)}`")
            value, value_axes = self.vectorize(arg.value)
            if value_axes and arg.keyword is not None:
                raise Unvectorizable(f"passes a changing value by keyword in `{body.code(node)}`")
            args.append(arg.with_changes(value=value))
            axes |= value_axes
        if id(node) in body.context.impure:
            raise Unvectorizable(
                f"calls `{body.code(node.func)}`, which may have effects or draw random numbers: "
                "it must run once per iteration"
            )
        if axes and not (self.elementwise(node) or self.batched):
            raise Unvectorizable(
                f"calls `{body.code(node.func)}` on values that change in the loop; "
                "it is not known to work element by element"
            )
        return node.with_changes(args=args), axes

    def elementwise(self, node: cst.Call) -> bool:
        api = self.body.context.api.get(id(node))
        if api is None:
            return isinstance(node.func, cst.Name) and node.func.value in _ELEMENTWISE_BUILTINS
        root, _, name = api.partition(".")
        return root in ("numpy", "torch") and name in ELEMENTWISE

    def subscript(self, node: cst.Subscript, store: bool = False) -> tuple[cst.Subscript, frozenset[str]]:
        """`a[k, i]` → `a[k, :n]`, with `None` for the counters it lacks and the padding for the target's element."""
        body = self.body
        base = body.code(node.value)
        self.invariant(node.value, f"indexes `{base}`, which is computed in the loop")
        elements = list(node.slice)
        ellipsis = bool(elements) and m.matches(elements[0], m.SubscriptElement(m.Index(m.Ellipsis())))
        positions: dict[str, int] = {}
        new: list[cst.SubscriptElement] = []
        for position, element in enumerate(elements):
            new.append(self.index(element, node, position, positions))
        index_text = body.index_code(node)
        if not positions:
            if not store:
                body.reads.append((base, index_text, False))
            return node, frozenset()
        order = sorted(positions, key=positions.__getitem__)
        if order != [c for c in body.counters if c in positions]:
            raise Unvectorizable(f"indexes `{body.code(node)}` in another order than the loops run")
        if body.ellipsis is not None and body.ellipsis != ellipsis:
            raise Unvectorizable("indexes some elements after `...` and others not")
        body.ellipsis = ellipsis
        if not store:
            new = self.spread(new, positions)
            body.reads.append((base, index_text, True))
            rank = body.ranks.get(base)
            if rank is None and not self.batched:
                body.unsure_elements.append(body.code(node))
            pad = body.pad - (rank - len(elements) if rank is not None and not ellipsis else 0)
            if pad < 0:
                raise Unvectorizable(f"`{body.code(node)}` has more dimensions than the elements it is stored in")
            if ellipsis and body.pad:
                raise Unvectorizable("indexes after `...` while storing arrays")
            new.extend(_none_element() for _ in range(pad))
        return node.with_changes(slice=_commas(new)), frozenset(positions)

    def index(
        self, element: cst.SubscriptElement, node: cst.Subscript, position: int, positions: dict[str, int]
    ) -> cst.SubscriptElement:
        body = self.body
        if not isinstance(element.slice, cst.Index):
            if any(mentions(element, c) for c in body.counters):
                raise Unvectorizable(f"slices with a counter in `{body.code(node)}`")
            raise Unvectorizable(f"takes a slice in `{body.code(node)}`: the loop axes would not line up")
        value = element.slice.value
        for axis in body.axes:
            offset = _offset(value, axis.counter)
            if offset is None:
                continue
            if axis.counter in positions:
                raise Unvectorizable(f"uses the counter `{axis.counter}` twice in `{body.code(node)}`")
            positions[axis.counter] = position
            return element.with_changes(slice=self.slice(axis, offset, node, position))
        self.invariant(value, f"indexes `{body.code(node)}` with a computed index")
        return element

    def slice(self, axis: _Axis, offset: int, node: cst.Subscript, position: int) -> cst.Slice:
        """`i` over `range(a, b)` → `a:b`; `i + 1` → `a + 1:b + 1`; `:` for `range(len(a))` in `a[i]`."""
        code = self.body.code
        base = code(node.value)
        whole = {f"{base}.shape[{position}]", f"{base}.size({position})"} | (
            {f"len({base})"} if position == 0 else set()
        )
        if axis.start is None and not offset and code(axis.stop) in whole:
            return cst.Slice(lower=None, upper=None)
        start = 0 if axis.start is None else _int(axis.start)
        if start is None:
            if offset:
                raise Unvectorizable(f"offsets the counter in `{code(node)}` over a range with a computed start")
            lower = code(axis.start)  # type: ignore[arg-type]
        elif start + offset < 0:
            raise Unvectorizable(f"`{code(node)}` reaches below index 0, where indexing wraps around")
        else:
            lower = str(start + offset) if start + offset else ""
        upper = _shifted(axis.stop, offset, code)
        return cst.Slice(lower=cst.parse_expression(lower) if lower else None, upper=cst.parse_expression(upper))

    def spread(self, elements: list[cst.SubscriptElement], positions: dict[str, int]) -> list[cst.SubscriptElement]:
        """Insert `None` where the element lacks a counter, so every slice has the nest's axes in order."""
        counters = self.body.counters
        result = list(elements)
        at_index = dict(positions)
        for rank, counter in enumerate(counters):
            if counter in at_index:
                continue
            later = [p for c, p in at_index.items() if counters.index(c) > rank]
            at = min(later) if later else max(at_index.values()) + 1
            result.insert(at, _none_element())
            at_index = {c: p + 1 if p >= at else p for c, p in at_index.items()}
            at_index[counter] = at
        return result


# -- helpers --------------------------------------------------------------------------------


def _running_total(target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> cst.BaseExpression | None:
    """`s = s + a - b` → `a - b` (what the statement adds to a running total), else None."""
    if not (
        isinstance(target, (cst.Name, cst.Subscript))
        and isinstance(value, cst.BinaryOperation)
        and isinstance(value.operator, (cst.Add, cst.Subtract))
        and not value.lpar
    ):
        return None
    if value.left.deep_equals(target):
        if isinstance(value.operator, cst.Add):
            return value.right
        right = value.right
        if isinstance(right, (cst.BinaryOperation, cst.UnaryOperation, cst.Comparison)) and not right.lpar:
            right = right.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.UnaryOperation(cst.Minus(), right)
    rest = _running_total(target, value.left)
    return None if rest is None else value.with_changes(left=rest)


def _stored_subscript(statement: cst.BaseSmallStatement) -> cst.Subscript | None:
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
        if isinstance(target, cst.Subscript):
            return target
    if isinstance(statement, cst.AugAssign) and isinstance(statement.target, cst.Subscript):
        return statement.target
    return None


def _root_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _offset(value: cst.BaseExpression, counter: str) -> int | None:
    """0 for `i`, c for `i + c`, -c for `i - c` (c a literal), None when not the counter."""
    if isinstance(value, cst.Name):
        return 0 if value.value == counter else None
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Subtract)):
        left, right = value.left, value.right
        if m.matches(left, m.Name(counter)) and _int(right) is not None:
            amount = _int(right)
            assert amount is not None
            return amount if isinstance(value.operator, cst.Add) else -amount
        if isinstance(value.operator, cst.Add) and m.matches(right, m.Name(counter)) and _int(left) is not None:
            return _int(left)
    return None


def _index_value(element: cst.SubscriptElement) -> cst.BaseExpression:
    return element.slice.value if isinstance(element.slice, cst.Index) else cst.Ellipsis()


def _int(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    return None


def _shifted(bound: cst.BaseExpression, offset: int, code: Callable[[cst.CSTNode], str]) -> str:
    """The code of `bound + offset`, folding literals (`len(x) - 1` shifted by 1 is `len(x)`)."""
    literal = _int(bound)
    if literal is not None:
        return str(literal + offset)
    if not offset:
        return code(bound)
    if (
        isinstance(bound, cst.BinaryOperation)
        and isinstance(bound.operator, (cst.Add, cst.Subtract))
        and not bound.lpar
    ):
        amount = _int(bound.right)
        if amount is not None:
            return _shifted(bound.left, offset + (amount if isinstance(bound.operator, cst.Add) else -amount), code)
    text = code(bound)
    if isinstance(bound, (cst.BinaryOperation, cst.UnaryOperation)):
        text = f"({text})"
    return f"{text} + {offset}" if offset > 0 else f"{text} - {-offset}"


def _non_negative(node: cst.BaseExpression) -> bool:
    """`3`, `len(x)`, `x.shape[0]`, `x.size(0)`: cannot be negative."""
    if _int(node) is not None:
        return True
    if isinstance(node, cst.Call) and m.matches(node.func, m.Name("len") | m.Attribute(attr=m.Name("size"))):
        return True
    return isinstance(node, cst.Subscript) and m.matches(node.value, m.Attribute(attr=m.Name("shape")))


def _atomic(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)) or bool(node.lpar)


def _none_element() -> cst.SubscriptElement:
    return cst.SubscriptElement(cst.Index(cst.Name("None")))


def _commas(elements: list[cst.SubscriptElement]) -> list[cst.SubscriptElement]:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return [
        e.with_changes(comma=comma if k < len(elements) - 1 else cst.MaybeSentinel.DEFAULT)
        for k, e in enumerate(elements)
    ]


def _names(node: cst.CSTNode) -> Iterator[str]:
    """Every variable name the code reads or writes (not attribute names after a dot)."""
    if isinstance(node, cst.Attribute):
        yield from _names(node.value)
        return
    if isinstance(node, cst.Name):
        yield node.value
    for child in children(node):
        yield from _names(child)


def mentions(node: cst.CSTNode, name: str) -> bool:
    return any(n == name for n in _names(node))


def _count_code(node: cst.CSTNode, text: str, code: Callable[[cst.CSTNode], str]) -> int:
    """How many expressions in `node` are exactly `text` (`a`, `self.w`); names after a dot do not count."""
    if isinstance(node, (cst.Name, cst.Attribute)) and code(node) == text:
        return 1
    if isinstance(node, cst.Attribute):
        return _count_code(node.value, text, code)
    return sum(_count_code(child, text, code) for child in children(node))


def allocated_ranks(function: cst.FunctionDef, api: dict[int, str]) -> dict[str, int]:
    """Local arrays whose number of dimensions the allocation shows (`np.zeros((n, 3, 3))`)."""
    ranks: dict[str, int] = {}
    seen: set[str] = set()
    for node in walk(function.body, cst.Assign):
        assert isinstance(node, cst.Assign)
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            continue
        name = node.targets[0].target.value
        if name in seen:
            ranks.pop(name, None)
            continue
        seen.add(name)
        rank = _allocated_rank(node.value, api, ranks)
        if rank is not None:
            ranks[name] = rank
    return ranks


def _allocated_rank(value: cst.BaseExpression, api: dict[int, str], ranks: dict[str, int]) -> int | None:
    if not isinstance(value, cst.Call) or not value.args or any(a.star for a in value.args):
        return None
    qualified = api.get(id(value), "")
    positional = [a.value for a in value.args if a.keyword is None]
    if qualified in _VECTORS:
        return 1
    if qualified in _LIKE and positional and isinstance(positional[0], cst.Name):
        return ranks.get(positional[0].value)
    if qualified not in _ALLOCATORS or not positional:
        return None
    first = positional[0]
    if isinstance(first, (cst.Tuple, cst.List)):
        return len(first.elements)
    # `torch.zeros(2, 3)`, `np.random.rand(2, 3)`: one argument per dimension (`full` takes a sequence)
    varargs = (qualified.startswith("torch.") or qualified.startswith("numpy.random.")) and qualified != "torch.full"
    if varargs:
        return len(positional) if len(positional) > 1 or isinstance(first, cst.Integer) else None
    return 1 if isinstance(first, cst.Integer) else None


def _read_after(function: cst.FunctionDef, loop: cst.For, name: str) -> bool:
    """Could code after the loop (or an enclosing loop's next iteration) read `name` as the loop left it?

    Walks outward from the loop: the statements after it in its block, then after its parent,
    and, for an enclosing loop, around to the start of that loop's body. The first statement
    that mentions the name decides: a plain `name = ...` not reading it kills the value; anything
    else reads it. Assignments inside nested blocks do not count as kills."""
    path = _path_to(function, loop)
    if path is None:
        return True
    for parent, block, at in reversed(path):
        verdict = _first_in_block(block[at + 1 :], name)
        if verdict is not None:
            return verdict
        if isinstance(parent, (cst.For, cst.While)):
            header = parent.iter if isinstance(parent, cst.For) else parent.test
            if mentions(header, name):
                return True
            verdict = _first_in_block(block[:at], name)
            if verdict is not None:
                return verdict
    return False


def _first_mention(statement: cst.CSTNode, name: str) -> bool | None:
    """True: may read `name` before setting it; False: surely sets it first; None: neither
    (does not mention it, or only sets it on some paths)."""
    if not mentions(statement, name):
        return None
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if not mentions(small, name):
                continue
            return not (
                isinstance(small, cst.Assign)
                and all(m.matches(t.target, m.Name(name)) for t in small.targets)
                and not mentions(small.value, name)
            )
    if isinstance(statement, cst.For):
        if mentions(statement.iter, name):
            return True
        if m.matches(statement.target, m.Name(name)):
            return False  # rebinds it (after an empty loop the old value stays: a risk taken)
    if isinstance(statement, (cst.For, cst.While, cst.If)):
        header = statement.test if isinstance(statement, (cst.While, cst.If)) else statement.target
        if mentions(header, name):
            return True
        for _, block in _blocks(statement):
            if _first_in_block(block, name):
                return True
        return None  # set, if at all, only on some paths: what follows decides
    return True


def _first_in_block(block: Sequence[cst.CSTNode], name: str) -> bool | None:
    for statement in block:
        verdict = _first_mention(statement, name)
        if verdict is not None:
            return verdict
    return None


def _path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[tuple[cst.CSTNode, Sequence[cst.CSTNode], int]] | None:
    """(owner, its statement block, index of the next step) from `root` down to `target`."""
    for block_owner, block in _blocks(root):
        for at, statement in enumerate(block):
            if statement is target:
                return [(block_owner, block, at)]
            if any(node is target for node in walk(statement, cst.For)):
                rest = _path_to(statement, target)
                if rest is not None:
                    return [(block_owner, block, at), *rest]
    return None


def _blocks(owner: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, Sequence[cst.CSTNode]]]:
    """The statement blocks directly inside `owner` (a body, an else, the handlers' bodies)."""
    for child in children(owner):
        if isinstance(child, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            yield owner, child.body
        elif isinstance(child, (cst.Else, cst.ExceptHandler, cst.Finally, cst.If)):
            yield from _blocks(child)
