"""What a rewrite changed: the lines that must run (probes) and deliberately wrong variants of it."""

from __future__ import annotations

import ast
import difflib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

ORIGINAL, REWRITTEN = "original", "rewritten"
PERTURB, PERTURB_IN_PLACE, PERTURB_RESULTS = "__harp_perturb__", "__harp_perturb_in_place__", "__harp_perturb_results__"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
# Decorators that make a method something other than a function called with its receiver.
_BINDING = {"property", "classmethod", "cached_property", "setter", "getter", "deleter", "abstractproperty"}


@dataclass(frozen=True)
class Probe:
    """A place whose execution shows that a changed statement ran."""

    version: str  # ORIGINAL or REWRITTEN
    line: int  # 1-based first line of the statement; 0 when `function` is set
    function: str = ""  # for a changed def header (decorators): covered when this function (a co_qualname) was entered
    label: str = ""  # for messages: "rewritten line 14", "train_step (decorator changed)"


@dataclass(frozen=True)
class Variant:
    """A deliberately wrong version of the rewrite: some changed values perturbed."""

    source: str  # full text of the variant file; it compiles
    lines: tuple[int, ...]  # the rewritten-version lines of the perturbed sites
    what: str  # for the verdict: "the value assigned on line 14 perturbed"
    # Only what removed statements read is perturbed: a removal computes no new value, so such a
    # variant gives evidence when it is told apart but is not required to be.
    removal: bool = False
    alternative: str = ""  # the same sites perturbed another way (a call's arguments, not its result)


@dataclass(frozen=True)
class _Place:
    """Where a line lies: in a function's header (decorators, def) or in a statement."""

    line: int  # the statement's first line; 0 for a function header
    function: str  # the function's qualname when the line is in its header
    decorator: bool  # the line is one of the function's decorators
    statement: ast.AST | None  # the innermost statement (or handler) holding the line


@dataclass(frozen=True)
class _Edit:
    """Replace bytes [start, end) of the rewritten text by `text`; `order` breaks ties."""

    start: int
    end: int
    text: bytes
    order: int


@dataclass(frozen=True)
class _Site:
    """One perturbation: its edits, the rewritten line it is on, and what it does."""

    line: int
    edits: tuple[_Edit, ...]
    what: str
    removal: bool = False
    alternative: tuple[_Edit, ...] = ()  # tried when the main edits are not told apart


@dataclass(frozen=True)
class _Version:
    """A version's text split the way the parser counts lines, and its tree."""

    lines: tuple[str, ...]  # with line endings
    tree: ast.Module

    @property
    def stripped(self) -> list[str]:
        """The lines without endings, for the line diff."""
        return [line.rstrip("\r\n") for line in self.lines]

    def blank(self, line: int) -> bool:
        """Is 1-based `line` empty or only a comment (no statement can start there)?"""
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        return not text or text.startswith("#")


