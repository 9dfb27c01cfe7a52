"""harp-refactor: find, rewrite and verify slow host-code patterns around tensor libraries."""

__version__ = "0.1.0"
