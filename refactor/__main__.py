"""Run the command line as `python -m harp_refactor`."""

from .cli import main

raise SystemExit(main())
