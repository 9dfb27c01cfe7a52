"""The examples end to end: found, verified by the harness, written by --apply, and the
rewritten program computes what the original did."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import EXAMPLES, assert_close, harp_command, run_program

# folder, program, the pattern it shows, what it computes (evaluated after running it)
CASES = [
    ("tf1_graph_growth", "graph_growth_tf1.py", "HARP201", "(weights, final_loss)"),
    ("tf1_dict_learn", "dict_learn_tf1.py", "HARP101", "codes"),
    ("tf1_rbm", "rbm_tf1.py", "HARP102", "(errors1, errors2)"),
    ("tf2_gp_likelihood", "gp_likelihood_tf2.py", "HARP102", "(scores, best_length_scale)"),
    ("tf1_char_rnn", "char_rnn_tf1.py", "HARP202", "(losses, final_hidden)"),
    ("tf2_eager_training", "train_eager.py", "HARP203", "(train(), [w.numpy() for w in model.trainable_variables])"),
    ("tf2_retracing", "retracing_tf2.py", "HARP204", "(weights, error)"),
    ("torch_unused_predictions", "train_classifier.py", "HARP105", "train()"),
    ("torch_conv_training", "train_conv.py", "HARP301", "(losses, final_weights)"),
    ("numpy_cnn_filters", "cnn_filters.py", "HARP103", "(losses, final_filters)"),
    ("numpy_backprop", "backprop.py", "HARP103", "(errors, weights)"),
    ("numpy_metaheuristic", "benchmarks.py", "HARP104", "(rastrigin_best, sphere_best)"),
    ("numpy_metaheuristic", "benchmarks.py", "HARP101", "(rastrigin_best, sphere_best)"),
    ("torch_cholesky", "cholesky.py", "HARP104", "(factor, error)"),
    ("torch_cholesky", "cholesky.py", "HARP103", "(factor, error, reference(matrices))"),
    ("numpy_image_rotation", "rotate.py", "HARP102", "rotated"),
    ("numpy_image_rotation", "rotate.py", "HARP101", "rotated"),
    ("tf1_style_transfer", "style_transfer_tf1.py", "HARP101", "(losses, stylised)"),
    ("tf1_deep_q_network", "dqn_tf1.py", "HARP102", "(losses, episode_returns, q_curve, q_weights)"),
    ("torch_seq2seq", "seq2seq.py", "HARP101", "(losses, predictions, accuracy)"),
]
# What the fix is for, where the rewritten program can say it: (expression, before, after).
IMPROVED = {
    "tf2_retracing": ("decayed_step.experimental_get_tracing_count()", 60, 1),
    "torch_conv_training": ("torch.backends.cudnn.benchmark", False, True),
}


@dataclass(frozen=True)
class Applied:
    """An example copied to a temporary folder and rewritten there with `--apply`."""

    original: Path
    rewritten: Path
    findings: list[dict[str, Any]]

    def texts(self) -> tuple[str, str]:
        return self.original.read_text(encoding="utf-8"), self.rewritten.read_text(encoding="utf-8")


def apply_to_copy(tmp_path: Path, folder: str, program: str, code: str) -> Applied:
    """Copy examples/FOLDER, run `harp-refactor --apply --select CODE PROGRAM` in the copy."""
    copy = tmp_path / folder
    shutil.copytree(EXAMPLES / folder, copy)
    original = tmp_path / "original.py"
    shutil.copyfile(copy / program, original)
    result = subprocess.run(
        harp_command("--apply", "--format", "json", "--select", code, program),
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return Applied(original, copy / program, json.loads(result.stdout)["findings"])


CASE_IDS = [f"{folder}-{code}" for folder, _, code, _ in CASES]


@pytest.mark.parametrize(("folder", "program", "code", "computed"), CASES, ids=CASE_IDS)
def test_example_is_rewritten_and_still_computes_the_same(
    tmp_path: Path, folder: str, program: str, code: str, computed: str
) -> None:
    """`--apply` fixes the example's pattern with an equivalent verdict, and rerunning both versions agrees."""
    applied = apply_to_copy(tmp_path, folder, program, code)
    findings = applied.findings
    assert findings and all(f["code"] == code for f in findings)
    assert all(f["verdict"]["status"] == "equivalent" for f in findings if f["diff"]), findings
    before, after = applied.texts()
    assert after != before
    expected = run_program(applied.original, computed)
    assert_close(expected, run_program(applied.rewritten, computed), rtol=1e-5, atol=1e-6)
    if folder in IMPROVED:
        measure, old, new = IMPROVED[folder]
        assert (run_program(applied.original, measure), run_program(applied.rewritten, measure)) == (old, new)


def test_cudnn_flag_is_set_once_before_the_loop_with_its_assumptions(tmp_path: Path) -> None:
    """HARP301 adds exactly one line, just before the training loop, and says what it assumes."""
    applied = apply_to_copy(tmp_path, "torch_conv_training", "train_conv.py", "HARP301")
    (finding,) = applied.findings
    assumed = " ".join(a["what"] + " " + a["why"] for a in finding["assumptions"])
    assert "input size is fixed" in assumed and "CUDA" in assumed, finding["assumptions"]
    assert "GPU" in finding["message"]
    before, after = applied.texts()
    lines = after.splitlines()
    flag = lines.index("torch.backends.cudnn.benchmark = True")
    assert lines[flag + 1].startswith("for step in range(STEPS):")
    assert after.replace("torch.backends.cudnn.benchmark = True\n", "", 1) == before


def test_unused_statistics_are_removed_and_training_stays(tmp_path: Path) -> None:
    """HARP105 removes the batch statistics nobody reads, and nothing the training needs."""
    applied = apply_to_copy(tmp_path, "torch_unused_predictions", "train_classifier.py", "HARP105")
    assert all(f["diff"] for f in applied.findings)
    before, after = applied.texts()
    for removed in ("probs =", "entropy =", "acc =", "neighbours =", "recall ="):
        assert removed in before and removed not in after
    assert "loss.backward()" in after and "optimizer.step()" in after
