"""The pull-request bot end to end: the real CLI, a real bare git remote on disk, and a local
server answering GitHub's REST endpoints; the fixes are verified by the real harness."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml

from harp_refactor.bot import _REMOTE_REPOSITORY
from harp_refactor.credentials import redact
from harp_refactor.pull_request import read_marker
from tests.fake_github import FakeGitHub, serve
from tests.helpers import EXAMPLES, ROOT, dedent, harp_command

TOKEN = "ghs_secret0token0never0printed"
REPOSITORY = "octo/models"

# HARP101 in `scaled` (the norm of `w` every step) and HARP104 in `total` (a sum term by term)
MODEL = """
import numpy as np


def scaled(x, w, steps):
    out = x
    for _ in range(steps):
        norm = np.linalg.norm(w)
        out = out * norm
    return out


def total(x):
    x = np.asarray(x, dtype=np.float64)  # a float16 running sum would stall where np.sum does not
    acc = 0.0
    for i in range(len(x)):
        acc = acc + x[i] * x[i]
    return acc


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    print(scaled(rng.standard_normal(3), rng.standard_normal(3), 4), total(rng.standard_normal(5)))
"""
ANOTHER_INVARIANT = """
def shifted(x, b, steps):
    out = x
    for _ in range(steps):
        offset = np.exp(b)
        out = out + offset
    return out
"""
ANOTHER_SUM = """
def weighted(x, w):
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    acc = 0.0
    for i in range(len(x)):
        acc = acc + w[i] * x[i]
    return acc
"""


def with_function(function: str, call: str) -> str:
    """MODEL with one more function, called from the main block."""
    model = dedent(MODEL).replace("\n\nif __name__", "\n\n" + dedent(function) + "\n\nif __name__")
    return model + f"    print({call})\n"


@dataclass
class Project:
    """A clone with its bare remote and the fake GitHub serving the remote's repository."""

    work: Path
    remote: Path
    github: FakeGitHub
    env: dict[str, str]

    def bot(self, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
        """`harp-refactor model.py --pr` in the clone, as a scheduled job would run it."""
        completed = subprocess.run(
            harp_command("model.py", "--pr", *args),
            cwd=self.work,
            capture_output=True,
            text=True,
            timeout=300,
            env={**self.env, "GITHUB_TOKEN": token},
        )
        assert TOKEN not in completed.stdout + completed.stderr
        return completed

    def commit(self, text: str, message: str) -> None:
        """A maintainer's commit on main, pushed."""
        (self.work / "model.py").write_text(text, encoding="utf-8")
        self.git("commit", "--quiet", "-am", message)
        self.git("push", "--quiet", "origin", "main")

    def merge(self, number: int) -> None:
        """A maintainer merges a pull request: its branch is fast-forwarded into main."""
        branch = self.github.pulls[number]["head"]
        self.git("pull", "--quiet", "--ff-only", "origin", branch)
        self.git("push", "--quiet", "origin", "main")
        self.github.close(number, merged=True)

    def git(self, *args: str, where: Path | None = None) -> str:
        completed = subprocess.run(
            ["git", *args], cwd=where or self.work, capture_output=True, text=True, timeout=60, env=self.env
        )
        assert completed.returncode == 0, completed.stderr
        return completed.stdout

    def branches(self) -> dict[str, str]:
        """The remote's branches and their commits."""
        listing = self.git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads", where=self.remote)
        return dict(line.split() for line in listing.splitlines())

    def file_on(self, branch: str) -> str:
        return self.git("show", f"{branch}:model.py", where=self.remote)

    def commits_on(self, branch: str) -> list[str]:
        """Subjects and bodies of the branch's commits that main lacks, newest first."""
        log = self.git("log", "--format=%B%x00", f"main..{branch}", where=self.remote)
        return [entry.strip() for entry in log.split("\0") if entry.strip()]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    work, remote = tmp_path / "work", tmp_path / "remote.git"
    (tmp_path / "gitconfig").write_text("", encoding="utf-8")
    env = {
        **os.environ,
        # no user or system git configuration: the bot's commits carry its own name
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GITHUB_REPOSITORY": REPOSITORY,
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.pop("GH_TOKEN", None)
    work.mkdir()
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(remote)], check=True, env=env)
    for github in serve(REPOSITORY, remote, TOKEN):
        env["GITHUB_API_URL"] = github.url
        project = Project(work, remote, github, env)
        project.git("init", "--quiet", "-b", "main")
        project.git("config", "user.name", "Maintainer")
        project.git("config", "user.email", "maintainer@example.test")
        project.git("remote", "add", "origin", str(remote))
        (work / "model.py").write_text(dedent(MODEL), encoding="utf-8")
        project.git("add", "model.py")
        project.git("commit", "--quiet", "-m", "model")
        project.git("push", "--quiet", "origin", "main")
        project.git("config", "--unset", "user.email")  # the bot names itself on its commits
        project.git("config", "--unset", "user.name")
        project.env.update(GIT_AUTHOR_NAME="Maintainer", GIT_AUTHOR_EMAIL="maintainer@example.test")
        project.env.update(GIT_COMMITTER_NAME="Maintainer", GIT_COMMITTER_EMAIL="maintainer@example.test")
        yield project


