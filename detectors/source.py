"""Read, decode and parse one source file; skip files that use no numeric framework."""

from __future__ import annotations

import ast
import re
import tokenize
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import libcst as cst

from harp_refactor.errors import SourceError

# A file that imports none of these cannot hold a finding: skip it before parsing.  An
# import statement starts a line (after a BOM, indentation or `...;`) and may list several
# modules (`import os, numpy as np`); a mention in a comment or a string is not one.
_FRAMEWORKS = rb"(?:torch|tensorflow|numpy|keras)\b"
_FRAMEWORK_IMPORT = re.compile(
    rb"^(?:\xef\xbb\xbf)?[ \t]*(?:[^#\n'\"]*;[ \t]*)?(?:import[ \t][^#\n]*\b"
    + _FRAMEWORKS
    + rb"|from[ \t]+"
    + _FRAMEWORKS
    + rb")",
    re.MULTILINE,
)


@dataclass(frozen=True)
class SourceFile:
    """The decoded text of a file, its encoding and its parsed module."""

    path: str
    text: str
    encoding: str
    module: cst.Module
    tree: ast.Module


def mentions_framework(data: bytes) -> bool:
    """Cheap pre-filter: does the file import torch, tensorflow, numpy or keras?"""
    return _FRAMEWORK_IMPORT.search(data) is not None


def decode(path: str, data: bytes) -> tuple[str, str]:
    """Decode bytes with the encoding the file declares (PEP 263), UTF-8 by default."""
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
        return data.decode(encoding), encoding
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot decode: {error}") from None


def parse(path: str, text: str, encoding: str = "utf-8") -> SourceFile:
    """Parse decoded text; a syntax error becomes one line naming the file and position.

    CPython's own parser checks the text first: its positions are exact, and it refuses
    input (thousands of nested brackets) on which libCST's native parser would crash.
    """
    try:
        tree = compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        assert isinstance(tree, ast.Module)
    except SyntaxError as error:
        raise SourceError(f"{path}:{error.lineno or 0}:{error.offset or 0}: syntax error: {error.msg}") from None
    except (ValueError, MemoryError, RecursionError) as error:
        raise SourceError(f"{path}: cannot parse: {error}") from None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        raise SourceError(f"{path}:{error.raw_line}:{error.raw_column}: syntax error: {error.message}") from None
    except RecursionError:
        raise SourceError(f"{path}: too deeply nested to parse") from None
    return SourceFile(path=path, text=text, encoding=encoding, module=module, tree=tree)


def read_bytes(path: str) -> bytes:
    """The raw bytes of a file, or a one-line error naming it."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read: {error.strerror or error}") from None


def load(path: str, *, prefilter: bool = True) -> SourceFile | None:
    """Read and parse `path`; None when the pre-filter says it uses no framework."""
    data = read_bytes(path)
    if prefilter and not mentions_framework(data):
        return None
    text, encoding = decode(path, data)
    return parse(path, text, encoding)
