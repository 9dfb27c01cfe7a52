"""Unit tests of detectors/facts.py: `extract()` on small snippets emits the atoms the rules rely on."""

from __future__ import annotations

import libcst as cst
import pytest

from harp_refactor.detectors.facts import Const, Facts, Term, extract
from harp_refactor.detectors.solver import solve
from tests.helpers import dedent


def facts_of(code: str) -> Facts:
    return extract(cst.parse_module(dedent(code)))


def node(facts: Facts, kind: str, code: str) -> int:
    """The id of the one node of `kind` whose (first line of) source is `code`."""
    found = [i for i, ref in facts.nodes.items() if ref.kind == kind and facts.code(i) == code]
    assert len(found) == 1, (kind, code, [(i, r.kind, facts.code(i)) for i, r in facts.nodes.items()])
    return found[0]


def has(facts: Facts, name: str, *args: Term) -> bool:
    return (name, tuple(args)) in facts.atoms


def args_of(facts: Facts, name: str) -> list[tuple[Term, ...]]:
    return [args for atom, args in facts.atoms if atom == name]


def name_reads(facts: Facts, expr_id: int) -> list[Term]:
    return [var for e, var in args_of(facts, "name_read") if e == expr_id]


class TestControl:
    def test_loop_controls_its_body_statements(self) -> None:
        """A loop is the control parent of each statement in its body, and only of those."""
        facts = facts_of(
            """
            def f():
                for i in range(3):
                    a = 1
                    b = 2
                c = 3
            """
        )
        function, loop = node(facts, "function", "def f():"), node(facts, "loop", "for i in range(3):")
        a, b, c = (node(facts, "statement", f"{v} = {n}") for v, n in (("a", 1), ("b", 2), ("c", 3)))
        assert has(facts, "control", loop, a) and has(facts, "control", loop, b)
        assert has(facts, "control", function, loop) and has(facts, "control", function, c)
        assert not has(facts, "control", loop, c) and not has(facts, "control", function, a)
        assert has(facts, "loop", loop) and has(facts, "loop_kind", loop, "for")
        assert has(facts, "loop_target", loop, "f.i") and has(facts, "assigns", loop, "f.i")

    def test_every_statement_has_a_line_and_one_parent(self) -> None:
        """Each statement gets stmt and line facts and exactly one control parent."""
        facts = facts_of(
            """
            import torch
            def f(x):
                while x:
                    if x:
                        y = 1
                    else:
                        y = 2
                return y
            """
        )
        statements = [s for (s,) in args_of(facts, "stmt")]
        assert len(statements) == len(set(statements)) == 7
        parents = [child for _, child in args_of(facts, "control")]
        assert sorted(parents) == sorted(statements)
        for statement in statements:
            assert has(facts, "line", statement, facts.nodes[int(statement)].span.line)
        loop = node(facts, "loop", "while x:")
        assert has(facts, "loop_kind", loop, "while")
        tests = [e for (e,) in args_of(facts, "loop_test")]
        assert len(tests) == 1 and name_reads(facts, int(tests[0])) == ["f.x"]

    def test_statements_sharing_a_line_are_not_single_line(self) -> None:
        """`a = 1; b = 2` gives two statements under the loop, neither marked single_line."""
        facts = facts_of(
            """
            for i in range(3):
                a = 1; b = 2
                c = 3
            """
        )
        loop = node(facts, "loop", "for i in range(3):")
        a, b, c = (
            node(facts, "statement", "a = 1;"),
            node(facts, "statement", "b = 2"),
            node(facts, "statement", "c = 3"),
        )
        assert all(has(facts, "control", loop, s) for s in (a, b, c))
        assert not has(facts, "single_line", a) and not has(facts, "single_line", b)
        assert has(facts, "single_line", c)