def run_model(text: str, tmp_path: Path, name: str) -> np.ndarray:
    """What each function of a version of model.py returns on fixed random inputs."""
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    code = (
        "import runpy, sys, numpy as np\n"
        "m = runpy.run_path(sys.argv[1])\n"
        "rng = np.random.default_rng(7)\n"
        "x, w = rng.standard_normal((2, 5))\n"
        "np.save(sys.argv[2], np.array([m['scaled'](x, w, 3), np.full(5, m['total'](x))]))\n"
    )
    out = tmp_path / f"{name}.npy"
    subprocess.run([sys.executable, "-c", code, str(path), str(out)], check=True, timeout=120)
    return np.load(out)


class TestOpening:
    def test_one_pull_request_per_code_with_one_verified_commit_per_file(
        self, project: Project, tmp_path: Path
    ) -> None:
        """Each code gets its own branch off main, one commit naming code, file and verdict, and a pull request."""
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        pulls = {pull["head"]["ref"]: pull for pull in project.github.open_pulls()}
        assert sorted(pulls) == ["harp/HARP101", "harp/HARP104"]
        assert {pull["base"]["ref"] for pull in pulls.values()} == {"main"}
        assert f"opened pull request #{pulls['harp/HARP101']['number']}" in completed.stdout
        branches = project.branches()
        for code in ("HARP101", "HARP104"):
            [message] = project.commits_on(f"harp/{code}")
            assert message.startswith(f"{code} ") and ": model.py" in message.splitlines()[0]
            assert "Verified by harp-refactor: equivalent" in message
            assert message.endswith("\n\nGenerated-by: harp-refactor")
            assert pulls[f"harp/{code}"]["head"]["sha"] == branches[f"harp/{code}"]
        author = project.git("log", "-1", "--format=%an <%ae>", "harp/HARP101", where=project.remote)
        assert author.strip() == "harp-refactor <harp-refactor@users.noreply.github.com>"

    def test_each_branch_holds_only_its_own_code_and_computes_the_same(self, project: Project, tmp_path: Path) -> None:
        """harp/HARP101 hoists the norm and keeps the sum loop; harp/HARP104 the reverse; both give main's numbers."""
        assert project.bot().returncode == 0
        hoisted, summed = project.file_on("harp/HARP101"), project.file_on("harp/HARP104")
        assert "for i in range(len(x)):" in hoisted and "    if steps > 0:\n        norm" in hoisted
        assert "for i in range(len(x)):" not in summed and "        norm = np.linalg.norm(w)" in summed
        expected = run_model(dedent(MODEL), tmp_path, "main")
        for name, text in (("hoisted", hoisted), ("summed", summed)):
            np.testing.assert_allclose(run_model(text, tmp_path, name), expected, rtol=1e-12)

    def test_the_body_lists_the_changes_how_they_were_verified_and_the_marker(self, project: Project) -> None:
        """The body has the table, the verification section, the assumptions and the fingerprints."""
        assert project.bot().returncode == 0
        [pull] = [pull for pull in project.github.open_pulls() if pull["head"]["ref"] == "harp/HARP104"]
        body = pull["body"]
        assert "| file | code | change | verdict | speedup |" in body
        assert "| `model.py:15` | HARP104 |" in body and "| equivalent |" in body
        assert "## How this was verified" in body and "median" in body
        assert "## Assumptions to check" in body and "adding the terms in another order" in body
        marker = read_marker(body)
        assert len(marker.fingerprints) == 1 and marker.paths == {"model.py"}
        assert pull["title"] == "harp-refactor: HARP104 accumulation in a loop"

    def test_the_user_s_checkout_is_left_as_it_was(self, project: Project) -> None:
        """No file, index entry or local branch of the clone changes."""
        before = (project.work / "model.py").read_bytes()
        assert project.bot().returncode == 0
        assert (project.work / "model.py").read_bytes() == before
        assert project.git("status", "--porcelain", "--untracked-files=no") == ""
        assert project.git("branch", "--format=%(refname:short)").split() == ["main"]

    def test_the_token_is_sent_and_never_printed(self, project: Project) -> None:
        """Every API request carries the token; the output never shows it (checked in `bot`)."""
        assert project.bot("--pr-limit", "0").returncode == 0
        assert project.github.requests
        assert {request.authorization for request in project.github.requests} == {f"token {TOKEN}"}


