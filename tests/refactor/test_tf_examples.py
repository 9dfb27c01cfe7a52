"""The TensorFlow examples end to end: found, verified by the harness, written by --apply,
and the rewritten program computes what the original did."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, assert_close, run_program

# folder, program, the pattern it shows, what it computes (evaluated after running it)
CASES = [
    ("tf1_graph_growth", "graph_growth_tf1.py", "HARP201", "(weights, final_loss)"),
    ("tf1_dict_learn", "dict_learn_tf1.py", "HARP101", "codes"),
    ("tf1_rbm", "rbm_tf1.py", "HARP102", "(errors1, errors2)"),
    ("tf2_gp_likelihood", "gp_likelihood_tf2.py", "HARP102", "(scores, best_length_scale)"),
    ("tf1_char_rnn", "char_rnn_tf1.py", "HARP202", "(losses, final_hidden)"),
    ("tf2_eager_training", "train_eager.py", "HARP203", "(train(), [w.numpy() for w in model.trainable_variables])"),
    ("tf2_retracing", "retracing_tf2.py", "HARP204", "(weights, error)"),
]
# What the fix is for, where the rewritten program can say it: (expression, before, after).
IMPROVED = {"tf2_retracing": ("decayed_step.experimental_get_tracing_count()", 60, 1)}


@pytest.mark.parametrize(("folder", "program", "code", "computed"), CASES, ids=[case[0] for case in CASES])
def test_example_is_rewritten_and_still_computes_the_same(
    tmp_path: Path, folder: str, program: str, code: str, computed: str
) -> None:
    """`--apply` fixes the example's pattern with an equivalent verdict, and rerunning both versions agrees."""
    copy = tmp_path / folder
    shutil.copytree(EXAMPLES / folder, copy)
    original = (copy / program).read_text(encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "harp_refactor", "--apply", "--format", "json", "--select", code, program],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    findings = json.loads(result.stdout)["findings"]
    assert findings and all(f["code"] == code for f in findings)
    assert all(f["verdict"]["status"] == "equivalent" for f in findings if f["diff"]), findings
    rewritten = (copy / program).read_text(encoding="utf-8")
    assert rewritten != original
    (tmp_path / "original.py").write_text(original, encoding="utf-8")
    expected = run_program(tmp_path / "original.py", computed)
    assert_close(expected, run_program(copy / program, computed), rtol=1e-5, atol=1e-6)
    if folder in IMPROVED:
        measure, before, after = IMPROVED[folder]
        assert (run_program(tmp_path / "original.py", measure), run_program(copy / program, measure)) == (before, after)