class TestLoopBounds:
    @pytest.mark.parametrize(
        ("iterable", "nonempty"),
        [
            ("range(3)", True),
            ("range(1, 4)", True),
            ("range(-2, 0)", True),
            ("range(0)", False),
            ("range(2, 2)", False),
            ("range(4, 1)", False),
            ("range(-1)", False),
            ("[1, 2]", True),
            ("(x,)", True),
            ("[]", False),
            ("xs", False),
        ],
    )
    def test_loop_nonempty_for_literal_bounds(self, iterable: str, nonempty: bool) -> None:
        """`loop_nonempty` holds exactly for loops that statically run at least once."""
        facts = facts_of(f"def f(x, xs):\n    for i in {iterable}:\n        pass\n")
        loop = node(facts, "loop", f"for i in {iterable}:")
        assert has(facts, "loop_nonempty", loop) is nonempty
        assert not has(facts, "loop_range", loop)

    def test_range_of_a_name_gives_loop_range_and_its_argument(self) -> None:
        """`for _ in range(n)` gives loop_range and a range_arg reading n, but not loop_nonempty."""
        facts = facts_of("def f(n):\n    for _ in range(n):\n        pass\n")
        loop = node(facts, "loop", "for _ in range(n):")
        assert has(facts, "loop_range", loop) and not has(facts, "loop_nonempty", loop)
        arguments = [int(e) for owner, e in args_of(facts, "range_arg") if owner == loop]
        assert len(arguments) == 1 and name_reads(facts, arguments[0]) == ["f.n"]

    def test_two_argument_range_gives_both_arguments(self) -> None:
        """`range(n, m + 1)` gives one range_arg per argument, in order."""
        facts = facts_of("def f(n, m):\n    for _ in range(n, m + 1):\n        pass\n")
        loop = node(facts, "loop", "for _ in range(n, m + 1):")
        arguments = [int(e) for owner, e in args_of(facts, "range_arg") if owner == loop]
        assert [facts.code(e) for e in arguments] == ["n", "m + 1"]
        assert has(facts, "binop", arguments[1], "+")

    @pytest.mark.parametrize("iterable", ["range(g(n))", "range(0, n, 2)", "range(*bounds)", "range(n.pop())"])
    def test_no_loop_range_for_arguments_a_guard_cannot_repeat(self, iterable: str) -> None:
        """Calls, starred arguments and a step leave no loop_range (and no range_arg)."""
        facts = facts_of(f"def f(n, g, bounds):\n    for _ in {iterable}:\n        pass\n")
        loop = node(facts, "loop", f"for _ in {iterable}:")
        assert not has(facts, "loop_range", loop) and not has(facts, "loop_nonempty", loop)
        assert [a for a in args_of(facts, "range_arg") if a[0] == loop] == []

    def test_shadowed_range_is_not_trusted(self) -> None:
        """A module that rebinds `range` gets neither loop_nonempty nor loop_range from it."""
        facts = facts_of("range = lambda n: []\nfor _ in range(3):\n    pass\nfor _ in range(k):\n    pass\n")
        assert args_of(facts, "loop_nonempty") == [] and args_of(facts, "loop_range") == []


