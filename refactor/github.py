"""Render findings as GitHub Actions workflow commands (`::warning file=...::message`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .finding import Finding
from .sarif import VerdictOf, relative_path, repository_root, split_error


def escape_data(text: str) -> str:
    """A command's message, escaped as the Actions runner expects (`%`, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: the message escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int) -> str:
    """`::name key=value,...::message`, every part escaped."""
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + fields if fields else ''}::{escape_data(message)}"


def github_annotations(
    findings: Sequence[Finding],
    verdict_of: VerdictOf,
    errors: Sequence[str],
    texts: Mapping[str, str],
    root: Path | None = None,
) -> list[str]:
    """One workflow command per file error (`::error`) and per finding: `::warning` when it has a
    fix, `::notice` for a suggestion only; paths relative to the repository root."""
    if root is None:
        root = repository_root(next(iter(texts), "."))

    def where(path: str) -> str:
        return relative_path(path, root) or str(Path(path).absolute())

    lines = []
    for error in errors:
        path, line, message = split_error(error, list(texts))
        if not path:
            lines.append(command("error", error))
        elif line:
            lines.append(command("error", message, file=where(path), line=line))
        else:
            lines.append(command("error", message, file=where(path)))
    for finding in findings:
        span = finding.span
        message = finding.message
        verdict = verdict_of(finding)
        if verdict is not None:
            message += f"\nverdict: {verdict.line()}"
        if finding.assumptions:
            first = finding.assumptions[0]
            message += f"\nassumes: {first.what} ({first.why}"
            message += f"; to check: {first.check})" if first.check else ")"
        lines.append(
            command(
                "warning" if finding.fixable else "notice",
                message,
                file=where(finding.path),
                line=span.line,
                col=span.col + 1,
                endLine=span.end_line,
                endColumn=span.end_col + 1,
                title=f"{finding.code} {finding.title}",
            )
        )
    return lines
