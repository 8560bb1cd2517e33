"""``playground templates …``: list, show and import instruct templates."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from playground.cli.exit_codes import EXIT_OK
from playground.cli.named import list_items, opened, show_item
from playground.core.template_import import import_template_file
from playground.core.templates import ROLES, Template, TemplateStore, check_name


def register(subparsers: Any) -> None:
    templates = subparsers.add_parser(
        "templates", help="list, show and import instruct templates",
        description="An instruct template is a model's turn format (what opens and closes a "
                    "system, user and assistant turn, and the stop strings that end one), for "
                    "writing a chat in a raw prompt: see run --template. Built-ins are "
                    "read-only; yours live beside your presets.")
    actions = templates.add_subparsers(dest="templates_command", required=True,
                                       metavar="ACTION")
    listing = actions.add_parser("list", help="list templates (built-ins first)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="show one template, its turns written out")
    show.add_argument("name", help="the template's name")
    show.add_argument("--json", action="store_true", help="print the template file's JSON")
    show.set_defaults(func=run_show)
    imp = actions.add_parser(
        "import", help="import a SillyTavern instruct template (JSON), or a template file of "
                       "this app, with a report of what mapped")
    imp.add_argument("file", type=Path, help="the template file (.json)")
    imp.add_argument("--name", help="name for the template (default: from the file)")
    imp.add_argument("--replace", action="store_true", help="replace a template of that name")
    imp.set_defaults(func=run_import)


def _store() -> TemplateStore:
    store = TemplateStore()
    opened(store)
    return store


def run_list(args: argparse.Namespace) -> int:
    return list_items(TemplateStore(), args.json)


def run_show(args: argparse.Namespace) -> int:
    return show_item(TemplateStore(), args.name, args.json, describe)


def describe(template: Template) -> str:
    """A template for people: each affix as a JSON string (whitespace shows), then a prompt it
    builds."""
    lines = [f"{template.name}{' (built-in)' if template.builtin else ''}"]
    if template.description:
        lines.append(f"  {template.description}")
    for role in ROLES:
        prefix, suffix = template.affixes(role)
        lines.append(f"  {role + ':':<11} {json.dumps(prefix, ensure_ascii=False)} … "
                     f"{json.dumps(suffix, ensure_ascii=False)}")
    if template.system_same_as_user:
        lines.append("  (no system role: a system turn is written as a user turn)")
    lines.append(f"  stop:       {json.dumps(list(template.stop), ensure_ascii=False)}")
    if template.default_system:
        lines.append(f"  system text: {json.dumps(template.default_system, ensure_ascii=False)}")
    if template.models:
        lines.append(f"  suggested for model ids matching: {', '.join(template.models)}")
    example = template.build("Hello!", system=template.default_system or None)
    lines += ["", "A prompt it builds (run --template NAME --user 'Hello!'):", example]
    return "\n".join(lines)


def run_import(args: argparse.Namespace) -> int:
    done = import_template_file(args.file)
    template = done.template
    if args.name:
        template = dataclasses.replace(template, name=check_name(args.name))
    path = _store().save(template, replace_existing=args.replace)
    for line in done.lines():
        print(line)
    print(f"Saved as {template.name!r} ({path})")
    return EXIT_OK
