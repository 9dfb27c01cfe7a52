"""The forge token, read from the environment only, and kept out of everything printed."""

from __future__ import annotations

import os
import re

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
# https://user:secret@host/... in a remote URL that git or a library echoes back
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def github_token() -> str | None:
    """The token of the first of GITHUB_TOKEN, GH_TOKEN that is set (Actions sets the first)."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def redact(text: str) -> str:
    """`text` with the token and any credentials in URLs replaced by `***`."""
    token = github_token()
    if token:
        text = text.replace(token, "***")
    return _URL_USERINFO.sub(r"\g<scheme>***@", text)
