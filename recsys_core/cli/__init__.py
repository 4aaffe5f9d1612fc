"""The RecScope command line: datasets, training, evaluation, recommendations and saved runs.

Every command accepts ``--json`` where it prints results, then prints exactly one JSON object on
stdout. Progress goes to stderr. Any error exits non-zero with one line on stderr, no traceback.
``parser`` builds the command tree; ``datasets``, ``training``, ``runs``, ``project``,
``models``, ``calibrate``, ``rerank`` and ``bandit`` hold the handlers; ``output`` prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from recsys_core.cli import bandit, calibrate, datasets, models, project, rerank, runs, training
from recsys_core.cli.parser import EXIT_USAGE, Handlers, build_parser
from recsys_core.errors import RecScopeError

__all__ = ["EXIT_ERROR", "EXIT_USAGE", "build_parser", "main"]

#: Exit status of a command that failed.
EXIT_ERROR = 1

_HANDLERS: Handlers = {
    **datasets.HANDLERS,
    **training.HANDLERS,
    **runs.HANDLERS,
    **project.HANDLERS,
    **models.HANDLERS,
    **calibrate.HANDLERS,
    **rerank.HANDLERS,
    **bandit.HANDLERS,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = build_parser().parse_args(argv)
    handler = _HANDLERS[(args.command, getattr(args, "action", None))]
    try:
        handler(args)
    except RecScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved for an unfinished run", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0
