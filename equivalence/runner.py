"""The child process of the harness: loads one version of a program and runs it on request.

Started as `python -m harp_refactor.equivalence.runner MEMORY_BYTES`.  Requests and
replies are pickled frames on stdin and on a private copy of stdout; the program's own
output goes to stderr, which the parent keeps for the report.  Frameworks are imported
once, before anything is timed, so one runner can verify many patches of a program.
Inputs travel between runners as pickled bytes that only children unpickle.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import random
import re
import resource
import runpy
import struct
import sys
import time
import traceback
import types
from pathlib import Path
from typing import IO, Any

from harp_refactor.equivalence import perturb
from harp_refactor.equivalence.observe import Observer
from harp_refactor.equivalence.values import Raised, snapshot

FRAMEWORKS = ("numpy", "torch", "tensorflow")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b")
FRAME_HEADER = struct.Struct("!Q")  # the length of the pickled payload that follows
CAPTURE_BYTES = 256 * 1024 * 1024  # captured arguments kept at most, pickled


def write_frame(stream: IO[bytes], payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(FRAME_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    header = stream.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = FRAME_HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def import_frameworks(source: str) -> None:
    """Import the frameworks a program mentions now, so neither timing nor seeding misses them."""
    for name in FRAMEWORKS:
        if name in source:
            try:
                __import__(name)
            except ImportError:
                pass


def seed_everything(seed: int) -> None:
    """The same seeds for Python, NumPy, PyTorch and TensorFlow before every run."""
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)


def empty_graph() -> None:
    """A TF1 program builds into the process's default graph: each run starts from an empty one."""
    if "tensorflow" in sys.modules:
        try:
            sys.modules["tensorflow"].compat.v1.reset_default_graph()
        except (AssertionError, AttributeError):  # inside a `with graph.as_default()` block
            pass


def observable_globals(namespace: dict[str, Any]) -> dict[str, Any]:
    """A program's results: the data it leaves in module globals (not modules, functions, classes)."""
    kept = {}
    for name, value in namespace.items():
        if name.startswith("__") or isinstance(value, (types.ModuleType, types.FunctionType, type)):
            continue
        if callable(value) and not hasattr(value, "state_dict"):
            continue
        kept[name] = value
    return kept


def file_digest(path: Path) -> Any:
    """A written file: arrays in .npy files compared as arrays, anything else by content hash."""
    if path.suffix == ".npy" and "numpy" in sys.modules:
        try:
            return snapshot(sys.modules["numpy"].load(path, allow_pickle=False))
        except Exception:
            pass
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def printed_numbers(text: str) -> list[float]:
    """The numbers in what a run printed; the text still goes to the run's output, for the report."""
    sys.stderr.write(text)
    return [float(n) for n in _NUMBER.findall(text)]


def read_globals(frame: types.FrameType) -> dict[str, Any]:
    """The module globals a function's code names that hold data (not modules, functions, classes)."""
    names = frame.f_code.co_names
    module_globals = frame.f_globals
    kept = {}
    for name in names:
        if name in module_globals and not name.startswith("__"):
            kept.update(observable_globals({name: module_globals[name]}))
    return kept


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


