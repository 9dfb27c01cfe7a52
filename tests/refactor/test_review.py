"""`--interactive`, driven through a real pseudo-terminal as a person would use it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers import harp_command
from tests.refactor.test_cli import NUMPY_STEP, harp

PROGRAM = NUMPY_STEP + '\nif __name__ == "__main__":\n    f(np.eye(3), 4)\n'
PROMPT = "Accept this fix ["
CTRL_C = "\x03"  # the terminal turns it into SIGINT
FIXED = "    if n > 0:\n        s = np.linalg.norm(D)\n    for _ in range(n):"


def drive(cwd: Path, answers: list[str], *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal; answer each prompt with the next answer."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        harp_command(*args),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        # the terminal is the program's controlling terminal, so Ctrl-C there interrupts it
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(follower)
    shown, answered, deadline = "", 0, time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    shown += os.read(leader, 65536).decode("utf-8", "replace")
                except OSError:  # the terminal closed: the program ended
                    break
                if shown.count(PROMPT) > answered and answers:
                    answer = answers.pop(0)
                    os.write(leader, (answer if answer == CTRL_C else answer + "\n").encode())
                    answered += 1
            elif process.poll() is not None:
                break
        return process.wait(timeout=30), shown.replace("\r\n", "\n")
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()


def test_without_a_terminal_it_refuses_and_suggests_diff(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("step.py", PROGRAM)
    completed = harp(tmp_path, "step.py", "--interactive")
    assert completed.returncode == 2
    assert "--diff" in completed.stderr
    assert path.read_text(encoding="utf-8") == PROGRAM.lstrip("\n") or "norm_D" not in path.read_text("utf-8")


def test_the_default_answer_accepts_a_verified_fix(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("step.py", PROGRAM)
    status, shown = drive(tmp_path, [""], "step.py", "--interactive")
    assert status == 0, shown
    assert "(1/1) step.py:5 HARP101" in shown
    assert "verdict: equivalent" in shown
    assert "[Y/n/a/d/q/e/?]" in shown  # verified: yes is the default
    assert FIXED in path.read_text(encoding="utf-8")


def test_a_rejected_fix_is_not_asked_again_until_the_code_changes(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    path = write("step.py", PROGRAM)
    before = path.read_text(encoding="utf-8")
    status, shown = drive(tmp_path, ["?", "n"], "step.py", "--interactive")
    assert status == 1, shown  # the finding remains
    assert "e - edit the fixed file" in shown  # `?` printed the help, then asked again
    assert path.read_text(encoding="utf-8") == before
    status, shown = drive(tmp_path, [], "step.py", "--interactive")
    assert PROMPT not in shown and "rejected before" in shown
    path.write_text(before.replace("def f(D, n):", "def f(D, n):  # changed"), encoding="utf-8")
    status, shown = drive(tmp_path, ["q"], "step.py", "--interactive")
    assert PROMPT in shown


def test_an_unverified_fix_defaults_to_no(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("step.py", PROGRAM)
    before = path.read_text(encoding="utf-8")
    status, shown = drive(tmp_path, [""], "step.py", "--interactive", "--no-verify")
    assert "[y/N/a/d/q/e/?]" in shown
    assert path.read_text(encoding="utf-8") == before


def test_an_edit_is_verified_before_it_is_accepted(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("step.py", PROGRAM)
    # the editor renames nothing harmful: a comment is added to the fixed file
    status, shown = drive(
        tmp_path, ["e"], "step.py", "--interactive", env={"EDITOR": "sed -i s/return\\ s/return\\ s\\ \\ #\\ edited/"}
    )
    assert "verifying the edited file" in shown and "equivalent" in shown, shown
    text = path.read_text(encoding="utf-8")
    assert FIXED in text and "return s  # edited" in text


def test_ctrl_c_writes_nothing(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("step.py", PROGRAM)
    before = path.read_text(encoding="utf-8")
    status, shown = drive(tmp_path, [CTRL_C], "step.py", "--interactive")
    assert status == 1 and "interrupted: nothing written" in shown, shown
    assert path.read_text(encoding="utf-8") == before
    assert not list(tmp_path.glob("*.harp-tmp"))


def test_an_edit_keeps_the_fixes_accepted_before_it_in_the_file(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    program = (
        "import numpy as np\n\ndef f(D, n):\n    for _ in range(n):\n        s = np.linalg.norm(D)\n"
        '        t = np.trace(D)\n    return s + t\n\nif __name__ == "__main__":\n    f(np.eye(3), 4)\n'
    )
    path = write("two.py", program)
    editor = {"EDITOR": "sed -i s/return\\ s\\ +\\ t/return\\ s\\ +\\ t\\ \\ #\\ edited/"}
    status, shown = drive(tmp_path, ["y", "e"], "two.py", "--interactive", env=editor)
    assert "(2/2)" in shown and "verifying the edited file" in shown, shown
    text = path.read_text(encoding="utf-8")
    loop = text.index("for _ in range(n):")
    assert "return s + t  # edited" in text
    assert text.index("np.linalg.norm(D)") < loop and text.index("np.trace(D)") < loop
    assert status == 0, shown
