"""The pull requests of one GitHub repository, through the REST API with PyGithub.

Only what the bot needs: list its pull requests, open one, update one, close one with a
comment. Every failure becomes a `ForgeError` whose message says which call failed and what
GitHub answered, with the token removed. PyGithub is imported here only, so the rest of the
tool works without the `pr` extra.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .credentials import redact
from .errors import HarpError

if TYPE_CHECKING:
    from github.PullRequest import PullRequest as GithubPullRequest
    from github.Repository import Repository as GithubRepository

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_S = 30


class ForgeError(HarpError, RuntimeError):
    """A call to the forge's API failed, or the forge cannot be reached or used."""


@dataclass(frozen=True)
class PullRequest:
    """A pull request as the bot sees it."""

    number: int
    branch: str
    merged: bool
    body: str
    url: str


class GitHub:
    """One repository (`owner/name`) on GitHub or GitHub Enterprise (`api_url`)."""

    def __init__(self, repository: str, token: str, api_url: str = DEFAULT_API_URL) -> None:
        try:
            import github
        except ImportError:
            raise ForgeError("--pr needs PyGithub: pip install 'harp-refactor[pr]' (or pip install PyGithub)") from None
        self.owner = repository.split("/", 1)[0]
        # Retry only reads: a repeated POST could open a second pull request.
        retry = github.GithubRetry(total=3, allowed_methods=frozenset({"GET"}), status_forcelist=[502, 503, 504])
        self._client = github.Github(
            auth=github.Auth.Token(token), base_url=api_url.rstrip("/"), timeout=TIMEOUT_S, retry=retry, lazy=True
        )
        self._repository: GithubRepository = self._client.get_repo(repository)
        self._raw: dict[int, GithubPullRequest] = {}

    def pulls(self, state: str, branch: str | None = None) -> list[PullRequest]:
        """Pull requests in `state` ("open", "closed", "all"), all of them or those from `branch`."""
        head = f"{self.owner}:{branch}" if branch else None
        with _calling(f"listing {state} pull requests"):
            found = self._repository.get_pulls(state=state, head=head) if head else self._repository.get_pulls(state)
            return [self._value(pull) for pull in found]

    def create(self, branch: str, base: str, title: str, body: str) -> PullRequest:
        with _calling(f"opening a pull request from {branch} into {base}"):
            return self._value(self._repository.create_pull(base=base, head=branch, title=title, body=body))

    def update(self, number: int, title: str, body: str) -> None:
        with _calling(f"updating pull request #{number}"):
            self._pull(number).edit(title=title, body=body)

    def comment(self, number: int, text: str) -> None:
        with _calling(f"commenting on pull request #{number}"):
            self._pull(number).create_issue_comment(text)

    def close(self, number: int) -> None:
        with _calling(f"closing pull request #{number}"):
            self._pull(number).edit(state="closed")

    def _pull(self, number: int) -> GithubPullRequest:
        return self._raw.get(number) or self._repository.get_pull(number)

    def _value(self, pull: GithubPullRequest) -> PullRequest:
        self._raw[pull.number] = pull
        return PullRequest(
            number=pull.number,
            branch=pull.head.ref,
            merged=pull.merged_at is not None,
            body=pull.body or "",
            url=pull.html_url or "",
        )


@contextmanager
def _calling(what: str) -> Iterator[None]:
    """Turn whatever PyGithub or the network raises into one ForgeError line."""
    import github
    import requests

    try:
        yield
    except github.GithubException as error:
        raise ForgeError(redact(f"GitHub API: {what} failed: {_answer(error)}")) from None
    except (requests.RequestException, OSError) as error:
        raise ForgeError(redact(f"GitHub API: {what} failed: {type(error).__name__}: {error}")) from None


def _answer(error: Any) -> str:
    """`422 Validation Failed (A pull request already exists)` from GitHub's error document."""
    data = error.data if isinstance(error.data, dict) else {}
    details = [
        str(item.get("message") or item) if isinstance(item, dict) else str(item) for item in data.get("errors", [])
    ]
    message = str(data.get("message") or error.message or "")
    return f"{error.status} {message}{' (' + '; '.join(details) + ')' if details else ''}".strip()