def _version(text: str) -> _Version | None:
    """The parsed version, or None when it does not parse."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    # Split on \n, \r\n and \r only (as the tokenizer does), not on form feeds like str.splitlines.
    return _Version(tuple(io.StringIO(text, newline="").readlines()), tree)


def _start(node: ast.AST) -> int:
    """First line of a statement (its decorators included), handler or match case."""
    if isinstance(node, ast.match_case):
        return node.pattern.lineno
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    first: int = node.lineno  # type: ignore[attr-defined]
    return min([first, *(decorator.lineno for decorator in decorators)])


def _end(node: ast.AST) -> int:
    """Last line of a statement, handler or match case (which has no positions of its own)."""
    if isinstance(node, ast.match_case):
        return _end(node.body[-1])
    end: int | None = getattr(node, "end_lineno", None)
    return end if end is not None else node.lineno  # type: ignore[attr-defined]


def _children(node: ast.AST) -> Iterator[ast.AST]:
    """Statements, handlers and match cases directly inside a compound statement."""
    for field in _BLOCKS:
        yield from getattr(node, field, None) or []


def _header_line(node: ast.AST) -> int:
    """The line whose execution shows a compound statement, handler or match case ran."""
    return _start(node) if isinstance(node, ast.match_case) else node.lineno  # type: ignore[attr-defined]


def _block_start(node: ast.AST) -> int:
    """First line of the first statement inside a compound statement (after its header)."""
    first = node.body[0] if getattr(node, "body", None) else None  # type: ignore[attr-defined]
    return _start(first) if first is not None else _end(node) + 1


def _locate(body: Sequence[ast.AST], line: int, scope: str = "") -> _Place | None:
    """The innermost statement (or function header) holding 1-based `line`."""
    for node in body:
        if not _start(node) <= line <= _end(node):
            continue
        if isinstance(node, _FUNCTIONS):
            qualname = scope + node.name
            if line < _block_start(node):
                return _Place(0, qualname, line < node.lineno, node)
            return _locate(node.body, line, qualname + ".<locals>.") or _Place(node.lineno, "", False, node)
        inner_scope = scope + node.name + "." if isinstance(node, ast.ClassDef) else scope
        return _locate(list(_children(node)), line, inner_scope) or _Place(_header_line(node), "", False, node)
    return None


def _qualnames(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function of a module by its qualname, as Python's `co_qualname` spells it."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(nodes: Iterable[ast.AST], scope: str) -> None:
        for node in nodes:
            if isinstance(node, _FUNCTIONS):
                found.setdefault(scope + node.name, node)
                visit(node.body, scope + node.name + ".<locals>.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, scope + node.name + ".")
            else:
                visit(_children(node), scope)

    visit(tree.body, "")
    return found


def _opcodes(before: _Version, after: _Version) -> list[tuple[str, int, int, int, int]]:
    """The non-equal opcodes of the line diff (0-based, end-exclusive ranges)."""
    matcher = difflib.SequenceMatcher(None, before.stripped, after.stripped, autojunk=False)
    return [opcode for opcode in matcher.get_opcodes() if opcode[0] != "equal"]


def _probe(version: str, place: _Place) -> Probe:
    """The probe of a located line: the function for a header line, else the statement's line."""
    if place.function:
        what = "decorator changed" if place.decorator else "definition changed"
        prefix = "original " if version == ORIGINAL else ""
        return Probe(version, 0, place.function, f"{prefix}{place.function} ({what})")
    return Probe(version, place.line, "", f"{version} line {place.line}")


def _side_probes(version: str, text: _Version, lines: range) -> Iterator[Probe]:
    """Probes for the given 1-based lines of one version (blank and comment lines give none)."""
    for line in lines:
        place = None if text.blank(line) else _locate(text.tree.body, line)
        if place is not None:
            yield _probe(version, place)


def probes(original: str, rewritten: str) -> tuple[Probe, ...]:
    """The places that must run for a comparison to say anything about the change.

    Each changed line (of either version) is mapped to the innermost statement holding it;
    a changed decorator or `def` line is covered by entering the function instead.
    """
    before, after = _version(original), _version(rewritten)
    if before is None or after is None:
        return ()
    found: list[Probe] = []
    functions = _qualnames(before.tree)
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        found.extend(_side_probes(REWRITTEN, after, range(j1 + 1, j2 + 1)))
        found.extend(_side_probes(ORIGINAL, before, range(i1 + 1, i2 + 1)))
        if tag == "insert":  # an added decorator: the original function must have run too
            for line in range(j1 + 1, j2 + 1):
                place = None if after.blank(line) else _locate(after.tree.body, line)
                if place is not None and place.decorator and place.function in functions:
                    found.append(Probe(ORIGINAL, 0, place.function, f"original {place.function}"))
    unique: dict[tuple[str, int, str], Probe] = {}
    for probe in found:
        unique.setdefault((probe.version, probe.line, probe.function), probe)
    return tuple(unique.values())


class _Text:
    """The rewritten text as UTF-8 bytes, addressed by ast positions (byte columns)."""

    def __init__(self, version: _Version) -> None:
        self.data = "".join(version.lines).encode()
        self.starts = [0]
        for line in version.lines:
            self.starts.append(self.starts[-1] + len(line.encode()))

    def offset(self, line: int, column: int = 0) -> int:
        """Byte offset of 1-based `line`, byte `column` (past the end: the end of the text)."""
        return self.starts[min(line, len(self.starts)) - 1] + column

    def indentation(self, line: int) -> bytes:
        """The leading blanks of 1-based `line`."""
        row = self.data[self.offset(line) : self.offset(line + 1)]
        return row[: len(row) - len(row.lstrip(b" \t"))]


