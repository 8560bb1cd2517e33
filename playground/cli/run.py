"""The commands that talk to a server: ``run`` (one completion, streamed to stdout),
``compare`` (2 to 8 variants at once) and ``models``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from playground.cli.arguments import add_connection_args, add_set_json, connection_from_args
from playground.cli.exit_codes import EXIT_API, EXIT_OK
from playground.cli.launch import (
    EngineStopped,
    api_key_for,
    base_url_for,
    insecure_key_allowed,
    server_for,
)
from playground.cli.turns import add_template_args, templated, wants_template
from playground.core.assignments import parse_assignments, parse_json_assignments
from playground.core.client import CompletionClient, StreamEvent
from playground.core.connections import Connection
from playground.core.context_use import ContextUse, context_use
from playground.core.documents import DocumentStore, RequestInputs, document_request_inputs
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.core.history import History
from playground.core.interop import import_file
from playground.core.key_policy import decide
from playground.core.keys import KeyStore
from playground.core.models import listed_models
from playground.core.presets import Preset, PresetStore
from playground.core.pricing import cost_bound
from playground.core.request import (
    CompletionRequest,
    build_request,
    preview_curl,
    preview_json,
    preview_python,
)
from playground.core.routing import Routing, parse_routing_object
from playground.core.runs import RunResult, execute
from playground.core.templates import Template, with_stops
from playground.core.token_estimate import estimate_tokens


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run one completion and stream it to stdout",
                         description="Run one completion and stream its text to stdout.")
    run.add_argument("--prompt", help="the prompt; '-' reads it from stdin (required unless "
                                      "--document gives one)")
    run.add_argument("--document", metavar="NAME|NUMBER",
                     help="start from a saved document: its prompt, model, connection, "
                          "parameters and routing; --prompt, --model, --connection, --preset "
                          "and --set override them")
    run.add_argument("--model", help="model id, suffixes allowed (e.g. zai-org/glm-5:fast); "
                                     "default: the preset's, else the document's, else the "
                                     "connection's")
    add_template_args(run)
    run.add_argument("--preset", metavar="NAME|FILE",
                     help="start from a preset (a saved name or a preset file); --set "
                          "overrides its values")
    run.add_argument("--set", dest="assignments", action="append", default=[],
                     metavar="NAME=VALUE",
                     help="set a sampler parameter by its API name; VALUE is JSON when it "
                          "parses, else a string (repeatable)")
    add_set_json(run)
    add_connection_args(run)
    where = run.add_mutually_exclusive_group()
    where.add_argument("--provider", metavar="ID", help="body provider: one provider id")
    where.add_argument("--provider-json", metavar="JSON",
                       help='body provider routing object, e.g. \'{"order":["a","b"]}\'')
    run.add_argument("--x-provider", metavar="ID", help="send the provider as X-Provider")
    run.add_argument("--billing-mode", metavar="MODE",
                     help="billing override: paygo (or pay-as-you-go, payg, paid)")
    run.add_argument("--billing-header", action="store_true",
                     help="send the billing mode as X-Billing-Mode instead of in the body")
    run.add_argument("--no-stream", action="store_true", help="ask for one non-streamed reply")
    run.add_argument("--json", action="store_true",
                     help="print one JSON result object at the end instead of streaming text")
    run.add_argument("--dry-run", nargs="?", const="json", choices=("json", "curl", "python"),
                     help="print the exact request (body as JSON, or a curl or Python "
                          "snippet with the key redacted) and send nothing")
    _add_quiet_arg(run)
    run.set_defaults(func=_cmd_run)

    compare = sub.add_parser(
        "compare", help="run one prompt under several settings at once and compare",
        description="Run one prompt under 2 to 8 variants concurrently and print a "
                    "comparison table (or JSON). Variants override the base settings given "
                    "with --set.")
    compare.add_argument("--prompt", required=True, help="the prompt; '-' reads stdin")
    compare.add_argument("--model", help="model id for every variant (a variant may set "
                                          "model=ID)")
    compare.add_argument("--set", dest="assignments", action="append", default=[],
                         metavar="NAME=VALUE", help="a base parameter every variant shares")
    add_set_json(compare)
    compare.add_argument("--variant", action="append", default=[], metavar="SPEC",
                         help="one column: 'temperature=0.2,top_k=40', 'preset=Creative', "
                              "'model=ID' (repeatable)")
    compare.add_argument("--sweep", metavar="NAME=V1,V2,...",
                         help="one variant per value of one parameter, e.g. "
                              "temperature=0.2,0.7")
    compare.add_argument("--seeds", type=int, metavar="N",
                         help="N variants that differ only in their seed (1..N); with --sweep, "
                              "each value over N seeds (larger grids: playground sweep)")
    add_connection_args(compare)
    compare.add_argument("--json", action="store_true",
                         help="print a JSON list: each variant's settings, text, "
                              "finish_reason, usage and timings")
    _add_quiet_arg(compare)
    compare.set_defaults(func=_cmd_compare)

    models = sub.add_parser("models", help="list a connection's models",
                            description="List the models a connection offers.")
    add_connection_args(models)
    models.add_argument("--json", action="store_true", help="print JSON")
    models.set_defaults(func=_cmd_models)


def _add_quiet_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print no notes on stderr: what the connection's dialect "
                             "changed (--json output still lists it), where the local "
                             "engine listens")


def _print_notes(notes: dict[str, list[str]], quiet: bool) -> None:
    """One stderr line per note on what the server will not receive as written; a note some
    variants share but not all names them (`notes` maps a variant's label to its notes)."""
    if quiet:
        return
    by_note: dict[str, list[str]] = {}
    for label, variant_notes in notes.items():
        for note in variant_notes:
            by_note.setdefault(note, []).append(label)
    for note, labels in by_note.items():
        which = "" if len(labels) == len(notes) else f" ({', '.join(labels)})"
        print(f"playground: note{which}: {note}", file=sys.stderr)


def _preset_from_args(args: argparse.Namespace) -> Preset | None:
    if not args.preset:
        return None
    path = Path(args.preset)
    if path.suffix.lower() in (".json", ".yaml", ".yml") and path.is_file():
        return import_file(path)[0]
    return PresetStore().get(args.preset)


def _document_from_args(args: argparse.Namespace) -> RequestInputs | None:
    """The inputs of the document named by ``--document``, if any (its last use is noted)."""
    if not getattr(args, "document", None):
        if args.prompt is None and not wants_template(args):
            raise InvalidParameter("prompt", "prompt: give --prompt (or --document NAME, or "
                                   "--template NAME --user TEXT)")
        return None
    store = DocumentStore()
    try:
        document = store.resolve(args.document)
        store.touch(document.id)
        return document_request_inputs(document)
    finally:
        for problem in store.problems:
            print(f"playground: {problem}", file=sys.stderr)
        store.close()


def _request_from_args(args: argparse.Namespace, connection: Connection,
                       preset: Preset | None,
                       document: RequestInputs | None = None) -> CompletionRequest:
    """The request: the document's inputs, then the preset's, then the command line's."""
    model = (args.model or (preset.model if preset else None) or
             (document.model if document else None) or connection.model)
    if not model:
        raise InvalidParameter("model", "model: this connection has no default model; "
                                        "pass --model")
    template: Template | None = None
    if wants_template(args):
        prompt, template = templated(args, connection, model)
    elif args.prompt is None:
        assert document is not None
        prompt = document.prompt
    else:
        prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    params = {**(document.params if document else {}),
              **(preset.param_values() if preset else {}), **parse_assignments(args.assignments)}
    if template is not None and template.stop:
        params["stop"] = with_stops(params.get("stop"), template)
    base = document.routing if document else Routing()
    if preset and (preset.provider or preset.header_provider or preset.billing_mode):
        base = preset.routing()
    provider: Any = args.provider or base.provider
    if args.provider_json is not None:
        provider = parse_routing_object(args.provider_json)
    routing = Routing(provider=provider, header_provider=args.x_provider or base.header_provider,
                      billing_mode=args.billing_mode or base.billing_mode,
                      billing_as_header=args.billing_header or base.billing_as_header)
    extra = {**(document.extra if document else {}), **(preset.extra if preset else {}),
             **parse_json_assignments(args.extra)}
    return build_request(prompt, model, params, routing, stream=not args.no_stream,
                         dialect=connection.speaks, extra=extra)


def _cmd_run(args: argparse.Namespace) -> int:
    document = _document_from_args(args)
    connection = connection_from_args(args, document.connection if document else "local")
    preset = _preset_from_args(args)
    request = _request_from_args(args, connection, preset, document)
    _print_notes({"run": request.translation().notes}, args.quiet)
    use, bound = _budget(request, connection)
    if args.dry_run and not args.quiet and use.context:
        print(f"playground: context: {use.describe()}", file=sys.stderr)
        if bound:
            print(f"playground: cost: at most ${bound:.4f} for this run", file=sys.stderr)
    if not args.dry_run and (too_long := use.refusal()):
        raise InvalidParameter("context", too_long)
    if args.dry_run:
        shown_url = connection.base_url or _served_engine_url(args.dry_run, args.quiet)
        decision = decide(connection, KeyStore())
        key_env = decision.env_var if decision.sends else None
        print({"json": lambda: preview_json(request),
               "curl": lambda: preview_curl(request, shown_url, key_env=key_env),
               "python": lambda: preview_python(request, shown_url, key_env=key_env),
               }[args.dry_run]())
        return EXIT_OK
    api_key = api_key_for(connection, args.allow_insecure_key)
    insecure_ok = insecure_key_allowed(connection, args.allow_insecure_key)
    with server_for(connection) as server:
        result = asyncio.run(_run(server.base_url, api_key, request, echo=not args.json,
                                  allow_insecure_key=insecure_ok))
        server.check([result])
    _record([(request, result)], connection, preset.name if preset else None)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif result.text and not result.text.endswith("\n"):
        print()
    if result.error:
        print(f"playground: {result.error}", file=sys.stderr)
        if result.error.hint:
            print(f"playground: hint: {result.error.hint}", file=sys.stderr)
        if result.request_id:
            print(f"playground: request id: {result.request_id}", file=sys.stderr)
        return EXIT_API
    return EXIT_OK


def _budget(request: CompletionRequest, connection: Connection
            ) -> tuple[ContextUse, float | None]:
    """The run's context use and cost bound, from the cached model list (the prompt's tokens
    estimated: a dry run starts no engine to count them)."""
    model = request.model.compose()
    info = listed_models(connection.name)(model)
    use = context_use(estimate_tokens(request.prompt), False, request.params.max_tokens,
                      connection, info.context_length if info else None)
    bound = cost_bound(1, use.prompt_tokens, use.max_tokens, info.prompt_price,
                       info.completion_price) if info else None
    return use, bound


def _served_engine_url(shown_as: str, quiet: bool) -> str:
    """Where a snippet for the local engine sends: a run starts the engine on a free port for
    its own duration only, so the snippet targets the port ``playground serve`` listens on."""
    from playground.engine.cli import DEFAULT_PORT
    url = f"http://127.0.0.1:{DEFAULT_PORT}/v1"
    if shown_as != "json" and not quiet:
        print(f"playground: note: the local engine has no fixed port; start it with "
              f"`playground serve` (port {DEFAULT_PORT}, the {shown_as} below assumes it) or "
              f"`playground serve --port N` and pass --base-url http://127.0.0.1:N/v1",
              file=sys.stderr)
    return url


async def _run(base_url: str, api_key: str | None, request: CompletionRequest, *,
               echo: bool, allow_insecure_key: bool = False) -> RunResult:
    def write(event: StreamEvent) -> None:
        if event.text:
            sys.stdout.write(event.text)
            sys.stdout.flush()

    async with CompletionClient(base_url, api_key,
                                allow_insecure_key=allow_insecure_key) as client:
        return await execute(client, request, write if echo else None)


def _record(runs: list[tuple[CompletionRequest, RunResult]], connection: Connection,
            preset: str | None, group: str | None = None) -> None:
    """Keep every run in history; a history problem is reported, never fatal to the run."""
    try:
        with History() as history:
            if history.problem:
                print(f"playground: {history.problem}", file=sys.stderr)
            for request, result in runs:
                history.record(request, result, connection=connection.name, preset=preset,
                               group=group)
    except PlaygroundError as exc:
        print(f"playground: the run was not recorded in history: {exc}", file=sys.stderr)


def _cmd_models(args: argparse.Namespace) -> int:
    connection = connection_from_args(args)
    api_key = api_key_for(connection, args.allow_insecure_key)
    insecure_ok = insecure_key_allowed(connection, args.allow_insecure_key)

    async def fetch() -> Any:
        async with CompletionClient(base_url, api_key,
                                    allow_insecure_key=insecure_ok) as client:
            return await client.models()

    with base_url_for(connection) as base_url:
        try:
            models = asyncio.run(fetch())
        except PlaygroundError as exc:
            print(f"playground: {exc}", file=sys.stderr)
            return EXIT_API
    if args.json:
        print(json.dumps([m.to_json() for m in models], indent=2))
        return EXIT_OK
    for m in models:
        context = f"{m.context_length:>9,}" if m.context_length else " " * 9
        price = (f"  ${m.prompt_price:g}/${m.completion_price:g} per 1M"
                 if m.prompt_price is not None and m.completion_price is not None else "")
        print(f"{m.id:<48} {context}{price}")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from playground.core.compare import (
        SummaryRow,
        Variant,
        check_count,
        new_group_id,
        parse_variant,
        run_all,
        seeds,
        sweep,
    )

    connection = connection_from_args(args)
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    base_params = parse_assignments(args.assignments)
    presets = PresetStore()
    variants = [parse_variant(spec, lambda name: presets.get(name).param_values())
                for spec in args.variant]
    base = Variant("base", base_params)
    if args.sweep:
        name, _, values = args.sweep.partition("=")
        swept = sweep(base, name.strip(), values)
        variants += swept if args.seeds is None else [
            replace(seeded, label=f"{value.label},{seeded.label}")
            for value in swept for seeded in seeds(value, args.seeds)]
    elif args.seeds is not None:
        variants += seeds(base, args.seeds)
    check_count(variants)
    extra = parse_json_assignments(args.extra)
    requests = [build_request(prompt, variant.model or args.model or connection.model,
                              variant.merged(base_params), dialect=connection.speaks,
                              extra=extra)
                for variant in variants]
    _print_notes({variant.label: request.translation().notes
                  for variant, request in zip(variants, requests, strict=True)}, args.quiet)
    api_key = api_key_for(connection, args.allow_insecure_key)
    insecure_ok = insecure_key_allowed(connection, args.allow_insecure_key)

    async def run(base_url: str, which: list[int]) -> list[RunResult]:
        async with CompletionClient(base_url, api_key,
                                    allow_insecure_key=insecure_ok) as client:
            return await run_all([(client, requests[i]) for i in which])

    with server_for(connection) as server:
        results = asyncio.run(run(server.base_url, list(range(len(requests)))))
        lost = server.check(results)
        again = [i for i, result in enumerate(results)
                 if lost and isinstance(result.error, EngineStopped) and not result.text]
        if again:  # nothing was lost with them: they go to a new engine
            print(f"playground: {lost}; starting it again for "
                  f"{', '.join(variants[i].label for i in again)}", file=sys.stderr)
            server.restart()
            for i, result in zip(again, asyncio.run(run(server.base_url, again)), strict=True):
                results[i] = result
            server.check([results[i] for i in again])
    _record(list(zip(requests, results, strict=True)), connection, None, new_group_id())
    if args.json:
        print(json.dumps([{"variant": v.label, "model": r.model.compose(),
                           "settings": v.merged(base_params), **result.to_dict()}
                          for v, r, result in zip(variants, requests, results, strict=True)],
                         ensure_ascii=False, indent=2))
    else:
        _print_comparison([SummaryRow.of(v.label, r) for v, r in
                           zip(variants, results, strict=True)],
                          [r.text for r in results])
    return EXIT_API if any(r.error for r in results) else EXIT_OK


def _print_comparison(rows: list[Any], texts: list[str]) -> None:
    width = max(len(row.label) for row in rows)
    print(f"{'variant':<{width}}  {'tokens':>6}  {'ms':>7}  {'tok/s':>6}  {'finish':<8}  "
          "distinct-2")
    for row in rows:
        speed = f"{row.tokens_per_s:.0f}" if row.tokens_per_s else "-"
        distinct = f"{row.distinct_2:.2f}" if row.distinct_2 is not None else "-"
        finish = row.error or row.finish_reason or "-"
        print(f"{row.label:<{width}}  {row.tokens:>6}  {row.total_ms:>7.0f}  {speed:>6}  "
              f"{finish:<8}  {distinct}")
    for row, text in zip(rows, texts, strict=True):
        print(f"\n--- {row.label} ---\n{text}")