class TestRerunning:
    def test_nothing_new_posts_nothing(self, project: Project) -> None:
        """A second run on the same code pushes nothing and writes nothing through the API."""
        assert project.bot().returncode == 0
        branches, writes = project.branches(), len(project.github.writes())
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert project.branches() == branches
        assert len(project.github.writes()) == writes
        assert completed.stdout.count("is up to date") == 2

    def test_a_new_finding_updates_the_open_pull_request_in_place(self, project: Project) -> None:
        """The same pull request gets the new fix: its branch is rebuilt and its body names both."""
        assert project.bot().returncode == 0
        numbers = {pull["head"]["ref"]: pull["number"] for pull in project.github.open_pulls()}
        project.commit(
            with_function(ANOTHER_INVARIANT, "shifted(rng.standard_normal(3), rng.standard_normal(3), 2)"), "shift"
        )
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert f"updated pull request #{numbers['harp/HARP101']}" in completed.stdout
        pulls = {pull["head"]["ref"]: pull for pull in project.github.open_pulls()}
        assert {ref: pull["number"] for ref, pull in pulls.items()} == numbers
        assert len(read_marker(pulls["harp/HARP101"]["body"]).fingerprints) == 2
        hoisted = project.file_on("harp/HARP101")
        assert (
            "    if steps > 0:\n        offset = np.exp(b)\n    for _ in range(steps):\n        out = out + offset"
            in hoisted
        )
        [message] = project.commits_on("harp/HARP101")
        assert "- line 7:" in message and "- line 23:" in message
        assert "harp/HARP104: pull request" in completed.stdout and "is up to date" in completed.stdout
        patches = [r for r in project.github.writes() if r.method == "PATCH"]
        assert [r.path.rsplit("/", 1)[1] for r in patches] == [str(numbers["harp/HARP101"])]

    def test_a_pull_request_whose_findings_are_gone_is_closed_and_its_branch_deleted(self, project: Project) -> None:
        """When main fixes the sum by hand, the HARP104 pull request is closed with a comment."""
        assert project.bot().returncode == 0
        number = next(p["number"] for p in project.github.open_pulls() if p["head"]["ref"] == "harp/HARP104")
        fixed = dedent(MODEL).replace(
            "    for i in range(len(x)):\n        acc = acc + x[i] * x[i]\n", "    acc = acc + (x * x).sum()\n"
        )
        project.commit(fixed, "sum at once")
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert f"closed pull request #{number}" in completed.stdout
        assert project.github.pulls[number]["state"] == "closed"
        [comment] = project.github.comments
        assert comment["issue"] == number and "no longer finds HARP104" in comment["body"]
        assert "harp/HARP104" not in project.branches()
        assert [p["head"]["ref"] for p in project.github.open_pulls()] == ["harp/HARP101"]

    def test_a_pull_request_closed_without_merging_is_never_proposed_again(self, project: Project) -> None:
        """Declined fixes stay declined; a new finding of the same code gets a new pull request of its own."""
        assert project.bot().returncode == 0
        number = next(p["number"] for p in project.github.open_pulls() if p["head"]["ref"] == "harp/HARP104")
        declined = read_marker(project.github.pulls[number]["body"]).fingerprints
        project.github.close(number)
        writes = len(project.github.writes())
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert "harp/HARP104: nothing new" in completed.stdout
        assert len(project.github.writes()) == writes
        project.commit(
            with_function(ANOTHER_SUM, "weighted(rng.standard_normal(4), rng.standard_normal(4))"), "weights"
        )
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        [new] = [p for p in project.github.open_pulls() if p["head"]["ref"] == "harp/HARP104"]
        assert new["number"] != number
        fingerprints = read_marker(new["body"]).fingerprints
        assert len(fingerprints) == 1 and not fingerprints & declined
        branch = project.file_on("harp/HARP104")
        assert "acc = acc + x[i] * x[i]" in branch and "w[i] * x[i]" not in branch

    def test_open_pull_requests_are_capped(self, project: Project) -> None:
        """With a limit of one (from pyproject.toml), the second code waits: no branch, no pull request."""
        (project.work / "pyproject.toml").write_text("[tool.harp-refactor.pull-requests]\nlimit = 1\n")
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert [p["head"]["ref"] for p in project.github.open_pulls()] == ["harp/HARP101"]
        assert "harp/HARP104: not opened: harp-refactor has 1 pull requests open, the limit" in completed.stdout
        assert "harp/HARP104" not in project.branches()
        project.merge(1)
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert [p["head"]["ref"] for p in project.github.open_pulls()] == ["harp/HARP104"]

    def test_a_pull_request_someone_else_pushed_to_is_left_alone(self, project: Project) -> None:
        """A maintainer's commit on harp/HARP101 is never overwritten: the bot stops updating that pull request."""
        assert project.bot().returncode == 0
        project.git("fetch", "--quiet", "origin", "harp/HARP101")
        project.git("checkout", "--quiet", "-b", "edit", "FETCH_HEAD")
        (project.work / "NOTES.md").write_text("why the norm moved\n")
        project.git("add", "NOTES.md")
        project.git("commit", "--quiet", "-m", "explain the change")
        project.git("push", "--quiet", "origin", "edit:harp/HARP101")
        project.git("checkout", "--quiet", "main")
        edited = project.branches()["harp/HARP101"]
        project.commit(
            with_function(ANOTHER_INVARIANT, "shifted(rng.standard_normal(3), rng.standard_normal(3), 2)"), "shift"
        )
        completed = project.bot()
        assert completed.returncode == 0, completed.stderr
        assert "harp/HARP101: left alone: pull request #1 has commits harp-refactor did not make" in completed.stdout
        assert project.branches()["harp/HARP101"] == edited
        assert not [r for r in project.github.writes() if r.path.endswith("/pulls/1")]

    def test_a_pull_request_of_a_code_not_selected_is_left_alone(self, project: Project) -> None:
        """A run restricted to HARP101 neither closes nor touches the HARP104 pull request."""
        assert project.bot().returncode == 0
        branches, writes = project.branches(), len(project.github.writes())
        completed = project.bot("--select", "HARP101")
        assert completed.returncode == 0, completed.stderr
        assert "harp/HARP104: left alone: pull request #2 is about HARP104" in completed.stdout
        assert len(project.github.writes()) == writes and project.branches() == branches
        assert len(project.github.open_pulls()) == 2


