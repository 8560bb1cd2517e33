"""The one entry point: ``playground`` opens the window; subcommands work headless.

Exit codes: 0 success, 1 an API or network error, 2 invalid input (the message names the field
and what is allowed), 130 interrupted, 141 the reader of stdout went away (as after SIGPIPE).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from playground import __version__
from playground.cli.exit_codes import (
    EXIT_API,
    EXIT_BROKEN_PIPE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playground",
        description="NanoGPT Prompt Playground: a desktop playground for text-completion "
                    "prompts. Without a subcommand it opens the window.",
        epilog="Exit codes: 0 ok, 1 API or network error, 2 invalid input.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="open the window (offscreen if there is no display), save a PNG "
                             "of it to PATH and exit")
    parser.add_argument("--prompt", help="with --screenshot: the prompt to show")
    parser.add_argument("--run", action="store_true",
                        help="with --screenshot: run the prompt to its end before the shot")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from playground.cli import (
        connections,
        documents,
        history,
        presets,
        run,
        sweep,
        templates,
        tokenize,
    )
    from playground.engine import cli as engine_cli
    for module in (run, sweep, tokenize, presets, templates, history, documents, connections,
                   engine_cli):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; a reader that closed stdout early (``playground … | head``) ends it
    quietly, as it ends any Unix tool, whichever command was writing."""
    try:
        try:
            return _main(argv)
        finally:  # what is still buffered must fail here, not in the interpreter's shutdown
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        # Nothing more can reach the reader; point stdout at devnull so the interpreter's own
        # final flush does not report the same broken pipe again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _main(argv: Sequence[str] | None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    # Without arguments, straight to the window, parser unbuilt: its subcommand modules import
    # most of the app, which the window loads only after its first frame is on screen.
    args = (build_parser().parse_args(arguments) if arguments else
            argparse.Namespace(command=None, screenshot=None, prompt=None, run=False))
    if args.command is None:
        from playground.ui.app import run_gui
        return run_gui(screenshot=args.screenshot, prompt=args.prompt, run=args.run)
    from playground.core.errors import InvalidParameter, PlaygroundError
    try:
        return int(args.func(args))
    except InvalidParameter as exc:
        print(f"playground: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    except PlaygroundError as exc:
        print(f"playground: {exc}", file=sys.stderr)
        return EXIT_API
    except KeyboardInterrupt:
        print("\nplayground: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
