"""Line coverage of the file under test and the calls of its functions, traced in the harness child.

The parent needs evidence that the changed statements ran, and in a whole-program run it
compares every call of the changed file's functions, so an `Observer` gathers, with
`sys.settrace`, the lines of one file that executed, the functions of that file that were
entered, and for chosen functions each call's return value (or exception) and the state of
its argument objects (the receiver included) after the call.

Cost: the global trace function runs at every Python call of the process, so frames of other
files are dismissed by their file name, one set lookup; the decision for a frame of the file
is made once per code object.  Frames of the file get a local tracer for their lines; once
every line of a code object has been seen its frames stop reporting lines.  Snapshots run
user code (`state_dict()`, attributes): CPython does not trace inside a trace function, so
that code is neither counted nor recorded, and a snapshot that fails is recorded as an
`Opaque("<snapshot failed: ...>")` instead of escaping into the program.  A call left by an
exception is told from a return by the instruction its frame stopped at (not a RETURN), as
"an 'exception' event, then 'return' with no 'line' between" fails once lines go untraced.

AutoGraph (measured with TensorFlow 2.21): when a `tf.function` is traced, its Python
function does not run; AutoGraph runs a converted copy, whose code comes from a generated
temporary file (`co_filename` `/tmp/__autograph_generated_file<random>.py`, `co_name`
`tf__<name>`, `co_qualname` `outer_factory.<locals>.inner_factory.<locals>.tf__<name>`),
executed with the original function's module globals and called from AutoGraph's
`converted_call`, whose local `f` is the original function (or bound method).  Helpers of
the file called inside the `tf.function` are converted and called the same way.  The
observer therefore counts such a frame as an entry of the original's qualname (of its name
alone when the original cannot be found); it records no lines (the generated file's lines
are not the user's) and no call (the values are symbolic).  A `tf.function` called again
with a signature it has already traced runs no Python at all, so `entered` says that the
function was traced at least once, not how often it ran.
"""

from __future__ import annotations

import dis
import inspect
import os
import sys
import threading
import types
from collections.abc import Callable, Collection
from typing import Any

from harp_refactor.equivalence.values import Opaque, Raised, snapshot

TraceFunction = Callable[[types.FrameType, str, Any], Any]
OnCall = Callable[[types.FrameType], Any]  # what a frame's 'call' event does: its local tracer or None

AUTOGRAPH_FILE = "__autograph_generated_file"
AUTOGRAPH_PREFIX = "tf__"
_SUSPENDS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR
# instructions at the `def` line that report no 'line' event (a generator's POP_TOP too)
_PREAMBLE = frozenset({"RESUME", "MAKE_CELL", "COPY_FREE_VARS", "RETURN_GENERATOR"})
_RETURNS = frozenset(dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap)


def qualname(code: types.CodeType) -> str:
    """The name calls are recorded under: `co_qualname` (Python 3.11+), else `co_name`."""
    name = getattr(code, "co_qualname", code.co_name)
    return name if isinstance(name, str) else code.co_name


def executable_lines(code: types.CodeType) -> set[int]:
    """The lines of a code object that can report a 'line' event (its own, not nested functions')."""
    lines = set()
    previous = ""
    for instruction in dis.get_instructions(code):
        positions = getattr(instruction, "positions", None)  # Python 3.11+; before, only line starts
        line = positions.lineno if positions is not None else instruction.starts_line
        preamble = instruction.opname in _PREAMBLE or (previous, instruction.opname) == ("RETURN_GENERATOR", "POP_TOP")
        if line is not None and not preamble:
            lines.add(line)
        previous = instruction.opname
    return lines


def argument_names(code: types.CodeType) -> tuple[str, ...]:
    """Parameters in `co_varnames` order: positional, keyword-only, then *args and **kwargs."""
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & inspect.CO_VARARGS) + bool(code.co_flags & inspect.CO_VARKEYWORDS)
    return code.co_varnames[:count]


def safe_snapshot(value: Any) -> Any:
    """A snapshot that never raises: a failure becomes a marker compared by its type."""
    try:
        return snapshot(value)
    except BaseException as error:  # user code in `state_dict()` or a property may raise anything
        return Opaque(f"<snapshot failed: {type(error).__name__}>")


