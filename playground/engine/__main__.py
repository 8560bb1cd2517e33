"""``python -m playground.engine serve ...``: the engine's own entry point (used by
`EngineProcess`); the same subcommands as the app's ``playground`` command."""

from __future__ import annotations

import argparse
import sys

from playground.engine.cli import register


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.engine")
    register(parser.add_subparsers(required=True))
    args = parser.parse_args()
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
