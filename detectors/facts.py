"""Extract the augmented computation graph of a module as Datalog facts.

Every fact is one attribute of one object (HARP's design), so rules written against
an older vocabulary keep working when new attributes are added.  Nodes (statements,
loops, branches, expressions) get integer ids; variables are strings: `name` at module
level, `function.name` for a function's locals.

Vocabulary (all arguments are node ids unless they say otherwise):

    scope(S)  scope_kind(S, Kind)               module, function or class bodies
    stmt(S)  line(N, Line)  single_line(S)      statements; `single_line`: alone on its line
    control(P, C)                               P (scope, loop, branch, context) runs C directly
    loop(L)  loop_kind(L, for|while)  loop_target(L, Var)
    loop_nonempty(L)                            statically runs at least once
    loop_range(L)  range_arg(L, E)              `for _ in range(args)` with simple, non-literal arguments
    for_range(L)                                `for _ in range(a)` or `range(a, b)`, literal or simple arguments
    branch(B)                                   if / try / match / loop-else: children may not run
    context(W)                                  a `with` block: children run inside a context manager
    may_skip(S)                                 S follows a break/continue/return/raise in its block
    expr(E)  expr_stmt(E, S)  expr_kind(E, Kind)  operand(E, C)
    binop(E, Op)  left(E, X)  right(E, Y)       `Op` is the operator's text, e.g. "@"
    matmul(E, X, Y)                             `X @ Y` or a matmul-like call
    name_read(E, Var)  attr(E, Name)  subscript(E)  opaque(E)  lazy(E)  loop_test(E)
    call(E)  api(E, Qualified)  prop(E, P)      framework API calls and their knowledge-base properties
    call_method(E)  method(E, Name)  receiver(E, R)  mprop(E, P)   method calls and what the
                                                knowledge base says of that method on a tensor
    callee_function(E)                          a call of a named function we cannot see into
    callee_object(E)                            a call of an object (`model(x)`) or unknown method
    builtin_pure(E)                             a pure Python builtin (`len`, `abs`, ...)
    autograd_call(E)  optimizer_call(E)         `.backward()`, `optimizer.step()` and the like
    kb_mutates(E, Var)                          the API is known to write this variable in place
    call_effect(E, Var)                         if the callee has unknown effects it may write Var
    assigns(S, Var)  mutates(S, Var)  value_of(S, Var, E)  alias(Var, Var2)
    stored_value(E)                             E's value is stored into an attribute or an item
    returned(E)                                 E's value is returned to the caller
    param(Var)  global_var(Var)  global_effect(Var)  tensor_var(Var)
    spec_tensor(Var, Why)                       speculation: Var is a tensor (Why is a string)
    read_before_def(S, L)                       S's target is read earlier in loop L's body
    arg(C, I, X)  keyword(C, Name, X)           call C's positional argument I / keyword argument Name
    dict_item(D, K, V)                          `{K: V}` in dict display D
    same_code(E1, E2)                           calls or operations E1 and E2 (E1 first) read the same:
                                                the same computation, up to layout and comments
    loop_iter(L, E)                             the iterable of for loop L
    function_def(F, Qualname)  param_index(F, Var, I)  method_of(F, Class)
    decorated(F, Qualified)  decorator_call(F, E)   F's decorators (qualified names; calls as exprs)
    calls(E, Qualname)                          E calls the function or method defined here as Qualname
    imports(Root)                               the module imports this framework ("tensorflow")
    toplevel_function(F)  step_like(F)          defined in a module or class body; named like a
                                                training step (`train_step`, `call`, ...: Hybridize's heuristic)
    yields(F)                                   F is a generator
    attr_store(S, Var)                          S writes an attribute or an item of Var's object
    api_module(E, Root)                         the top-level module of E's API ("numpy", "scipy")
    tf_op(E, Short)  tf_decorated(F, Short)     a TensorFlow API by its name without `tensorflow.`,
                                                `tensorflow.compat.v1.` or `.v2.` ("matmul", "Session")
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from harp_refactor.finding import Span

from .knowledge import ApiInfo, KnowledgeBase
from .knowledge import load as load_knowledge
from .positions import Positions
from .syntax_walk import visit


class Const(str):
    """An ASP constant (`pure`, `call`), as opposed to a quoted string term."""


Term = int | str
Atom = tuple[str, tuple[Term, ...]]

FRAMEWORKS = ("torch", "numpy", "tensorflow", "keras", "scipy")
# Names whose use marks a value as a tensor (HARP speculation pattern 2).
TENSOR_MEMBERS = frozenset(
    "backward grad detach numpy cuda cpu unsqueeze unsqueeze_ squeeze permute reshape view type_as "
    "T mT ndim dtype shape size dim device requires_grad item tolist contiguous transpose matmul "
    "astype flatten ravel".split()
)
TENSOR_ANNOTATIONS = frozenset(
    {"torch.Tensor", "numpy.ndarray", "tensorflow.Tensor", "tensorflow.Variable", "numpy.typing.NDArray"}
)
PURE_BUILTINS = frozenset(
    "abs all any bool complex divmod float hash int isinstance issubclass len max min pow range "
    "repr round sorted str sum tuple type".split()
)
# Builtins that convert a tensor to a Python value: a device synchronisation on a tensor.
SYNC_BUILTINS = frozenset({"float", "int", "bool", "complex"})
# Logging and printing: HARP speculation 5 takes I/O to be logging with no other effect.
IO_FUNCTIONS = frozenset({"print"})
IO_METHODS = frozenset({"debug", "info", "warning", "error", "critical", "exception", "log", "write", "flush"})
# Methods of Python containers: they write their receiver, store their arguments, and do
# nothing else.
CONTAINER_METHODS = frozenset("append extend insert add update setdefault pop popitem remove discard clear".split())
AUTOGRAD_APIS = frozenset({"torch.autograd.backward", "torch.autograd.grad"})
OPTIMIZER_METHODS = frozenset({"step", "apply_gradients", "minimize"})
MATMUL_APIS = frozenset(
    {"torch.matmul", "torch.mm", "numpy.matmul", "numpy.dot", "tensorflow.matmul", "tensorflow.linalg.matmul"}
)
# Hybridize's speculation: functions named like these take tensors.
STEP_LIKE = re.compile(r"\w*train\w*_step|\w*test\w*_step|\w*_step|call|__call__|run_model|\w*inference")
KB_FLAGS = ("pure", "random", "graph", "sync", "tensor", "view", "stateful")


@dataclass(frozen=True)
class NodeRef:
    """A fact node: what it is, the CST node and where it is."""

    kind: str
    node: cst.CSTNode
    positions: Positions = field(repr=False, compare=False)
    within: cst.CSTNode | None = field(default=None, repr=False, compare=False)  # its module-level statement

    @property
    def span(self) -> Span:
        return self.positions.span(self.node, self.within)

    @property
    def start(self) -> tuple[int, int]:
        """(line, column) where the node starts: cheaper than `span` for statements."""
        return self.positions.start(self.node)


@dataclass
class Facts:
    """The atoms of one module and the table that maps node ids back to source."""

    module: cst.Module
    atoms: list[Atom] = field(default_factory=list)
    nodes: dict[int, NodeRef] = field(default_factory=dict)

    def code(self, node_id: int) -> str:
        """The source text of a node, on one line."""
        node = self.nodes[node_id].node
        if isinstance(node, cst.BaseCompoundStatement):
            lines = self.module.code_for_node(node).strip().splitlines()
            return next(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
        return " ".join(self.module.code_for_node(node).split())

    def program(self) -> str:
        """The facts as an ASP program for clingo."""
        return "".join(f"{_atom_text(atom)}.\n" for atom in self.atoms)

    def render(self) -> str:
        """The facts for people: every node described once, then the atoms."""
        lines = [
            f"% {node_id}: {ref.kind} at {ref.span.line}:{ref.span.col} {self.code(node_id)[:60]}"
            for node_id, ref in sorted(self.nodes.items())
        ]
        lines.extend(f"{_atom_text(atom)}." for atom in self.atoms)
        return "\n".join(lines) + "\n"


def _term_text(term: Term) -> str:
    if isinstance(term, (int, Const)):
        return str(term)
    escaped = term.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _atom_text(atom: Atom) -> str:
    name, args = atom
    return f"{name}({','.join(_term_text(arg) for arg in args)})" if args else name


def _is_exit(node: cst.CSTNode, in_nested_loop: bool = False) -> bool:
    """Does running `node` possibly leave the enclosing block early?"""
    if isinstance(node, (cst.Return, cst.Raise)):
        return True
    if isinstance(node, (cst.Break, cst.Continue)):
        return not in_nested_loop
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
        return False
    nested = in_nested_loop or isinstance(node, (cst.For, cst.While))
    return any(_is_exit(child, nested) for child in node.children)


def _bound_names(node: cst.CSTNode) -> Iterable[str]:
    """Names a target expression binds (`a`, `a, (b, c)`, `*rest`)."""
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from _bound_names(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from _bound_names(node.value)


class _LocalNames(cst.CSTVisitor):
    """Collect the names a function binds locally, without entering nested scopes."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.declared_outer: set[str] = set()
        self.nonlocals: set[str] = set()
        self.imports: dict[str, str] = {}

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = dotted
            else:
                root = dotted.split(".")[0]
                self.imports[root] = root

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = get_full_name_for_node(node.module) if node.module is not None else ""
        prefix = "." * len(node.relative) + (module or "")
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self.imports[local] = f"{prefix}.{name}" if prefix and not prefix.endswith(".") else prefix + name

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.bound.update(_bound_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bound.update(_bound_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bound.update(_bound_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.bound.update(_bound_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.bound.update(_bound_names(node.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound.update(_bound_names(node.target))

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        name = node.asname.name if node.asname else node.name
        if isinstance(name, cst.Name):
            self.bound.add(name.value)
        elif isinstance(name, cst.Attribute):
            root: cst.BaseExpression = name
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name):
                self.bound.add(root.value)

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_outer.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared_outer.update(item.name.value for item in node.names)
        self.nonlocals.update(item.name.value for item in node.names)


@dataclass
class _Scope:
    """Where names resolve while walking one function, class or module body."""

    node_id: int
    qualname: str
    local: frozenset[str]
    imports: dict[str, str] = field(default_factory=dict)
    outer: _Scope | None = None

    function: bool = False
    kind: str = "module"

    def var(self, name: str) -> str:
        """The variable a name means here: local, an enclosing function's (closures), or global."""
        if self.qualname and name in self.local:
            return f"{self.qualname}.{name}"
        if self.outer is not None and self.outer.function:
            return self.outer.var(name)
        return name

    def imported(self, name: str) -> str | None:
        """The dotted module path an imported name stands for here, or None."""
        if name in self.imports:
            return self.imports[name]
        if name in self.local or self.outer is None:
            return None
        return self.outer.imported(name)


class _Extractor:
    """Walk a module once and emit its facts."""

    def __init__(self, module: cst.Module, positions: Positions, knowledge: KnowledgeBase) -> None:
        self.facts = Facts(module=module)
        self.positions = positions
        self.module_statement: cst.CSTNode | None = None  # the one being walked
        self.knowledge = knowledge
        self.next_id = 0
        self.loop_depth = 0
        self.module_names: set[str] = set()
        # calls and operations, for `same_code`
        self.computations: list[tuple[int, cst.BaseExpression]] = []

    # -- bookkeeping -------------------------------------------------------------
    def emit(self, name: str, *args: Term) -> None:
        self.facts.atoms.append((name, args))

    def new(self, kind: str, node: cst.CSTNode) -> int:
        self.next_id += 1
        self.facts.nodes[self.next_id] = NodeRef(kind, node, self.positions, self.module_statement)
        return self.next_id

    def qualified_name(self, node: cst.CSTNode, scope: _Scope) -> str | None:
        """The framework API a dotted name resolves to through the imports in scope, if any."""
        dotted = get_full_name_for_node(node) if _is_dotted(node) else None
        if not dotted:
            return None
        root, _, rest = dotted.partition(".")
        module = scope.imported(root)
        if module is None or module.split(".")[0] not in FRAMEWORKS:
            return None
        return f"{module}.{rest}" if rest else module

    # -- scopes --------------------------------------------------------------------
    def module(self, module: cst.Module) -> None:
        names = _LocalNames()
        for statement in module.body:
            visit(statement, names)
        self.module_names = names.bound
        for root in sorted({dotted.split(".")[0] for dotted in names.imports.values()} & set(FRAMEWORKS)):
            self.emit("imports", root)
        scope_id = self.new("module", module)
        self.emit("scope", scope_id)
        self.emit("scope_kind", scope_id, Const("module"))
        for name in sorted(names.bound):
            self.emit("global_var", name)
        self.block(module.body, scope_id, _Scope(scope_id, "", frozenset(), names.imports))

    def function(self, node: cst.FunctionDef, outer: _Scope) -> int:
        names = _LocalNames()
        visit(node.body, names)
        params = [p for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)]
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                params.append(star)
        param_names = {p.name.value for p in params}
        local = frozenset((names.bound | param_names) - names.declared_outer)
        qualname = f"{outer.qualname}.{node.name.value}" if outer.qualname else node.name.value
        scope_id = self.new("function", node)
        scope = _Scope(scope_id, qualname, local, names.imports, outer, function=True, kind="function")
        self.emit("scope", scope.node_id)
        self.emit("scope_kind", scope.node_id, Const("function"))
        self.emit("function_def", scope.node_id, qualname)
        if outer.kind != "function":
            self.emit("toplevel_function", scope.node_id)
        if STEP_LIKE.fullmatch(node.name.value):
            self.emit("step_like", scope.node_id)
        if _is_generator(node):
            self.emit("yields", scope.node_id)
        if outer.kind == "class":
            self.emit("method_of", scope.node_id, outer.qualname)
        # `global x` and `nonlocal x`: calling this function may rebind that outer variable.
        for name in sorted(names.declared_outer):
            self.emit("global_decl", scope.var(name) if name in names.nonlocals else name)
        for index, param in enumerate(params):
            var = scope.var(param.name.value)
            self.emit("param", var)
            self.emit("param_index", scope.node_id, var, index)
            annotation = param.annotation.annotation if param.annotation else None
            if annotation is not None and self._annotation_is_tensor(annotation, scope):
                self.emit("tensor_var", var)
        self.block(node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body], scope.node_id, scope)
        return scope.node_id

    def _annotation_is_tensor(self, annotation: cst.BaseExpression, scope: _Scope) -> bool:
        target = annotation.value if isinstance(annotation, cst.Subscript) else annotation
        return self.qualified_name(target, scope) in TENSOR_ANNOTATIONS

    # -- statements ----------------------------------------------------------------
    def block(self, body: Sequence[cst.CSTNode], parent: int, scope: _Scope) -> None:
        skipping = False
        for statement in body:
            if body is self.facts.module.body:
                self.module_statement = statement
            ids = self.statement(statement, parent, scope)
            if skipping:
                for statement_id in ids:
                    self.emit("may_skip", statement_id)
            # Early exits matter only inside loops; outside, skip the walk.
            skipping = skipping or (self.loop_depth > 0 and _is_exit(statement))

    def statement(self, node: cst.CSTNode, parent: int, scope: _Scope) -> list[int]:
        """Emit one statement (a line may hold several) and return the ids it got."""
        if isinstance(node, cst.SimpleStatementLine):
            ids = [self.small(small, parent, scope) for small in node.body]
            if len(ids) == 1:
                self.emit("single_line", ids[0])
            return ids
        if isinstance(node, cst.For):
            return [self.for_loop(node, parent, scope)]
        if isinstance(node, cst.While):
            return [self.while_loop(node, parent, scope)]
        if isinstance(node, cst.If):
            return [self.if_statement(node, parent, scope)]
        if isinstance(node, (cst.Try, cst.TryStar)):
            return [self.try_statement(node, parent, scope)]
        if isinstance(node, cst.With):
            return [self.with_statement(node, parent, scope)]
        if isinstance(node, cst.FunctionDef):
            return [self.definition(node, node.name.value, parent, scope)]
        if isinstance(node, cst.ClassDef):
            return [self.definition(node, node.name.value, parent, scope)]
        if isinstance(node, cst.Match):
            statement_id = self.compound("branch", node, parent)
            self.expression(node.subject, statement_id, scope)
            for case in node.cases:
                self.block(case.body.body if isinstance(case.body, cst.IndentedBlock) else [], statement_id, scope)
            return [statement_id]
        return [self.compound("statement", node, parent)]

    def compound(self, kind: str, node: cst.CSTNode, parent: int) -> int:
        statement_id = self.new(kind, node)
        self.emit("stmt", statement_id)
        self.emit("line", statement_id, self.positions.start(node)[0])
        self.emit("control", parent, statement_id)
        if kind in ("branch", "context"):
            self.emit(kind, statement_id)
        return statement_id

    def body_of(self, suite: cst.BaseSuite) -> Sequence[cst.CSTNode]:
        return suite.body if isinstance(suite, cst.IndentedBlock) else [suite]

    def else_block(self, orelse: cst.Else | None, parent: int, scope: _Scope) -> None:
        if orelse is not None:
            else_id = self.compound("branch", orelse, parent)
            self.block(self.body_of(orelse.body), else_id, scope)

    def for_loop(self, node: cst.For, parent: int, scope: _Scope) -> int:
        loop_id = self.compound("loop", node, parent)
        self.emit("loop", loop_id)
        self.emit("loop_kind", loop_id, Const("for"))
        self.emit("loop_iter", loop_id, self.expression(node.iter, loop_id, scope))
        self.loop_bounds(loop_id, node.iter, scope)
        for name in _bound_names(node.target):
            var = scope.var(name)
            self.emit("assigns", loop_id, var)
            self.emit("loop_target", loop_id, var)
            for root in self.alias_roots(node.iter, scope):
                self.emit("alias", var, root)
        if not isinstance(node.target, (cst.Name, cst.Tuple, cst.List)):
            self.target(node.target, loop_id, scope)
        self.loop_body(node.body, loop_id, scope)
        self.else_block(node.orelse, parent, scope)
        return loop_id

    def loop_bounds(self, loop_id: int, iterable: cst.BaseExpression, scope: _Scope) -> None:
        """Record whether a for loop surely runs, or can be guarded by its range."""
        if isinstance(iterable, (cst.List, cst.Tuple)) and iterable.elements:
            self.emit("loop_nonempty", loop_id)
            return
        if not (
            isinstance(iterable, cst.Call)
            and isinstance(iterable.func, cst.Name)
            and iterable.func.value == "range"
            and "range" not in self.module_names
            and 1 <= len(iterable.args) <= 2
            and all(arg.keyword is None and arg.star == "" for arg in iterable.args)
        ):
            return
        values = [arg.value for arg in iterable.args]
        if all(_is_simple(value) for value in values):
            self.emit("for_range", loop_id)
        literals = [_int_literal(value) for value in values]
        if all(literal is not None for literal in literals):
            start, stop = (0, literals[0]) if len(literals) == 1 else (literals[0], literals[1])
            if start is not None and stop is not None and stop > start:
                self.emit("loop_nonempty", loop_id)
            return
        if all(_is_simple(value) for value in values):
            self.emit("loop_range", loop_id)
            for value in values:
                self.emit("range_arg", loop_id, self.expression(value, loop_id, scope))

    def while_loop(self, node: cst.While, parent: int, scope: _Scope) -> int:
        loop_id = self.compound("loop", node, parent)
        self.emit("loop", loop_id)
        self.emit("loop_kind", loop_id, Const("while"))
        test = self.expression(node.test, loop_id, scope)
        self.emit("loop_test", test)
        self.loop_body(node.body, loop_id, scope)
        self.else_block(node.orelse, parent, scope)
        return loop_id

    def loop_body(self, body: cst.BaseSuite, loop_id: int, scope: _Scope) -> None:
        self.loop_depth += 1
        self.block(self.body_of(body), loop_id, scope)
        self.loop_depth -= 1

    def if_statement(self, node: cst.If, parent: int, scope: _Scope) -> int:
        branch_id = self.compound("branch", node, parent)
        self.expression(node.test, branch_id, scope)
        self.block(self.body_of(node.body), branch_id, scope)
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            self.if_statement(orelse, branch_id, scope)
        elif isinstance(orelse, cst.Else):
            self.block(self.body_of(orelse.body), branch_id, scope)
        return branch_id

    def try_statement(self, node: cst.Try | cst.TryStar, parent: int, scope: _Scope) -> int:
        # Moving code out of a try changes which exceptions are caught: a branch for us.
        branch_id = self.compound("branch", node, parent)
        self.block(self.body_of(node.body), branch_id, scope)
        for handler in node.handlers:
            if handler.name is not None:
                for name in _bound_names(handler.name.name):
                    self.emit("assigns", branch_id, scope.var(name))
            self.block(self.body_of(handler.body), branch_id, scope)
        for part in (node.orelse, node.finalbody):
            if part is not None:
                self.block(self.body_of(part.body), branch_id, scope)
        return branch_id

    def with_statement(self, node: cst.With, parent: int, scope: _Scope) -> int:
        context_id = self.compound("context", node, parent)
        for item in node.items:
            item_id = self.expression(item.item, context_id, scope)
            if item.asname is not None:
                for name in _bound_names(item.asname.name):
                    self.emit("assigns", context_id, scope.var(name))
                if isinstance(item.asname.name, cst.Name):
                    self.emit("value_of", context_id, scope.var(item.asname.name.value), item_id)
        self.block(self.body_of(node.body), context_id, scope)
        return context_id

    def definition(self, node: cst.FunctionDef | cst.ClassDef, name: str, parent: int, scope: _Scope) -> int:
        statement_id = self.compound("statement", node, parent)
        self.emit("assigns", statement_id, scope.var(name))
        decorators = [self.expression(d.decorator, statement_id, scope) for d in node.decorators]
        depth, self.loop_depth = self.loop_depth, 0
        if isinstance(node, cst.FunctionDef):
            function_id = self.function(node, scope)
            for decorator, decorator_id in zip(node.decorators, decorators, strict=True):
                called = decorator.decorator
                if isinstance(called, cst.Call):
                    self.emit("decorator_call", function_id, decorator_id)
                    called = called.func
                qualified = self.qualified_name(called, scope)
                self.emit("decorated", function_id, qualified or self.facts.module.code_for_node(called))
                if qualified and (short := tf_short(qualified)):
                    self.emit("tf_decorated", function_id, short)
        else:
            self.class_body(node, scope)
        self.loop_depth = depth
        return statement_id

    def class_body(self, node: cst.ClassDef, outer: _Scope) -> None:
        qualname = f"{outer.qualname}.{node.name.value}" if outer.qualname else node.name.value
        names = _LocalNames()
        visit(node.body, names)
        scope = _Scope(self.new("class", node), qualname, frozenset(names.bound), names.imports, outer, kind="class")
        self.emit("scope", scope.node_id)
        self.emit("scope_kind", scope.node_id, Const("class"))
        self.block(self.body_of(node.body), scope.node_id, scope)

    def small(self, node: cst.BaseSmallStatement, parent: int, scope: _Scope) -> int:
        statement_id = self.compound("statement", node, parent)
        if isinstance(node, cst.Assign):
            value = self.expression(node.value, statement_id, scope)
            for target in node.targets:
                self.target(target.target, statement_id, scope, node.value, value, len(node.targets) == 1)
                if not isinstance(target.target, cst.Name):
                    self.emit("stored_value", value)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                value = self.expression(node.value, statement_id, scope)
                self.target(node.target, statement_id, scope, node.value, value, True)
                if not isinstance(node.target, cst.Name):
                    self.emit("stored_value", value)
        elif isinstance(node, cst.AugAssign):
            self.expression(node.value, statement_id, scope)
            # `x += y` rebinds x and, on tensors and arrays, writes x's memory in place.
            self.expression(node.target, statement_id, scope)
            self.target(node.target, statement_id, scope)
            for root in self.alias_roots(node.target, scope):
                self.emit("mutates", statement_id, root)
        elif isinstance(node, cst.Expr) and node.value is not None:
            self.expression(node.value, statement_id, scope)
        elif isinstance(node, cst.Return) and node.value is not None:
            self.emit("returned", self.expression(node.value, statement_id, scope))
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.expression(node.exc, statement_id, scope)
        elif isinstance(node, cst.Assert):
            self.expression(node.test, statement_id, scope)
        elif isinstance(node, cst.Del):
            self.target(node.target, statement_id, scope)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            names = _LocalNames()
            visit(node, names)
            for name in sorted(names.bound):
                self.emit("assigns", statement_id, scope.var(name))
        return statement_id

    def target(
        self,
        node: cst.BaseExpression,
        statement_id: int,
        scope: _Scope,
        value_node: cst.BaseExpression | None = None,
        value_id: int | None = None,
        single: bool = False,
    ) -> None:
        """Emit what assigning to (or deleting) `node` binds and writes."""
        if isinstance(node, cst.Name):
            var = scope.var(node.value)
            self.emit("assigns", statement_id, var)
            if value_node is not None:
                if single and value_id is not None:
                    self.emit("value_of", statement_id, var, value_id)
                for root in self.alias_roots(value_node, scope):
                    self.emit("alias", var, root)
            if var == node.value and scope.qualname:
                self.emit("global_effect", var)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self.target(element.value, statement_id, scope, value_node)
        elif isinstance(node, cst.StarredElement):
            self.target(node.value, statement_id, scope, value_node)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            # Writing an attribute or an item mutates the object it belongs to.
            self.expression(node.value, statement_id, scope)
            if isinstance(node, cst.Subscript):
                for index in node.slice:
                    self.slice_expressions(index.slice, statement_id, scope)
            for root in self.alias_roots(node.value, scope):
                self.emit("mutates", statement_id, root)
                self.emit("attr_store", statement_id, root)
                if scope.qualname and root in self.module_names and root not in scope.local:
                    self.emit("global_effect", root)

    def slice_expressions(self, node: cst.BaseSlice, statement_id: int, scope: _Scope) -> list[int]:
        if isinstance(node, cst.Index):
            return [self.expression(node.value, statement_id, scope)]
        parts = (node.lower, node.upper, node.step) if isinstance(node, cst.Slice) else ()
        return [self.expression(part, statement_id, scope) for part in parts if part is not None]

    # -- values ----------------------------------------------------------------------
    def alias_roots(self, node: cst.BaseExpression, scope: _Scope) -> set[str]:
        """Variables whose objects the value of `node` may share memory with."""
        if isinstance(node, cst.Name):
            return {scope.var(node.value)}
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            return self.alias_roots(node.value, scope)
        if isinstance(node, cst.Call):
            info = self.call_info(node, scope)
            if info is not None and info.pure and not info.view:
                return set()
            if isinstance(node.func, cst.Name) and node.func.value in PURE_BUILTINS:
                return set()
            roots: set[str] = set()
            if isinstance(node.func, cst.Attribute) and self.qualified_name(node.func, scope) is None:
                roots |= self.alias_roots(node.func.value, scope)
            for arg in node.args:
                roots |= self.alias_roots(arg.value, scope)
            return roots
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            return set().union(*(self.alias_roots(e.value, scope) for e in node.elements))
        if isinstance(node, cst.BooleanOperation):
            return self.alias_roots(node.left, scope) | self.alias_roots(node.right, scope)
        if isinstance(node, cst.IfExp):
            return self.alias_roots(node.body, scope) | self.alias_roots(node.orelse, scope)
        return set()

    def call_info(self, node: cst.Call, scope: _Scope) -> ApiInfo | None:
        qualified = self.qualified_name(node.func, scope)
        return self.knowledge.lookup(qualified) if qualified else None

    # -- expressions -----------------------------------------------------------------
    def expression(self, node: cst.BaseExpression, statement_id: int, scope: _Scope) -> int:
        kind = _expression_kind(node)
        expr_id = self.new(kind, node)
        self.emit("expr", expr_id)
        self.emit("expr_stmt", expr_id, statement_id)
        self.emit("expr_kind", expr_id, Const(kind))

        def operand(child: cst.BaseExpression) -> int:
            child_id = self.expression(child, statement_id, scope)
            self.emit("operand", expr_id, child_id)
            return child_id

        if isinstance(node, cst.Name):
            self.emit("name_read", expr_id, scope.var(node.value))
        elif isinstance(node, cst.Attribute):
            self.emit("attr", expr_id, node.attr.value)
            if not self.qualified_name(node, scope):
                operand(node.value)
                self.speculate_member(node.value, node.attr.value, scope)
        elif isinstance(node, cst.Call):
            self.computations.append((expr_id, node))
            self.call(node, expr_id, statement_id, scope, operand)
        elif isinstance(node, cst.BinaryOperation):
            self.computations.append((expr_id, node))
            left, right = operand(node.left), operand(node.right)
            op = self.facts.module.code_for_node(node.operator).strip()
            self.emit("binop", expr_id, op)
            self.emit("left", expr_id, left)
            self.emit("right", expr_id, right)
            if op == "@":
                self.emit("matmul", expr_id, left, right)
                for side in (node.left, node.right):
                    if isinstance(side, cst.Name):
                        self.emit("spec_tensor", scope.var(side.value), "it is an operand of @")
        elif isinstance(node, cst.UnaryOperation):
            operand(node.expression)
        elif isinstance(node, cst.Comparison):
            operand(node.left)
            for comparison in node.comparisons:
                operand(comparison.comparator)
        elif isinstance(node, cst.BooleanOperation):
            operand(node.left)
            self.emit("lazy", operand(node.right))
        elif isinstance(node, cst.IfExp):
            operand(node.test)
            self.emit("lazy", operand(node.body))
            self.emit("lazy", operand(node.orelse))
        elif isinstance(node, cst.Subscript):
            self.emit("subscript", expr_id)
            operand(node.value)
            for index in node.slice:
                for child in self.slice_expressions(index.slice, statement_id, scope):
                    self.emit("operand", expr_id, child)
        elif isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            for element in node.elements:
                operand(element.value)
        elif isinstance(node, cst.Dict):
            for item in node.elements:
                if isinstance(item, cst.DictElement):
                    key = operand(item.key)
                    self.emit("dict_item", expr_id, key, operand(item.value))
                else:
                    operand(item.value)
        elif isinstance(node, (cst.Lambda, cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp)):
            self.emit("opaque", expr_id)
            self.comprehension_effects(node, statement_id, scope, expr_id)
        elif isinstance(node, (cst.Await, cst.Yield, cst.NamedExpr, cst.StarredElement, cst.FormattedString)):
            self.emit("opaque", expr_id)
            if isinstance(node, cst.NamedExpr):
                self.target(node.target, statement_id, scope)
                operand(node.value)
            elif isinstance(node, cst.Await):
                operand(node.expression)
            elif isinstance(node, cst.Yield) and isinstance(node.value, cst.BaseExpression):
                # a yielded value is handed to the caller, which may keep or write it
                self.emit("stored_value", operand(node.value))
            elif isinstance(node, cst.StarredElement):
                operand(node.value)
        return expr_id

    def comprehension_effects(self, node: cst.BaseExpression, statement_id: int, scope: _Scope, expr_id: int) -> None:
        """Calls inside a comprehension still run: emit them, marked lazy and opaque."""
        if isinstance(node, cst.Lambda):
            return
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                child_id = self.expression(child, statement_id, scope)
                self.emit("operand", expr_id, child_id)
                self.emit("lazy", child_id)
            elif isinstance(child, (cst.CompFor, cst.CompIf)):
                self.comprehension_effects_part(child, statement_id, scope, expr_id)

    def comprehension_effects_part(self, node: cst.CSTNode, statement_id: int, scope: _Scope, expr_id: int) -> None:
        for child in node.children:
            if isinstance(child, cst.BaseExpression) and not isinstance(child, (cst.Name, cst.Tuple)):
                child_id = self.expression(child, statement_id, scope)
                self.emit("operand", expr_id, child_id)
                self.emit("lazy", child_id)
            elif isinstance(child, (cst.CompFor, cst.CompIf)):
                self.comprehension_effects_part(child, statement_id, scope, expr_id)

    def speculate_member(self, receiver: cst.BaseExpression, member: str, scope: _Scope) -> None:
        if isinstance(receiver, cst.Name) and member in TENSOR_MEMBERS:
            self.emit("spec_tensor", scope.var(receiver.value), f"it is used with .{member}")

    def call(
        self,
        node: cst.Call,
        expr_id: int,
        statement_id: int,
        scope: _Scope,
        operand: Callable[[cst.BaseExpression], int],
    ) -> None:
        self.emit("call", expr_id)
        func = node.func
        qualified = self.qualified_name(func, scope)
        arg_ids = [operand(arg.value) for arg in node.args]
        positional = 0
        for arg, arg_id in zip(node.args, arg_ids, strict=True):
            if arg.keyword is not None:
                self.emit("keyword", expr_id, arg.keyword.value, arg_id)
            elif not arg.star:
                self.emit("arg", expr_id, positional, arg_id)
                positional += 1
        effect_roots: set[str] = set()
        for arg in node.args:
            effect_roots |= self.alias_roots(arg.value, scope)
        if qualified is not None:
            self.emit("api", expr_id, qualified)
            self.emit("api_module", expr_id, qualified.split(".")[0])
            if short := tf_short(qualified):
                self.emit("tf_op", expr_id, short)
            info = self.knowledge.lookup(qualified)
            if info is None:
                self.emit("unknown_api", expr_id)
                for root in sorted(effect_roots):
                    self.emit("call_effect", expr_id, root)
            else:
                self.emit_properties("prop", expr_id, info)
                self.emit_mutations(expr_id, info, node, scope)
            if qualified in AUTOGRAD_APIS:
                self.emit("autograd_call", expr_id)
            if qualified in MATMUL_APIS and len(arg_ids) == 2 and all(a.keyword is None for a in node.args):
                self.emit("matmul", expr_id, arg_ids[0], arg_ids[1])
            return
        if isinstance(func, cst.Attribute):
            receiver = operand(func.value)
            method = func.attr.value
            own_class = self.own_class(func.value, scope)
            if own_class:
                self.emit("calls", expr_id, f"{own_class}.{method}")
            self.emit("call_method", expr_id)
            self.emit("method", expr_id, method)
            self.emit("receiver", expr_id, receiver)
            self.speculate_member(func.value, method, scope)
            info = self.knowledge.method(method)
            if info is not None:
                self.emit_properties("mprop", expr_id, info)
                if "self" in info.mutates:
                    for root in sorted(self.alias_roots(func.value, scope)):
                        self.emit("kb_mutates", expr_id, root)
            if method == "backward":
                self.emit("autograd_call", expr_id)
            if method in OPTIMIZER_METHODS:
                self.emit("optimizer_call", expr_id)
            if method in IO_METHODS and info is None:
                self.emit("io_call", expr_id)
                return
            if method in CONTAINER_METHODS and info is None:
                self.emit("container_call", expr_id)
                receivers = self.alias_roots(func.value, scope)
                for root in sorted(receivers):
                    self.emit("call_effect", expr_id, root)
                    for stored in sorted(effect_roots):
                        self.emit("alias", root, stored)
                return
            effect_roots |= self.alias_roots(func.value, scope)
        else:
            operand(func)
            if isinstance(func, cst.Name) and func.value in IO_FUNCTIONS and func.value not in self.module_names:
                self.emit("io_call", expr_id)
                return
            if isinstance(func, cst.Name) and func.value in PURE_BUILTINS and func.value not in self.module_names:
                self.emit("builtin_pure", expr_id)
                if func.value in SYNC_BUILTINS:
                    self.emit("builtin_sync", expr_id)
                return
            if isinstance(func, cst.Name) and (
                scope.imported(func.value) is not None
                or (func.value in self.module_names and func.value not in scope.local)
            ):
                self.emit("callee_function", expr_id)
                if func.value in self.module_names and scope.imported(func.value) is None:
                    self.emit("calls", expr_id, func.value)
            else:
                self.emit("callee_object", expr_id)
        for root in sorted(effect_roots):
            self.emit("call_effect", expr_id, root)

    def own_class(self, receiver: cst.BaseExpression, scope: _Scope) -> str | None:
        """The class whose method this is, when `receiver` is the method's `self`."""
        if not (isinstance(receiver, cst.Name) and receiver.value == "self"):
            return None
        while scope.outer is not None and scope.kind != "class":
            scope = scope.outer
        return scope.qualname if scope.kind == "class" else None

    def emit_properties(self, predicate: str, expr_id: int, info: ApiInfo) -> None:
        for flag in KB_FLAGS:
            if getattr(info, flag):
                self.emit(predicate, expr_id, Const(flag))
        if info.mutates == ("self",):
            self.emit(predicate, expr_id, Const("mutates_self"))

    def emit_mutations(self, expr_id: int, info: ApiInfo, node: cst.Call, scope: _Scope) -> None:
        """Variables a known API writes in place: by position, by keyword, or `self`."""
        for which in info.mutates:
            for index, arg in enumerate(node.args):
                hit = (arg.keyword is not None and arg.keyword.value == which) or (
                    arg.keyword is None and which == str(index)
                )
                if hit:
                    for root in sorted(self.alias_roots(arg.value, scope)):
                        self.emit("kb_mutates", expr_id, root)


def tf_short(qualified: str) -> str:
    """A TensorFlow API's name without its module prefix, or '' for anything else."""
    for prefix in ("tensorflow.compat.v1.", "tensorflow.compat.v2.", "tensorflow."):
        if qualified.startswith(prefix):
            return qualified.removeprefix(prefix)
    return ""


def _is_dotted(node: cst.CSTNode) -> bool:
    """`a.b.c`, not `f(x).c` (which libCST would also name `f.c`)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _is_generator(node: cst.FunctionDef) -> bool:
    """Does the function's own body (not a nested one) yield?"""
    found = False

    class Yields(cst.CSTVisitor):
        def visit_Yield(self, _: cst.Yield) -> None:
            nonlocal found
            found = True

        def visit_FunctionDef(self, _: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, _: cst.Lambda) -> bool:
            return False

    visit(node.body, Yields())
    return found


def _expression_kind(node: cst.BaseExpression) -> str:
    kinds: dict[type, str] = {
        cst.Name: "name",
        cst.Attribute: "attribute",
        cst.Call: "call",
        cst.BinaryOperation: "binop",
        cst.UnaryOperation: "unop",
        cst.Comparison: "compare",
        cst.BooleanOperation: "boolop",
        cst.IfExp: "ifexp",
        cst.Subscript: "subscript",
        cst.Integer: "const",
        cst.Float: "const",
        cst.Imaginary: "const",
        cst.SimpleString: "const",
        cst.ConcatenatedString: "const",
        cst.Ellipsis: "const",
        cst.Tuple: "container",
        cst.List: "container",
        cst.Set: "container",
        cst.Dict: "container",
    }
    return kinds.get(type(node), "other")


def _int_literal(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _int_literal(node.expression)
        return -inner if inner is not None else None
    return None


def _is_simple(node: cst.BaseExpression) -> bool:
    """Can this expression be evaluated a second time for a guard, without effects?"""
    if isinstance(node, (cst.Name, cst.Integer)):
        return True
    if isinstance(node, cst.Attribute):
        return _is_simple(node.value)
    if isinstance(node, cst.BinaryOperation):
        return _is_simple(node.left) and _is_simple(node.right)
    if isinstance(node, cst.UnaryOperation):
        return _is_simple(node.expression)
    if isinstance(node, cst.Subscript):
        return _is_simple(node.value) and all(
            isinstance(e.slice, cst.Index) and _is_simple(e.slice.value) for e in node.slice
        )
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "len":
        return len(node.args) == 1 and _is_simple(node.args[0].value)
    return False


def extract(
    module: cst.Module, knowledge: KnowledgeBase | None = None, *, tree: ast.Module | None = None, text: str = ""
) -> Facts:
    """The facts of a parsed module.  CPython's `tree` of the same `text`, when given, tells
    where statements start without generating the module's code (positions.py)."""
    extractor = _Extractor(module, Positions(module, tree, text), knowledge or load_knowledge())
    extractor.module(module)
    _emit_read_before_def(extractor.facts)
    _emit_same_code(extractor.facts, extractor.computations)
    return extractor.facts


def _emit_same_code(facts: Facts, computations: Sequence[tuple[int, cst.BaseExpression]]) -> None:
    """`same_code(E1, E2)` for computations whose code parses to the same Python AST.

    Grouping by shape (the callee or the operator), then by the text without whitespace
    keeps this linear and generates code only for computations that could match; the AST
    confirms."""
    code = facts.module.code_for_node
    shapes: dict[tuple[str | None, ...], list[tuple[int, cst.BaseExpression]]] = {}
    for expr_id, node in computations:
        shapes.setdefault(_shape(node), []).append((expr_id, node))
    groups: dict[str, list[tuple[int, cst.BaseExpression]]] = {}
    for alike in shapes.values():
        if len(alike) > 1:
            for expr_id, node in alike:
                groups.setdefault("".join(code(node).split()), []).append((expr_id, node))
    for members in groups.values():
        if len(members) < 2:
            continue
        by_tree: dict[str, list[int]] = {}
        for expr_id, node in members:
            try:
                tree = ast.dump(ast.parse(f"({code(node)})", mode="eval"))
            except SyntaxError:
                continue
            by_tree.setdefault(tree, []).append(expr_id)
        for ids in by_tree.values():
            for i, first in enumerate(sorted(ids)):
                for later in sorted(ids)[i + 1 :]:
                    facts.atoms.append(("same_code", (first, later)))


def _shape(node: cst.BaseExpression) -> tuple[str | None, ...]:
    if isinstance(node, cst.Call):
        return ("call", get_full_name_for_node(node.func), str(len(node.args)))
    if isinstance(node, cst.BinaryOperation):
        return ("operation", type(node.operator).__name__)
    return (type(node).__name__,)


def _emit_read_before_def(facts: Facts) -> None:
    (
        """`read_before_def(S, L)`: S assigns V, and loop L's body reads V at an earlier position.

    A read is earlier when its statement starts before S does: a read in S itself, or in a
    statement S contains, comes after S's start."""
        ""
    )
    by_name: dict[str, list[tuple[str, tuple[Term, ...]]]] = {}
    for atom in facts.atoms:
        by_name.setdefault(atom[0], []).append(atom)
    parent: dict[int, int] = {}
    for _, (p, c) in by_name.get("control", []):
        parent[int(c)] = int(p)
    loops = {int(args[0]) for _, args in by_name.get("loop", [])}
    statement_of = {int(e): int(s) for _, (e, s) in by_name.get("expr_stmt", [])}
    reads: dict[str, list[int]] = {}
    for _, (e, var) in by_name.get("name_read", []):
        reads.setdefault(str(var), []).append(int(e))

    def enclosing_loops(statement: int) -> list[int]:
        found, node = [], statement
        while node in parent:
            node = parent[node]
            if node in loops:
                found.append(node)
        return found

    for _, (s, var, _value) in by_name.get("value_of", []):
        statement = int(s)
        position = facts.nodes[statement].start
        for loop in enclosing_loops(statement):
            for read in reads.get(str(var), []):
                read_statement = statement_of[read]
                if loop in enclosing_loops(read_statement) or read_statement == loop:
                    if facts.nodes[read_statement].start < position:
                        facts.atoms.append(("read_before_def", (statement, loop)))
                        break
