"""Find where a called name is defined, across modules, with Jedi."""

from __future__ import annotations

from pathlib import Path


def definition_site(path: str, source: str, line: int, column: int) -> str | None:
    """`file:line` of the definition of the name at (line, column), or None when Jedi cannot tell.

    Jedi follows imports through the file's directory and the installed packages; it is
    asked only about the few calls a speculative finding rests on, since it is slow.
    """
    import jedi

    try:
        directory = Path(path).resolve().parent
        script = jedi.Script(source, path=path, project=jedi.Project(directory))
        names = script.goto(line, column, follow_imports=True)
    except Exception:  # Jedi raises many kinds of internal errors on unusual code
        return None
    for name in names:
        if name.module_path is not None and name.line is not None:
            return f"{name.module_path}:{name.line}"
    return None