class Runner:
    """Holds loaded versions of a module and answers the parent's requests."""

    def __init__(self) -> None:
        self.modules: dict[str, types.ModuleType] = {}
        self.sources: dict[str, tuple[str, str]] = {}
        self.seed = 0

    def setup(self, root: str, seed: int, perturbation: float = 1.0) -> dict[str, Any]:
        os.chdir(root)
        sys.path.insert(0, root)
        self.seed = seed
        perturb.install(perturbation)  # the helpers that deliberately wrong variants call
        return {}

    def load(self, key: str, path: str, source: str) -> dict[str, Any]:
        """Execute one version of the file as its own module (its `__main__` block does not run).

        It is registered under the file's import name, so code that imports the file, and
        objects pickled from it (or from a `__main__` run of it), find this version.
        """
        import_frameworks(source)
        sys.path.insert(0, str(Path(path).parent))
        self.sources[key] = (path, source)
        self.fresh(key)
        return {}

    def fresh(self, key: str) -> types.ModuleType:
        """Execute the version anew: every call starts from the module state a program starts with."""
        path, source = self.sources[key]
        try:
            name = ".".join(Path(path).resolve().relative_to(Path.cwd().resolve()).with_suffix("").parts)
        except ValueError:
            name = Path(path).stem
        module = types.ModuleType(name)
        module.__file__ = path
        sys.modules[name] = module
        empty_graph()
        seed_everything(self.seed)
        exec(compile(source, path, "exec"), module.__dict__)
        self.modules[key] = module
        return module

    def unpickle(self, data: bytes, key: str = "v") -> Any:
        """Inputs captured from a `__main__` run refer to `__main__`: resolve them in the loaded version."""
        module = self.modules.get(key)

        class Unpickler(pickle.Unpickler):
            def find_class(self, module_name: str, name: str) -> Any:
                if module_name == "__main__" and module is not None and hasattr(module, name):
                    return getattr(module, name)
                return super().find_class(module_name, name)

        return Unpickler(io.BytesIO(data)).load()

    def call(
        self, key: str, function: str, inputs: bytes, repeat: int = 1, observe: bool = True, printed: bool = True
    ) -> dict[str, Any]:
        """Call `function` (a qualname: "f", "Model.step") on fresh copies of the inputs.

        Observed calls snapshot what it returned or raised, what it changed and (with
        `printed`) the numbers it printed, and record which lines of the file ran.
        Captured inputs also carry the module globals the function read, as they were.
        """
        seconds: list[float] = []
        outcome: dict[str, Any] = {}
        coverage: dict[str, Any] = {}
        path = self.sources[key][0]
        for attempt in range(max(1, repeat)):
            module = self.fresh(key)
            target = resolve(module, function)
            call_args, call_kwargs, *read = self.unpickle(inputs, key)
            vars(module).update(*read)
            seed_everything(self.seed)
            observer = Observer(path) if attempt == 0 and observe else None
            output = io.StringIO()
            start = time.perf_counter()
            try:
                with contextlib.redirect_stdout(output) if observer and printed else contextlib.nullcontext():
                    with observer or contextlib.nullcontext():
                        result: Any = target(*call_args, **call_kwargs)
            except Exception as error:  # the program's own exception is part of its behaviour
                result = Raised(f"{type(error).__module__}.{type(error).__qualname__}", str(error))
            seconds.append(time.perf_counter() - start)
            if observer is not None:
                coverage = observer.coverage()
                outcome = {
                    "return": snapshot(result),
                    "args": snapshot(list(call_args)),
                    "kwargs": snapshot(call_kwargs),
                    "globals": snapshot(observable_globals(vars(module))),
                }
                if printed:
                    outcome["printed numbers"] = printed_numbers(output.getvalue())
        return {"outcome": outcome, "seconds": seconds, "coverage": coverage}

    def program(
        self,
        path: str,
        argv: list[str],
        repeat: int = 1,
        observe: bool = True,
        printed: bool = True,
        functions: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Run a script as __main__ in its (copied) directory and observe what it does.

        Observed: the calls of `functions` (qualnames of the file's functions and methods:
        returns or exceptions, and their arguments after each call), the data left in
        module globals, written files, the exit status, with `printed` the numbers it
        prints, and which lines of the file ran.
        """
        script = Path(path)
        import_frameworks(script.read_text(encoding="utf-8", errors="replace"))
        root = Path.cwd()
        seconds: list[float] = []
        outcome: dict[str, Any] = {}
        coverage: dict[str, Any] = {}
        for attempt in range(max(1, repeat)):
            before = tree_state(root)
            sys.argv = [path, *argv]
            empty_graph()
            seed_everything(self.seed)
            status: Any = 0
            namespace: dict[str, Any] = {}
            output = io.StringIO()
            watch = attempt == 0 and observe
            observer = Observer(path, functions) if watch else None
            start = time.perf_counter()
            try:
                with contextlib.redirect_stdout(output) if watch and printed else contextlib.nullcontext():
                    with observer or contextlib.nullcontext():
                        namespace = runpy.run_path(path, run_name="__main__")
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) or exit_.code is None else str(exit_.code)
            except Exception as error:
                status = Raised(f"{type(error).__module__}.{type(error).__qualname__}", str(error))
            seconds.append(time.perf_counter() - start)
            if observer is not None:
                after = tree_state(root)
                written = sorted(name for name, state in after.items() if before.get(name) != state)
                coverage = observer.coverage()
                outcome = {
                    "exit": snapshot(status),
                    "globals": snapshot(observable_globals(namespace)),
                    "files": {name: file_digest(root / name) for name in written},
                    "calls": observer.calls(),
                }
                if printed:
                    outcome["printed numbers"] = printed_numbers(output.getvalue())
        return {"outcome": outcome, "seconds": seconds, "coverage": coverage}

    def capture(self, entry: list[str], path: str, function: str, limit: int) -> dict[str, Any]:
        """Run the entry command (a script or `pytest ...`) and keep the calls' arguments.

        `function` is a qualname ("fit", "Model.step"): a method's receiver is its first
        argument.  All arguments of a call are pickled together, so arguments that share
        memory (`f(A, A)`, an optimizer holding the array also passed) still do.
        """
        import inspect

        captured: list[bytes] = []
        kept = 0
        target_file = os.path.realpath(path)

        def profiler(frame: types.FrameType, event: str, arg: Any) -> None:
            nonlocal kept
            code = frame.f_code
            if event != "call" or getattr(code, "co_qualname", code.co_name) != function:
                return
            if len(captured) >= limit or kept > CAPTURE_BYTES:
                return
            if os.path.realpath(code.co_filename) != target_file:
                return
            info = inspect.getargvalues(frame)
            positional = [info.locals[name] for name in info.args]
            if info.varargs:
                positional.extend(info.locals[info.varargs])
            keywords = dict(info.locals[info.keywords]) if info.keywords else {}
            try:
                blob = pickle.dumps((positional, keywords), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # an argument that cannot be pickled: this call cannot be replayed
                return
            try:  # with the globals it read, as they were at this call (a value the program anneals)
                blob = pickle.dumps((positional, keywords, read_globals(frame)), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                pass
            kept += len(blob)
            captured.append(blob)

        script = entry[0]
        import_frameworks(Path(script).read_text(encoding="utf-8", errors="replace") if Path(script).is_file() else "")
        seed_everything(self.seed)
        sys.argv = list(entry)
        sys.setprofile(profiler)
        try:
            if script == "pytest":
                import pytest

                pytest.main(entry[1:] + ["-q", "-p", "no:cacheprovider"])
            else:
                runpy.run_path(script, run_name="__main__")
        except (SystemExit, Exception):  # what was captured before it failed is still good
            pass
        finally:
            sys.setprofile(None)
        return {"inputs": captured}

    def generate(self, key: str, function: str, draws: int, like: list[bytes] | None = None) -> dict[str, Any]:
        """Argument sets of many families; with `like`, of the kinds, ranks and dtypes of those calls."""
        from harp_refactor.equivalence.generate import generate_inputs

        seed_everything(self.seed)
        return {"inputs": generate_inputs(lambda: self.fresh(key), function, draws, like=like)}

    def samples(self, factory: str) -> dict[str, Any]:
        """Call the user's `module:function` factory: a list of argument tuples or (args, kwargs) pairs."""
        import importlib

        module_name, _, name = factory.partition(":")
        produced = getattr(importlib.import_module(module_name), name)()
        inputs = []
        for item in produced:
            if isinstance(item, dict):
                inputs.append(pickle.dumps(([], item)))
            elif (
                isinstance(item, tuple)
                and len(item) == 2
                and isinstance(item[1], dict)
                and isinstance(item[0], (list, tuple))
            ):
                inputs.append(pickle.dumps((list(item[0]), item[1])))
            else:
                inputs.append(pickle.dumps((list(item) if isinstance(item, (list, tuple)) else [item], {})))
        return {"inputs": inputs}

    def describe(self, inputs: bytes) -> dict[str, Any]:
        """A snapshot of pickled inputs, for the log."""
        return {"snapshot": snapshot(self.unpickle(inputs)[:2])}


def resolve(module: types.ModuleType, qualname: str) -> Any:
    """A function or a method ("Model.step", looked up on the class) of a loaded module."""
    target: Any = module
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    runner = Runner()
    while True:
        try:
            name, arguments = read_frame(requests)
        except EOFError:
            return
        try:
            reply = {"ok": True, **getattr(runner, name)(**arguments)}
        except MemoryError:
            reply = {"ok": False, "error": "MemoryError: the run exceeded the memory limit"}
        except BaseException as error:  # report everything; the parent decides
            lines = traceback.format_exception_only(type(error), error)
            reply = {"ok": False, "error": "".join(lines).strip(), "traceback": traceback.format_exc()}
        write_frame(replies, reply)


def main() -> None:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the program's prints go to stderr, kept by the parent
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