def _constant(value: ast.expr) -> bool:
    """A literal, or a container or sign of literals."""
    if isinstance(value, ast.UnaryOp):
        return _constant(value.operand)
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(_constant(item) for item in value.elts)
    return isinstance(value, ast.Constant)


class _Sites:
    """Builds the perturbation sites of a rewrite, numbering edits so that ties keep order."""

    def __init__(self, before: _Version, after: _Version) -> None:
        self.before, self.after, self.text = before, after, _Text(after)
        self.count = 0

    def edit(self, start: int, end: int, text: str) -> _Edit:
        """An edit numbered after all earlier ones, so that insertions at one place keep their order."""
        self.count += 1
        return _Edit(start, end, text.encode(), self.count)

    def wrap(self, node: ast.stmt) -> _Site | None:
        """Wrap the value an assignment or return computes in `__harp_perturb__((...))`; for a call
        statement (`print(total)`, `step(tf.constant(i))`), each argument it passes."""
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            values = [*call.args, *(keyword.value for keyword in call.keywords)]
            what = f"the arguments passed on line {node.lineno} perturbed"
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return)) and node.value is not None:
            values = [node.value]
            verb = "returned" if isinstance(node, ast.Return) else "assigned"
            what = f"the value {verb} on line {node.lineno} perturbed"
        else:
            return None
        edits = self.perturbing(values)
        if not edits:
            return None
        # The result of a call such as `tf.assign(w, w - lr * g)` may matter only through the call's
        # effect: its arguments perturbed are the alternative.
        value = values[0]
        inner = [*value.args, *(k.value for k in value.keywords)] if isinstance(value, ast.Call) else []
        alternative = self.perturbing(inner) if len(values) == 1 else ()
        return _Site(node.lineno, edits, what, alternative=alternative)

    def perturbing(self, values: Sequence[ast.expr]) -> tuple[_Edit, ...]:
        """Edits wrapping each value in `__harp_perturb__((...))`; literals (a flag set to `True`) compute nothing."""
        edits: list[_Edit] = []
        for value in values:
            if _constant(value) or isinstance(value, ast.Starred) or value.end_lineno is None:
                continue
            start = self.text.offset(value.lineno, value.col_offset)
            end = self.text.offset(value.end_lineno, value.end_col_offset or 0)
            edits += [self.edit(start, start, PERTURB + "(("), self.edit(end, end, "))")]
        return tuple(edits)

    def decorate(self, qualname: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> _Site:
        """Add `@__harp_perturb_results__` above the decorators of a function."""
        line = _start(node)
        indent = self.text.indentation(line).decode()
        offset = self.text.offset(line)
        edit = self.edit(offset, offset, f"{indent}@{PERTURB_RESULTS}\n")
        return _Site(line, (edit,), f"the results of {qualname} (decorator changed) perturbed")

    def in_place(self, removed: Sequence[ast.stmt], line: int, replaced: ast.stmt | None) -> _Site | None:
        """Perturb in place what removed statements read, where they were (or instead of their `pass`)."""
        loads = [n for node in removed for n in ast.walk(node) if isinstance(n, ast.Name) and _loads(n)]
        names = tuple(dict.fromkeys(n.id for n in sorted(loads, key=lambda n: (n.lineno, n.col_offset))))
        if not names:
            return None
        call = f"{PERTURB_IN_PLACE}(locals(), globals(), {names!r})"
        where = describe_lines(node.lineno for node in removed)
        plural = "s" if len(removed) > 1 else ""
        what = f"arrays read by the removed statement{plural} (original line{plural} {where}) perturbed in place"
        if replaced is not None and replaced.end_lineno is not None and replaced.end_col_offset is not None:
            start = self.text.offset(replaced.lineno, replaced.col_offset)
            end = self.text.offset(replaced.end_lineno, replaced.end_col_offset)
            return _Site(replaced.lineno, (self.edit(start, end, call),), what, removal=True)
        row = self.before.lines[removed[0].lineno - 1]
        indent = row[: len(row) - len(row.lstrip(" \t"))]
        offset = self.text.offset(line)
        newline = "\n" if offset == len(self.text.data) and not self.text.data.endswith((b"\n", b"\r")) else ""
        edit = self.edit(offset, offset, f"{newline}{indent}{call}\n")
        return _Site(min(line, len(self.after.lines)), (edit,), what, removal=True)


def _loads(node: ast.Name) -> bool:
    return isinstance(node.ctx, ast.Load)


def _statements_within(body: Iterable[ast.AST], first: int, last: int) -> Iterator[ast.stmt]:
    """The outermost statements lying wholly within lines first..last."""
    for node in body:
        if isinstance(node, ast.stmt) and first <= _start(node) and _end(node) <= last:
            yield node
        elif _start(node) <= last and _end(node) >= first:
            yield from _statements_within(_children(node), first, last)


def _changed_dumps(after: _Version, opcodes: Sequence[tuple[str, int, int, int, int]]) -> set[str]:
    """Normalised text of each rewritten statement that touches a changed line."""
    changed = {line for _, _, _, j1, j2 in opcodes for line in range(j1 + 1, j2 + 1)}
    return {
        ast.dump(node)
        for node in ast.walk(after.tree)
        if isinstance(node, ast.stmt) and any(line in changed for line in range(_start(node), _end(node) + 1))
    }


def _only_pass(after: _Version, first: int, last: int) -> ast.stmt | None:
    """The `pass` that lines first..last hold, when they hold nothing else."""
    statements = list(_statements_within(after.tree.body, first, last))
    if len(statements) == 1 and isinstance(statements[0], ast.Pass):
        return statements[0]
    return None


def _removal_sites(sites: _Sites, opcodes: Sequence[tuple[str, int, int, int, int]]) -> Iterator[_Site]:
    """A site per original statement the rewrite deleted (not moved elsewhere); one per replaced `pass`."""
    moved = _changed_dumps(sites.after, opcodes)
    for tag, i1, i2, j1, j2 in opcodes:
        replaced = _only_pass(sites.after, j1 + 1, j2) if tag == "replace" else None
        if tag != "delete" and replaced is None:
            continue
        removed = [
            node
            for node in _statements_within(sites.before.tree.body, i1 + 1, i2)
            if ast.dump(node) not in moved and not isinstance(node, ast.Pass)
        ]
        groups = [removed] if replaced is not None else [[node] for node in removed]
        for group in groups:
            site = sites.in_place(group, j1 + 1, replaced) if group else None
            if site is not None:
                yield site


def _decorator_sites(sites: _Sites) -> Iterator[_Site]:
    """One site per function whose decorators differ from the original's."""
    before = _qualnames(sites.before.tree)
    for qualname, node in _qualnames(sites.after.tree).items():
        old = before.get(qualname)
        if old is not None and [ast.dump(d) for d in old.decorator_list] != [ast.dump(d) for d in node.decorator_list]:
            yield sites.decorate(qualname, node)


def _value_sites(sites: _Sites, opcodes: Sequence[tuple[str, int, int, int, int]]) -> Iterator[_Site]:
    """One site per changed assignment or return of the rewritten version."""
    seen: set[int] = set()
    for _, _, _, j1, j2 in opcodes:
        for line in range(j1 + 1, j2 + 1):
            place = None if sites.after.blank(line) else _locate(sites.after.tree.body, line)
            if place is None or not isinstance(place.statement, ast.stmt) or id(place.statement) in seen:
                continue
            seen.add(id(place.statement))
            site = sites.wrap(place.statement) if not place.function else None
            if site is not None:
                yield site


def _apply(data: bytes, edits: Iterable[_Edit]) -> str:
    """`data` with the edits made (they do not overlap), as text."""
    out: list[bytes] = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.order)):
        out += [data[position : edit.start], edit.text]
        position = max(position, edit.end)
    out.append(data[position:])
    return b"".join(out).decode()


