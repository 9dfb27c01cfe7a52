"""A local HTTP server that answers the GitHub REST endpoints the bot calls, in GitHub's shapes.

It serves one repository whose git side is a real bare repository on disk: a pull request's
head must be a branch there (as GitHub's validation demands) and its `head.sha` is read from
it. Pull requests follow https://docs.github.com/en/rest/pulls/pulls (list with `state`,
`head` and pagination, create, update) and comments
https://docs.github.com/en/rest/issues/comments; requests without the token get 401 as
GitHub answers them. Every request is recorded, and the next matching one can be made to fail.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    document: dict[str, Any]


@dataclass
class FakeGitHub:
    """The state of one repository, `owner/name`, served at `url`."""

    repository: str
    bare: Path
    token: str
    url: str = ""
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api(self) -> str:
        return f"{self.url}/repos/{self.repository}"

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    def fail_next(self, method: str, path: str, status: int = 500, message: str = "Server Error") -> None:
        """Answer the next `method` request whose path matches `path` (a regex) with an error."""
        self.failures.append(Failure(method, re.compile(path), status, {"message": message}))

    def writes(self) -> list[Request]:
        return [request for request in self.requests if request.method != "GET"]

    def close(self, number: int, merged: bool = False) -> None:
        """What a maintainer does in the web interface: close, or merge, a pull request."""
        now = _now()
        self.pulls[number].update(state="closed", closed_at=now, merged_at=now if merged else None)

    def open_pulls(self) -> list[dict[str, Any]]:
        return [self.shaped(pull) for pull in self.pulls.values() if pull["state"] == "open"]

    def branch_sha(self, branch: str) -> str | None:
        completed = subprocess.run(
            ["git", "-C", str(self.bare), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return completed.stdout.strip() or None

    def shaped(self, pull: dict[str, Any]) -> dict[str, Any]:
        """A pull request as the REST API returns it (the fields the docs list, most of them)."""
        owner, name = self.owner, self.repository.split("/")[1]
        number = pull["number"]
        repo = {
            "id": 1,
            "name": name,
            "full_name": self.repository,
            "owner": {"login": owner, "id": 1, "type": "User"},
            "private": False,
            "html_url": f"https://github.test/{self.repository}",
            "url": self.api,
        }
        head_sha = self.branch_sha(pull["head"]) or pull["head_sha"]
        pull["head_sha"] = head_sha
        return {
            "url": f"{self.api}/pulls/{number}",
            "id": 1000 + number,
            "node_id": f"PR_{number}",
            "html_url": f"https://github.test/{self.repository}/pull/{number}",
            "issue_url": f"{self.api}/issues/{number}",
            "comments_url": f"{self.api}/issues/{number}/comments",
            "number": number,
            "state": pull["state"],
            "locked": False,
            "title": pull["title"],
            "user": {"login": "harp-bot", "id": 2, "type": "Bot"},
            "body": pull["body"],
            "labels": [],
            "created_at": pull["created_at"],
            "updated_at": pull["updated_at"],
            "closed_at": pull["closed_at"],
            "merged_at": pull["merged_at"],
            "merge_commit_sha": None,
            "draft": False,
            "head": {"label": f"{owner}:{pull['head']}", "ref": pull["head"], "sha": head_sha, "repo": repo},
            "base": {"label": f"{owner}:{pull['base']}", "ref": pull["base"], "sha": "", "repo": repo},
            "author_association": "NONE",
        }

    # --- the endpoints -----------------------------------------------------------------

    def answer(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        for failure in self.failures:
            if failure.method == request.method and failure.path.search(request.path):
                self.failures.remove(failure)
                return failure.status, failure.document, {}
        if request.authorization not in (f"token {self.token}", f"Bearer {self.token}"):
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
        prefix = f"/repos/{self.repository}"
        if not request.path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        route = request.path[len(prefix) :]
        if route == "/pulls" and request.method == "GET":
            return self.list_pulls(request)
        if route == "/pulls" and request.method == "POST":
            return self.create_pull(request.body)
        match = re.fullmatch(r"/pulls/(\d+)", route)
        if match and int(match[1]) in self.pulls:
            pull = self.pulls[int(match[1])]
            if request.method == "PATCH":
                return self.update_pull(pull, request.body)
            if request.method == "GET":
                return 200, self.shaped(pull), {}
        match = re.fullmatch(r"/issues/(\d+)/comments", route)
        if match and request.method == "POST" and int(match[1]) in self.pulls:
            comment = {"id": len(self.comments) + 1, "issue": int(match[1]), "body": request.body["body"]}
            self.comments.append(comment)
            return 201, {**comment, "url": f"{self.api}/issues/comments/{comment['id']}"}, {}
        return 404, {"message": "Not Found"}, {}

    def list_pulls(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        state = request.query.get("state", "open")
        head = request.query.get("head")
        chosen = [
            pull
            for pull in sorted(self.pulls.values(), key=lambda pull: -pull["number"])
            if state in ("all", pull["state"]) and head in (None, f"{self.owner}:{pull['head']}")
        ]
        per_page, page = int(request.query.get("per_page", 30)), int(request.query.get("page", 1))
        headers = {}
        if page * per_page < len(chosen):
            query = "&".join(f"{key}={value}" for key, value in {**request.query, "page": page + 1}.items())
            headers["Link"] = f'<{self.api}/pulls?{query}>; rel="next"'
        return 200, [self.shaped(pull) for pull in chosen[(page - 1) * per_page : page * per_page]], headers

    def create_pull(self, document: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        head, base = document.get("head", ""), document.get("base", "")
        invalid = [field for field, branch in (("head", head), ("base", base)) if not self.branch_sha(branch)]
        if invalid:
            errors = [{"resource": "PullRequest", "field": field, "code": "invalid"} for field in invalid]
            return 422, {"message": "Validation Failed", "errors": errors}, {}
        if any((pull["head"], pull["base"], pull["state"]) == (head, base, "open") for pull in self.pulls.values()):
            error = {"resource": "PullRequest", "message": f"A pull request already exists for {self.owner}:{head}."}
            return 422, {"message": "Validation Failed", "errors": [error]}, {}
        number = max(self.pulls, default=0) + 1
        now = _now()
        self.pulls[number] = {
            "number": number,
            "state": "open",
            "title": document.get("title", ""),
            "body": document.get("body", ""),
            "head": head,
            "base": base,
            "head_sha": self.branch_sha(head),
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "merged_at": None,
        }
        return 201, self.shaped(self.pulls[number]), {}

    def update_pull(self, pull: dict[str, Any], document: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        for key in ("title", "body"):
            if key in document:
                pull[key] = document[key]
        if document.get("state") == "closed" and pull["state"] == "open":
            pull.update(state="closed", closed_at=_now())
        pull["updated_at"] = _now()
        return 200, self.shaped(pull), {}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = Request(
            self.command,
            parts.path,
            {key: values[-1] for key, values in parse_qs(parts.query).items()},
            json.loads(raw) if raw else None,
            self.headers.get("Authorization", ""),
        )
        with self.github.lock:
            self.github.requests.append(request)
            status, document, headers = self.github.answer(request)
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the tests read `requests` instead."""


def serve(repository: str, bare: Path, token: str) -> Iterator[FakeGitHub]:
    """Run the server in a thread while the generator is suspended (a fixture's body)."""
    github = FakeGitHub(repository, bare, token)
    handler = type("Handler", (_Handler,), {"github": github})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    github.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield github
    finally:
        server.shutdown()
        server.server_close()
