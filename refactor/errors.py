"""Narrow exception classes, each subclassing the nearest built-in."""

from __future__ import annotations


class HarpError(Exception):
    """Base class of every error harp-refactor raises on purpose."""


class ConfigError(HarpError, ValueError):
    """The configuration or the command line asks for something impossible."""


class SourceError(HarpError, ValueError):
    """A file cannot be read, decoded or parsed; the message names the file."""
