"""``run --template NAME --system TEXT --user TEXT``: a prompt built in a model's turn format,
from a saved instruct template, or with ``--template model`` from the model's own chat template
(rendered as its server renders it: the local engine's GGUF models and llama.cpp servers give
theirs)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from playground.cli.launch import api_key_for, base_url_for, insecure_key_allowed
from playground.core.chat_template import as_template, render
from playground.core.client import CompletionClient
from playground.core.connections import Connection
from playground.core.errors import InvalidParameter
from playground.core.models import listed_models
from playground.core.templates import Template, TemplateStore

#: ``--template model``: the model's own chat template.
OWN = "model"


def add_template_args(parser: argparse.ArgumentParser) -> None:
    turns = parser.add_argument_group(
        "a prompt from an instruct template",
        "--template builds the prompt in the model's turn format (playground templates list; "
        f"'{OWN}' for the model's own chat template) from --system and --user, ending where "
        "the assistant's turn starts, and adds the template's stop strings to the request")
    turns.add_argument("--template", metavar="NAME", help="the instruct template")
    turns.add_argument("--system", metavar="TEXT",
                       help="the system turn's text (default: the template's own; '' for none)")
    turns.add_argument("--user", metavar="TEXT", help="the user's turn; '-' reads stdin")


def wants_template(args: argparse.Namespace) -> bool:
    """Whether the prompt comes from a template; refuses arguments that do not go together."""
    if not args.template:
        if args.system is not None or args.user is not None:
            raise InvalidParameter("template", "template: --system and --user build a prompt "
                                   "with an instruct template; add --template NAME")
        return False
    if args.prompt is not None:
        raise InvalidParameter("template", "template: --template builds the prompt from "
                               "--system and --user; leave out --prompt")
    if args.user is None:
        raise InvalidParameter("user", "user: --template needs the user's turn: --user TEXT")
    return True


def templated(args: argparse.Namespace, connection: Connection, model: str
              ) -> tuple[str, Template]:
    """The prompt the template builds, and the template (its stop strings go with it)."""
    user = sys.stdin.read() if args.user == "-" else args.user
    if args.template.strip().casefold() != OWN:
        template = TemplateStore().get(args.template)
        system = template.default_system if args.system is None else args.system
        return template.build(user, system=system or None), template
    source, bos, eos = own_chat_template(connection, model)
    messages = ([{"role": "system", "content": args.system}] if args.system else []) + [
        {"role": "user", "content": user}]
    prompt = render(source, messages, add_generation_prompt=True, bos_token=bos,
                    eos_token=eos)
    return prompt.removeprefix(bos) if bos else prompt, as_template(
        source, bos_token=bos, eos_token=eos).template


def own_chat_template(connection: Connection, model: str) -> tuple[str, str, str]:
    """`model`'s chat template with its start- and end-of-text tokens."""
    if connection.kind == "local":
        from playground.engine.store import listings

        found = next((item for item in listings() if item.model_id == model), None)
        if found is not None and found.chat_template:
            return found.chat_template, "", ""
    info = listed_models(connection.name)(model)
    if info is not None and info.chat_template:
        return info.chat_template, "", ""
    if connection.dialect == "llama.cpp":
        key = api_key_for(connection, False)
        insecure_ok = insecure_key_allowed(connection, False)

        async def fetch(base_url: str) -> tuple[str, str, str] | None:
            async with CompletionClient(base_url, key,
                                        allow_insecure_key=insecure_ok) as client:
                return await client.chat_template()

        with base_url_for(connection) as base_url:
            served = asyncio.run(fetch(base_url))
        if served is not None:
            return served
    raise InvalidParameter("template", f"template: {model} has no chat template this app can "
                           "read (the local engine's GGUF models, a model list that carries "
                           "one, and llama.cpp servers give theirs)")