class TestFailures:
    def test_a_rejected_push_is_a_clear_error_and_nothing_is_opened(self, project: Project) -> None:
        """A remote that refuses the push: one error line, exit 2, no API write, no branch."""
        hook = project.remote / "hooks" / "pre-receive"
        hook.write_text("#!/bin/sh\necho 'branch protection: pushes are not allowed' >&2\nexit 1\n")
        hook.chmod(0o755)
        completed = project.bot()
        assert completed.returncode == 2
        [error] = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
        assert "git push failed" in error and "branch protection: pushes are not allowed;" in error
        assert project.github.writes() == []
        assert sorted(project.branches()) == ["main"]

    def test_a_failed_api_call_undoes_its_push(self, project: Project) -> None:
        """When opening the pull request fails, its branch is deleted again; the next run opens it."""
        project.github.fail_next("POST", r"/pulls$", 502, "Bad Gateway")
        completed = project.bot()
        assert completed.returncode == 2
        assert "error: GitHub API: opening a pull request from harp/HARP101 into main failed: 502 Bad Gateway" in (
            completed.stderr
        )
        assert sorted(project.branches()) == ["main"]
        assert project.github.open_pulls() == []
        assert project.bot().returncode == 0
        assert len(project.github.open_pulls()) == 2

    def test_a_failed_update_puts_the_branch_back(self, project: Project) -> None:
        """When updating the body fails, the branch points to its old commit again."""
        assert project.bot().returncode == 0
        before = project.branches()
        project.commit(
            with_function(ANOTHER_INVARIANT, "shifted(rng.standard_normal(3), rng.standard_normal(3), 2)"), "shift"
        )
        project.github.fail_next("PATCH", r"/pulls/\d+$", 500)
        completed = project.bot()
        assert completed.returncode == 2
        assert "updating pull request #1 failed: 500" in completed.stderr
        assert "harp/HARP101: put back as it was" in completed.stdout
        assert project.branches()["harp/HARP101"] == before["harp/HARP101"]

    def test_bad_credentials_stop_the_bot_before_it_pushes(self, project: Project) -> None:
        """A token GitHub refuses: error naming the 401, nothing pushed, and that token not printed either."""
        completed = project.bot(token="ghs_wrong0token")
        assert completed.returncode == 2
        assert "401 Bad credentials" in completed.stderr and "ghs_wrong0token" not in completed.stderr
        assert sorted(project.branches()) == ["main"]

    def test_without_pygithub_it_says_which_extra_to_install(self, project: Project, tmp_path: Path) -> None:
        """With no GitHub client importable, the bot stops before the analysis and names the `pr` extra."""
        blocker = tmp_path / "blocked" / "github"
        blocker.mkdir(parents=True)
        (blocker / "__init__.py").write_text("raise ImportError('PyGithub is not installed here')\n")
        project.env["PYTHONPATH"] = str(blocker.parent)
        completed = project.bot()
        assert completed.returncode == 2
        assert "error: --pr needs PyGithub: pip install 'harp-refactor[pr]'" in completed.stderr
        assert "verifying" not in completed.stderr and project.github.requests == []

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ("token", "--pr needs a GitHub token in GITHUB_TOKEN"),
            ("detached", "HEAD is detached: name the branch the pull requests go into with --base"),
            ("unpushed", "HEAD has commits that origin/main lacks"),
            ("apply", "--pr and --apply cannot be used together"),
        ],
    )
    def test_a_setup_the_bot_cannot_work_in_is_one_error_line(
        self, project: Project, change: str, message: str
    ) -> None:
        """Missing token, detached HEAD, unpushed commits or a clashing flag: exit 2 and what to do."""
        args: list[str] = []
        if change == "detached":
            project.git("checkout", "--quiet", "--detach")
        if change == "unpushed":
            (project.work / "model.py").write_text(dedent(MODEL) + "\n# local\n")
            project.git("commit", "--quiet", "-am", "local")
        if change == "apply":
            args.append("--apply")
        completed = project.bot(*args, token="" if change == "token" else TOKEN)
        assert completed.returncode == 2
        assert f"error: {message}" in completed.stderr
        assert sorted(project.branches()) == ["main"] and project.github.writes() == []