def raised(error: BaseException | None) -> Raised:
    """The exception a call ended with, named as runner.py names a program's exception."""
    if error is None:
        return Raised("<unknown>", "")
    try:
        message = str(error)
    except BaseException:  # a user exception whose __str__ fails
        message = "<unprintable>"
    return Raised(f"{type(error).__module__}.{type(error).__qualname__}", message)


def untraced(frame: types.FrameType) -> None:
    """Frames that need no local tracer."""
    return None


class Pending:
    """A recorded call still running: its slot, its argument objects, the last exception seen."""

    __slots__ = ("name", "index", "arguments", "error")

    def __init__(self, name: str, index: int, arguments: list[Any]) -> None:
        self.name = name
        self.index = index
        self.arguments = arguments
        self.error: BaseException | None = None


class Observer:
    """Line coverage of one file and the calls of its functions, gathered with sys.settrace."""

    def __init__(self, path: str, functions: Collection[str] = (), max_calls: int = 32) -> None:
        self.path = os.path.realpath(path)
        self.functions = frozenset(functions)
        self.max_calls = max_calls
        self.lines: set[int] = set()
        self.entered: set[str] = set()
        self._counts = {name: 0 for name in self.functions}
        self._records: dict[str, list[dict[str, Any] | None]] = {name: [] for name in self.functions}
        self._others: set[str] = set()  # file names whose frames are not looked at
        self._targets: dict[str, bool] = {}
        self._plans: dict[int, tuple[types.CodeType, OnCall]] = {}  # by id; the code is kept alive
        self._pending: dict[types.FrameType, Pending] = {}
        self._lock = threading.Lock()
        self._active = False
        self._previous: tuple[Any, Any] = (None, None)

    def __enter__(self) -> Observer:
        self._previous = (sys.gettrace(), threading.gettrace())
        self._active = True
        tracer = self._global_tracer()
        threading.settrace(tracer)
        sys.settrace(tracer)
        return self

    def __exit__(self, *exc: object) -> None:
        previous_sys, previous_threads = self._previous
        sys.settrace(previous_sys)
        threading.settrace(previous_threads)
        self._active = False  # threads still running under the tracer stop recording

    def calls(self) -> dict[str, dict[str, Any]]:
        """Per chosen function, the number of calls and the first `max_calls` of them, in call order."""
        with self._lock:
            return {
                name: {
                    "count": self._counts[name],
                    "calls": [record if record is not None else {"unfinished": True} for record in records],
                }
                for name, records in self._records.items()
            }

    def coverage(self) -> dict[str, list[Any]]:
        """What ran, as the parent receives it: sorted lines and sorted qualnames."""
        return {"lines": sorted(self.lines), "entered": sorted(self.entered)}

    def _global_tracer(self) -> TraceFunction:
        """The function called at every Python call: a set lookup dismisses frames of other files."""
        others = self._others
        plans = self._plans
        classify = self._classify

        def trace(frame: types.FrameType, event: str, arg: Any) -> Any:
            code = frame.f_code
            if code.co_filename in others:
                return None
            plan = plans.get(id(code))
            return (plan[1] if plan is not None else classify(code))(frame)

        return trace

    def _is_target(self, filename: str) -> bool:
        known = self._targets.get(filename)
        if known is None:
            known = self._targets[filename] = os.path.realpath(filename) == self.path
        return known

    def _classify(self, code: types.CodeType) -> OnCall:
        """Decide once per code object what its frames need."""
        try:
            if self._is_target(code.co_filename):
                plan = self._target_plan(code)
            elif os.path.basename(code.co_filename).startswith(AUTOGRAPH_FILE):
                plan = self._autograph_plan(code)
            else:
                self._others.add(code.co_filename)
                return untraced
        except Exception:  # never let the tracer fail inside the user's program
            plan = untraced
        self._plans[id(code)] = (code, plan)
        return plan

    def _target_plan(self, code: types.CodeType) -> OnCall:
        """Frames of the file: lines always, the call too when its function is chosen."""
        name = qualname(code)
        remaining = executable_lines(code)
        # the module and class bodies (no new locals), lambdas and comprehensions (`<lambda>`, `<listcomp>`)
        anonymous = code.co_name.startswith("<") or not code.co_flags & inspect.CO_NEWLOCALS
        lines_tracer = self._line_tracer(remaining)
        if anonymous or code.co_flags & _SUSPENDS or name not in self.functions:

            def enter(frame: types.FrameType) -> Any:
                if not self._active:
                    return None
                if not anonymous:
                    self.entered.add(name)
                return lines_tracer if remaining else None

            return enter

        call_tracer = self._call_tracer(remaining)

        def call(frame: types.FrameType) -> Any:
            if not self._active:
                return None
            self.entered.add(name)
            if not self._begin(frame, name):
                return lines_tracer if remaining else None
            if not remaining:
                frame.f_trace_lines = False
            return call_tracer

        return call

    def _autograph_plan(self, code: types.CodeType) -> OnCall:
        """A function converted by AutoGraph: an entry of the original, nothing else."""
        if not code.co_name.startswith(AUTOGRAPH_PREFIX):
            return untraced

        def converted(frame: types.FrameType) -> None:
            if self._active:
                name = self._original_name(frame)
                if name is not None:
                    self.entered.add(name)

        return converted

    def _original_name(self, frame: types.FrameType) -> str | None:
        """The qualname of the function AutoGraph converted, when it belongs to the file."""
        try:
            caller = frame.f_back
            original = caller.f_locals.get("f") if caller is not None else None
            code = getattr(getattr(original, "__func__", original), "__code__", None)
            if isinstance(code, types.CodeType) and self._is_target(code.co_filename):
                return qualname(code)
            module_file = frame.f_globals.get("__file__")
            if isinstance(module_file, str) and self._is_target(module_file):
                return frame.f_code.co_name[len(AUTOGRAPH_PREFIX) :]
        except Exception:  # a frame layout AutoGraph may change: no entry rather than a failure
            pass
        return None

    def _line_tracer(self, remaining: set[int]) -> TraceFunction:
        """Record lines; a frame whose code has shown every line stops reporting them."""
        add = self.lines.add

        def trace_lines(frame: types.FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                line = frame.f_lineno
                add(line)
                if line in remaining:
                    remaining.discard(line)
                    if not remaining:
                        frame.f_trace_lines = False
            return trace_lines

        return trace_lines

    def _call_tracer(self, remaining: set[int]) -> TraceFunction:
        """Lines, plus the exception and the return of a recorded call."""
        add = self.lines.add
        pending = self._pending

        def trace_call(frame: types.FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                line = frame.f_lineno
                add(line)
                if line in remaining:
                    remaining.discard(line)
                    if not remaining:
                        frame.f_trace_lines = False
            elif event == "exception":
                call = pending.get(frame)
                if call is not None:
                    call.error = arg[1]
            elif event == "return":
                self._finish(frame, arg)
            return trace_call

        return trace_call

    def _begin(self, frame: types.FrameType, name: str) -> bool:
        """Count the call; hold references to its argument objects if it is among the first ones."""
        with self._lock:
            index = self._counts[name]
            self._counts[name] = index + 1
            if index >= self.max_calls:
                return False
            self._records[name].append(None)  # the slot keeps call order; nested calls return first
        try:
            values = frame.f_locals
            arguments = [values[n] for n in argument_names(frame.f_code) if n in values]
        except Exception:
            arguments = []
        self._pending[frame] = Pending(name, index, arguments)
        return True

    def _finish(self, frame: types.FrameType, value: Any) -> None:
        """Snapshot the outcome and the arguments' state; an exception propagating out ends at no return."""
        call = self._pending.pop(frame, None)
        if call is None:
            return
        try:
            ended_by_return = value is not None or frame.f_code.co_code[frame.f_lasti] in _RETURNS
            # an exception stands where the value would, as in a call the harness makes itself
            record = {"return": safe_snapshot(value) if ended_by_return else raised(call.error)}
            record["args"] = safe_snapshot(call.arguments)
        except Exception as error:
            record = {"error": Opaque(f"<snapshot failed: {type(error).__name__}>")}
        self._records[call.name][call.index] = record