class TestMutationAndAliasing:
    @pytest.mark.parametrize(
        "statement",
        ["x[i] = 0", "x[1:2] = y", "x.data = y", "x += 1", "x[0] += 1", "del x[0]"],
    )
    def test_writes_into_an_object_mutate_it(self, statement: str) -> None:
        """Item and attribute stores, augmented assignment and item deletion give mutates(S, x)."""
        facts = facts_of(f"def f(x, y, i):\n    {statement}\n")
        assert has(facts, "mutates", node(facts, "statement", statement), "f.x")

    def test_plain_assignment_rebinds_without_mutating(self) -> None:
        """`x = y + 1` assigns x and records its value, but mutates nothing."""
        facts = facts_of("def f(y):\n    x = y + 1\n")
        statement = node(facts, "statement", "x = y + 1")
        assert has(facts, "assigns", statement, "f.x")
        assert has(facts, "value_of", statement, "f.x", node(facts, "binop", "y + 1"))
        assert args_of(facts, "mutates") == []

    def test_in_place_method_mutates_its_receiver(self) -> None:
        """`x.add_(1)` is a known in-place method: kb_mutates for the call, so the rules derive mutates."""
        facts = facts_of("import torch\ndef f(x):\n    x.add_(1)\n")
        call = node(facts, "call", "x.add_(1)")
        statement = node(facts, "statement", "x.add_(1)")
        assert has(facts, "method", call, "add_") and has(facts, "kb_mutates", call, "f.x")
        assert has(facts, "mprop", call, "mutates_self")
        assert (statement, "f.x") in solve(facts, [], (), ("mutates",))("mutates")

    def test_out_of_place_method_on_a_tensor_mutates_nothing(self) -> None:
        """`x.add(1)` on a tensor writes no variable in place."""
        facts = facts_of("import torch\ndef f(x: torch.Tensor):\n    y = x.add(1)\n")
        assert args_of(facts, "kb_mutates") == []
        assert solve(facts, [], (), ("mutates",))("mutates") == ()

    def test_method_of_an_unknown_object_may_write_it(self) -> None:
        """`x.add(1)` on an object of unknown type may write x: the call's effect covers its receiver."""
        facts = facts_of("import torch\ndef f(x):\n    y = x.add(1)\n")
        call = node(facts, "call", "x.add(1)")
        assert has(facts, "call_effect", call, "f.x")
        assert solve(facts, [], (), ("mutates",))("mutates") == ((node(facts, "statement", "y = x.add(1)"), "f.x"),)

    @pytest.mark.parametrize(
        ("statement", "aliased"),
        [
            ("y = x[0]", True),
            ("y = x", True),
            ("y = x.T", True),
            ("y = (x, z)", True),
            ("y = np.zeros(3)", False),
            ("y = 1", False),
        ],
    )
    def test_alias_when_the_value_may_share_memory(self, statement: str, aliased: bool) -> None:
        """Views, items and containers of x alias x; fresh results of pure APIs alias nothing."""
        facts = facts_of(f"import numpy as np\ndef f(x, z):\n    {statement}\n")
        assert has(facts, "alias", "f.y", "f.x") is aliased
        if not aliased:
            assert [a for a in args_of(facts, "alias") if a[0] == "f.y"] == []


class TestApi:
    @pytest.mark.parametrize(
        ("imports", "call", "api"),
        [
            ("import torch as T", "T.matmul(a, b)", "torch.matmul"),
            ("import torch", "torch.matmul(a, b)", "torch.matmul"),
            ("from torch import matmul as mm", "mm(a, b)", "torch.matmul"),
            ("import numpy as xp", "xp.dot(a, b)", "numpy.dot"),
            ("import tensorflow as tf", "tf.matmul(a, b)", "tensorflow.matmul"),
        ],
    )
    def test_api_resolves_through_import_aliases(self, imports: str, call: str, api: str) -> None:
        """A framework call gets api(E, qualified name) and, for matmul-like APIs, matmul(E, X, Y)."""
        facts = facts_of(f"{imports}\ndef f(a, b):\n    c = {call}\n")
        expr = node(facts, "call", call)
        assert has(facts, "api", expr, api) and has(facts, "call", expr)
        assert has(facts, "prop", expr, "pure")
        matmuls = [(x, y) for e, x, y in args_of(facts, "matmul") if e == expr]
        assert len(matmuls) == 1
        assert [name_reads(facts, int(side)) for side in matmuls[0]] == [["f.a"], ["f.b"]]

    def test_nested_module_path_resolves(self) -> None:
        """`xp.linalg.norm(a)` under `import numpy as xp` resolves to numpy.linalg.norm."""
        facts = facts_of("import numpy as xp\ndef f(a):\n    return xp.linalg.norm(a)\n")
        assert has(facts, "api", node(facts, "call", "xp.linalg.norm(a)"), "numpy.linalg.norm")

    @pytest.mark.parametrize(
        "code",
        [
            "def f(a, b):\n    return torch.matmul(a, b)\n",
            "import torch\ndef f(torch, a, b):\n    return torch.matmul(a, b)\n",
            "import mylib as torch\ndef f(a, b):\n    return torch.matmul(a, b)\n",
        ],
    )
    def test_unimported_or_shadowed_name_is_no_api(self, code: str) -> None:
        """Without a framework import in scope (or with the name shadowed) the call is no API."""
        facts = facts_of(code)
        assert args_of(facts, "api") == []
        call = node(facts, "call", "torch.matmul(a, b)")
        assert has(facts, "call_method", call) and has(facts, "method", call, "matmul")

    def test_binary_matmul_operator(self) -> None:
        """`a @ b` gives binop(E, "@"), left/right and matmul(E, A, B)."""
        facts = facts_of("def f(a, b):\n    return a @ b\n")
        expr, a, b = node(facts, "binop", "a @ b"), node(facts, "name", "a"), node(facts, "name", "b")
        assert has(facts, "binop", expr, "@") and has(facts, "left", expr, a) and has(facts, "right", expr, b)
        assert has(facts, "matmul", expr, a, b)
        assert has(facts, "spec_tensor", "f.a", "it is an operand of @")