class TestRepositoryName:
    @pytest.mark.parametrize(
        ("url", "name"),
        [
            ("git@github.com:octo/models.git", "octo/models"),
            ("https://github.com/octo/models", "octo/models"),
            ("https://x-access-token:abc@github.com/octo/models.git", "octo/models"),
            ("ssh://git@github.example.com/octo/models.git", "octo/models"),
            ("/srv/git/models.git", None),
        ],
    )
    def test_the_repository_is_read_from_the_remote_url(self, url: str, name: str | None) -> None:
        """Without $GITHUB_REPOSITORY, owner/name comes from the remote's URL, in each form git takes."""
        match = _REMOTE_REPOSITORY.match(url)
        assert (match["name"] if match else None) == name


class TestRedaction:
    def test_the_token_and_url_credentials_are_removed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Whatever git or the API echoes back, the token and a URL's user:password become ***."""
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        text = f"push to https://x:{TOKEN}@github.com/octo/models failed; Authorization: token {TOKEN}"
        assert redact(text) == "push to https://***@github.com/octo/models failed; Authorization: token ***"


ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
WORKFLOW = yaml.safe_load((EXAMPLES / "github_bot" / "harp-refactor-bot.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"\$\{\{\s*([\w.]+)\s*\}\}")


def evaluate(text: str, context: dict[str, str]) -> str:
    """The `${{ inputs.x }}` / `${{ github.y }}` expressions of the action, filled in as the runner does."""
    return _EXPRESSION.sub(lambda match: context[match[1]], text)


class TestAction:
    def test_the_action_s_steps_run_the_bot(self, project: Project) -> None:
        """The composite action's scripts, run as the runner runs them, open the pull requests."""
        context = {"github.action_path": str(ROOT), "github.token": TOKEN}
        given = {"paths": "model.py", "args": "--pr-limit 1", "install": "false"}
        for name, spec in ACTION["inputs"].items():
            context[f"inputs.{name}"] = given.get(name, evaluate(str(spec.get("default", "")), context))
        ran = []
        for step in ACTION["runs"]["steps"]:
            if "if" in step:
                test = re.fullmatch(r"inputs\.(\w+) == '(\w+)'", step["if"])
                assert test, f"a condition this test cannot evaluate: {step['if']}"
                if context[f"inputs.{test[1]}"] != test[2]:
                    continue
            env = {**project.env, **{key: evaluate(str(value), context) for key, value in step.get("env", {}).items()}}
            assert "${{" not in step["run"], "inputs must reach the script through env, not be pasted into it"
            completed = subprocess.run(
                [step["shell"], "-e", "-c", step["run"]], cwd=project.work, env=env, capture_output=True, text=True
            )
            assert completed.returncode == 0, completed.stderr
            assert TOKEN not in completed.stdout + completed.stderr
            ran.append(step["name"])
        assert ran == ["Open, update or close pull requests"]
        assert [p["head"]["ref"] for p in project.github.open_pulls()] == ["harp/HARP101"]

    def test_the_example_workflow_runs_the_action_on_a_schedule_with_the_rights_it_needs(self) -> None:
        """The example is scheduled, may write contents and pull requests, and passes only inputs the action has."""
        triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true
        assert triggers["schedule"][0]["cron"]
        assert WORKFLOW["permissions"] == {"contents": "write", "pull-requests": "write"}
        steps = WORKFLOW["jobs"]["pull-requests"]["steps"]
        [checkout] = [step for step in steps if step.get("uses", "").startswith("actions/checkout")]
        assert checkout["with"]["fetch-depth"] == 0
        [bot] = [step for step in steps if "harp-refactor" in step.get("uses", "")]
        assert set(bot["with"]) <= set(ACTION["inputs"])
