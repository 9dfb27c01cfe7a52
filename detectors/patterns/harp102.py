"""HARP102: a cacheable common subgraph computed by two session runs, or a pure computation
evaluated twice in eager code."""

from __future__ import annotations

from harp_refactor.finding import Finding

from ..facts import Facts
from ..pattern import Options, Pattern
from ..solver import Answer
from .harp102_examples import INVALID, VALID


class CommonSubgraph(Pattern):
    """Two consecutive `sess.run` calls of one session fetch different outputs that share
    intermediate tensors, and the inputs of those tensors are the same in both runs: the
    same placeholders fed with the same, unchanged values, and no variable they read
    written in between. The second run computes them again (HARP's pattern 3; in its
    restricted Boltzmann machine `h0` and `h1` were computed for `y1` and again for `y2`,
    2.4x). Fetch the shared tensors in the first run and feed their values to the second:
    TensorFlow then prunes the part of the graph that computed them.

    Not reported: tensors that depend on random or stateful operations, on a variable
    that a run in between may assign (`sess.run(scale_a)` with `scale_a = a.assign(...)`,
    an optimizer step, or anything we cannot see into), or on a fed value that changes in
    between.
    """

    code = "HARP102"
    title = "cacheable common subgraph"
    rules = "harp102.lp"
    shown = ("share", "share_feed_dict", "reuse", "reuse_name")
    requires = ("tf_op", "same_code")
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        feed_dicts = {int(run): int(d) for run, d in answer("share_feed_dict")}
        found = []
        for first, second, var in answer("share"):
            first, second, tensor = int(first), int(second), str(var).rsplit(".", 1)[-1]
            span = facts.nodes[second].span
            message = (
                f"`{facts.code(second)}` computes `{tensor}` again, with the same inputs as the run at line "
                f"{facts.nodes[first].span.line}: fetch `{tensor}` there and feed its value here"
            )
            fix = {
                "kind": "share",
                "first": facts.nodes[first].span,
                "second": span,
                "tensor": tensor,
                "feed_dict": facts.nodes[feed_dicts[second]].span if second in feed_dicts else None,
            }
            found.append(Finding(self.code, self.title, path, span, message, fix=fix))
        return found + self.repeated(facts, answer, path)

    def repeated(self, facts: Facts, answer: Answer, path: str) -> list[Finding]:
        """Eager code: one finding per first computation, with every later one that may reuse it."""
        names = {int(first): str(var).rsplit(".", 1)[-1] for first, var in answer("reuse_name")}
        again: dict[int, list[int]] = {}
        for first, repeat in answer.ints("reuse"):
            again.setdefault(first, []).append(repeat)
        found = []
        for first, later in sorted(again.items()):
            later.sort()
            lines = ", ".join(str(facts.nodes[e].span.line) for e in later)
            message = (
                f"`{facts.code(first)}` is computed again at line{'s' if len(later) > 1 else ''} {lines} from the "
                "same inputs: compute it once and reuse the value"
            )
            fix = {
                "kind": "reuse",
                "first": facts.nodes[first].span,
                "again": tuple(facts.nodes[e].span for e in later),
                "name": names.get(first),
            }
            span = facts.nodes[later[0]].span
            found.append(Finding(self.code, "repeated pure computation", path, span, message, fix=fix))
        return found