def _compiles(source: str) -> bool:
    """Does the variant compile (an edit in an odd place may break it; such a site is left out)?"""
    try:
        compile(source, "<variant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _variant(data: bytes, group: Sequence[_Site]) -> Variant:
    """The rewritten text with the sites of `group` perturbed."""
    source = _apply(data, (edit for site in group for edit in site.edits))
    lines = tuple(sorted({site.line for site in group}))
    other = ""
    if any(site.alternative for site in group):
        other = _apply(data, (edit for site in group for edit in (site.alternative or site.edits)))
        other = other if _compiles(other) else ""
    what = "; ".join(site.what for site in group)
    return Variant(source, lines, what, all(site.removal for site in group), other)


def _groups(sites: Sequence[_Site], limit: int) -> list[list[_Site]]:
    """`sites` in at most `limit` runs of neighbouring sites, as even in size as possible."""
    count = min(len(sites), max(limit, 1))
    size, extra = divmod(len(sites), count) if count else (0, 0)
    groups, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        groups.append(list(sites[start:end]))
        start = end
    return groups


def variants(original: str, rewritten: str, limit: int = 8) -> tuple[Variant, ...]:
    """Deliberately wrong versions of the rewrite, each perturbing some of its changed values.

    A check that tells the original from the rewrite only counts if it can also tell the
    original from these: otherwise no observed result depends on the change.
    """
    before, after = _version(original), _version(rewritten)
    if before is None or after is None:
        return ()
    opcodes = _opcodes(before, after)
    sites = _Sites(before, after)
    found = [*_removal_sites(sites, opcodes), *_decorator_sites(sites), *_value_sites(sites, opcodes)]
    found.sort(key=lambda site: (site.line, min(edit.order for edit in site.edits)))
    data = sites.text.data
    usable = [site for site in found if _compiles(_variant(data, [site]).source)]
    result = [_variant(data, group) for group in _groups(usable, limit)]
    return tuple(variant for variant in result if _compiles(variant.source))


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """The last names of the decorators: `tf.function` gives "function", `x.setter` "setter"."""
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _plain_method(old: ast.stmt, new: ast.stmt) -> bool:
    """Are both versions the same method, called with its receiver (or static)?"""
    return (
        isinstance(old, _FUNCTIONS)
        and type(old) is type(new)
        and isinstance(new, _FUNCTIONS)
        and old.name == new.name
        and not (_decorator_names(old) | _decorator_names(new)) & _BINDING
    )


def _class_units(old: ast.ClassDef, new: ast.ClassDef) -> list[str] | None:
    """Qualnames of the changed methods of a class, or None when the class changed otherwise."""
    header = ("name", "bases", "keywords", "decorator_list")
    if len(old.body) != len(new.body):
        return None
    if any(_dumps(getattr(old, field)) != _dumps(getattr(new, field)) for field in header):
        return None
    units = []
    for before, after in zip(old.body, new.body, strict=True):
        if ast.dump(before) == ast.dump(after):
            continue
        if not _plain_method(before, after):
            return None
        units.append(f"{old.name}.{after.name}")  # type: ignore[attr-defined]
    return units


def _dumps(value: object) -> object:
    """ast.dump of a node or of each node of a list, to compare them without positions."""
    if isinstance(value, list):
        return [_dumps(item) for item in value]
    return ast.dump(value) if isinstance(value, ast.AST) else value


def changed_units(original: str, rewritten: str) -> list[str] | None:
    """Qualnames of the top-level functions and plain methods that differ; None when anything else did.

    A method counts when its class is otherwise unchanged and it is called with its
    receiver or is static (a property or classmethod is reached another way).
    """
    try:
        before, after = ast.parse(original).body, ast.parse(rewritten).body
    except (SyntaxError, ValueError):
        return None
    if len(before) != len(after):
        return None
    units: list[str] = []
    for old, new in zip(before, after, strict=True):
        if ast.dump(old) == ast.dump(new):
            continue
        if isinstance(old, ast.ClassDef) and isinstance(new, ast.ClassDef):
            methods = _class_units(old, new)
            if methods is None:
                return None
            units.extend(methods)
        elif isinstance(old, _FUNCTIONS) and type(old) is type(new) and old.name == new.name:
            units.append(old.name)
        else:
            return None
    return units


def describe_lines(lines: Iterable[int]) -> str:
    """Line numbers as ranges: "12, 14-16"."""
    ranges: list[list[int]] = []
    for line in sorted(set(lines)):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    return ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in ranges)