class TestControlFlowKinds:
    def test_may_skip_after_a_break(self) -> None:
        """Statements after a block that may break are may_skip; those before are not."""
        facts = facts_of(
            """
            def f(xs, n):
                for x in xs:
                    a = 1
                    if x:
                        break
                    b = 2
                    c = 3
            """
        )
        a, b, c = (node(facts, "statement", f"{v} = {i}") for v, i in (("a", 1), ("b", 2), ("c", 3)))
        assert has(facts, "may_skip", b) and has(facts, "may_skip", c)
        assert not has(facts, "may_skip", a)

    def test_break_of_an_inner_loop_does_not_skip_the_outer_body(self) -> None:
        """A break inside a nested loop only leaves that loop: the outer body's next statement runs."""
        facts = facts_of(
            """
            def f(xs, n):
                for i in range(n):
                    for x in xs:
                        break
                    a = 1
            """
        )
        assert not has(facts, "may_skip", node(facts, "statement", "a = 1"))

    @pytest.mark.parametrize("exit_statement", ["continue", "return 0", "raise ValueError"])
    def test_other_exits_make_the_rest_may_skip(self, exit_statement: str) -> None:
        """continue, return and raise in a loop body make the following statements may_skip."""
        facts = facts_of(
            f"def f(n):\n    for i in range(n):\n        if i:\n            {exit_statement}\n        a = 1\n"
        )
        assert has(facts, "may_skip", node(facts, "statement", "a = 1"))

    def test_if_is_a_branch_over_both_arms(self) -> None:
        """An if statement is a branch and the control parent of its body and its else."""
        facts = facts_of(
            """
            def f(n):
                for i in range(n):
                    if i:
                        a = 1
                    else:
                        b = 2
            """
        )
        branch = node(facts, "branch", "if i:")
        assert has(facts, "branch", branch)
        assert has(facts, "control", node(facts, "loop", "for i in range(n):"), branch)
        assert has(facts, "control", branch, node(facts, "statement", "a = 1"))
        assert has(facts, "control", branch, node(facts, "statement", "b = 2"))

    def test_try_is_a_branch(self) -> None:
        """A try statement is a branch; its handler's name is assigned by it."""
        facts = facts_of("def f():\n    try:\n        a = 1\n    except ValueError as e:\n        b = 2\n")
        branch = node(facts, "branch", "try:")
        assert has(facts, "branch", branch) and has(facts, "assigns", branch, "f.e")
        assert has(facts, "control", branch, node(facts, "statement", "a = 1"))
        assert has(facts, "control", branch, node(facts, "statement", "b = 2"))

    def test_with_is_a_context(self) -> None:
        """A with block is a context, controls its body and assigns its `as` name."""
        facts = facts_of(
            """
            import torch
            def f(n):
                for i in range(n):
                    with torch.no_grad() as g:
                        a = 1
            """
        )
        context = node(facts, "context", "with torch.no_grad() as g:")
        assert has(facts, "context", context) and not has(facts, "branch", context)
        assert has(facts, "assigns", context, "f.g")
        assert has(facts, "control", context, node(facts, "statement", "a = 1"))
        assert has(facts, "api", node(facts, "call", "torch.no_grad()"), "torch.no_grad")


class TestTensorTyping:
    def test_backward_marks_a_speculative_tensor(self) -> None:
        """A name used with `.backward()` is spec_tensor, and the call is an autograd call."""
        facts = facts_of("def f(model, x):\n    loss = model(x)\n    loss.backward()\n")
        assert has(facts, "spec_tensor", "f.loss", "it is used with .backward")
        assert has(facts, "autograd_call", node(facts, "call", "loss.backward()"))
        assert not has(facts, "tensor_var", "f.loss")

    @pytest.mark.parametrize(
        ("imports", "annotation", "tensor"),
        [
            ("import torch", "torch.Tensor", True),
            ("import torch as T", "T.Tensor", True),
            ("from torch import Tensor", "Tensor", True),
            ("import numpy as np", "np.ndarray", True),
            ("import numpy as np\nimport numpy.typing as npt", "npt.NDArray[np.float64]", True),
            ("import tensorflow as tf", "tf.Tensor", True),
            ("import torch", "int", False),
            ("import torch", "torch.dtype", False),
            ("class Tensor: ...", "Tensor", False),
        ],
    )
    def test_annotated_parameter_is_a_tensor_var(self, imports: str, annotation: str, tensor: bool) -> None:
        """A parameter annotated with a framework tensor type is tensor_var; other annotations are not."""
        facts = facts_of(f"{imports}\ndef f(x: {annotation}, y):\n    return x\n")
        assert has(facts, "param", "f.x") and has(facts, "param", "f.y")
        assert has(facts, "tensor_var", "f.x") is tensor
        assert not has(facts, "tensor_var", "f.y")


class TestScopesAndVariables:
    def test_locals_are_qualified_by_function(self) -> None:
        """Locals are `function.name`; globals read inside a function keep their bare name."""
        facts = facts_of("K = 3\ndef f(a):\n    b = a * K\n    return b\n")
        assert has(facts, "global_var", "K") and has(facts, "global_var", "f")
        assert has(facts, "param", "f.a") and has(facts, "assigns", node(facts, "statement", "b = a * K"), "f.b")
        reads = {var for _, var in args_of(facts, "name_read")}
        assert {"f.a", "K", "f.b"} <= reads

    def test_global_declaration_writes_the_module_variable(self) -> None:
        """Under `global x`, assigning x writes the module variable and is a global effect."""
        facts = facts_of("x = 0\ndef f():\n    global x\n    x = 1\n")
        assert has(facts, "global_decl", "x") and has(facts, "global_effect", "x")
        assert has(facts, "assigns", node(facts, "statement", "x = 1"), "x")

    def test_scope_kinds(self) -> None:
        """Module, function and class bodies are scopes of their kind."""
        facts = facts_of("class C:\n    def m(self):\n        pass\n")
        kinds = sorted(str(kind) for _, kind in args_of(facts, "scope_kind"))
        assert kinds == ["class", "function", "module"]
        assert len(args_of(facts, "scope")) == 3


class TestRender:
    CODE = "import torch as T\ndef f(a, b, n):\n    for i in range(n):\n        c = T.matmul(a, b)\n    return c\n"

    def test_render_describes_each_node_then_lists_atoms(self) -> None:
        """render() gives one `% id: kind at line:col code` line per node, then every atom ending in '.'."""
        facts = facts_of(self.CODE)
        lines = facts.render().splitlines()
        described = [line for line in lines if line.startswith("% ")]
        assert len(described) == len(facts.nodes)
        assert [int(line[2:].split(":")[0]) for line in described] == sorted(facts.nodes)
        loop = node(facts, "loop", "for i in range(n):")
        assert f"% {loop}: loop at 3:4 for i in range(n):" in lines
        atoms = lines[len(described) :]
        assert len(atoms) == len(facts.atoms) and all(line.endswith(".") for line in atoms)
        call = node(facts, "call", "T.matmul(a, b)")
        assert f"loop({loop})." in atoms and f"loop_kind({loop},for)." in atoms
        assert f'api({call},"torch.matmul").' in atoms and f"prop({call},pure)." in atoms

    def test_program_is_the_atoms_as_asp_facts(self) -> None:
        """program() lists the same atoms, one fact a line, with no comments."""
        facts = facts_of(self.CODE)
        program = facts.program().splitlines()
        assert program == [line for line in facts.render().splitlines() if not line.startswith("% ")]

    def test_strings_are_quoted_and_escaped(self) -> None:
        """String terms are quoted with quotes, backslashes and newlines escaped; constants and ints are bare."""
        facts = Facts(module=cst.parse_module(""), atoms=[("x", (1, Const("pure"), 'a"b\\c\nd')), ("flag", ())])
        assert facts.program() == 'x(1,pure,"a\\"b\\\\c\\nd").\nflag.\n'
