"""``playground presets …``: list, show, import, export and delete presets."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from playground.cli.exit_codes import EXIT_OK
from playground.cli.named import list_items, opened, show_item
from playground.core.interop import Format, export_preset, import_file
from playground.core.presets import Preset, PresetStore
from playground.core.storage import atomic_write_text


def register(subparsers: Any) -> None:
    presets = subparsers.add_parser(
        "presets", help="list, show, import, export and delete presets",
        description="Presets are the request minus the prompt: the set parameters, and "
                    "optionally model, routing and billing mode. Built-ins are read-only.")
    actions = presets.add_subparsers(dest="presets_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list presets (built-ins first)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="show one preset")
    show.add_argument("name", help="the preset's name")
    show.add_argument("--json", action="store_true", help="print the preset file's JSON")
    show.set_defaults(func=run_show)
    imp = actions.add_parser(
        "import", help="import a SillyTavern (JSON), text-generation-webui (YAML) or native "
                       "preset file, with a report of what was mapped and what was kept")
    imp.add_argument("file", type=Path, help="the preset file (.json or .yaml)")
    imp.add_argument("--name", help="name for the preset (default: from the file)")
    imp.add_argument("--replace", action="store_true", help="replace a preset of that name")
    imp.set_defaults(func=run_import)
    exp = actions.add_parser("export", help="export a preset for another program")
    exp.add_argument("name", help="the preset's name")
    exp.add_argument("--format", choices=[f.value for f in Format], default="native",
                     help="native, sillytavern or textgen (default: native)")
    exp.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                     help="where to write it")
    exp.set_defaults(func=run_export)
    delete = actions.add_parser("delete", help="delete a user preset")
    delete.add_argument("name", help="the preset's name (built-ins cannot be deleted)")
    delete.set_defaults(func=run_delete)


def _store() -> PresetStore:
    store = PresetStore()
    opened(store)
    return store


def run_list(args: argparse.Namespace) -> int:
    return list_items(PresetStore(), args.json)


def run_show(args: argparse.Namespace) -> int:
    return show_item(PresetStore(), args.name, args.json, describe)


def describe(preset: Preset) -> str:
    lines = [f"{preset.name}{' (built-in)' if preset.builtin else ''}"]
    if preset.description:
        lines.append(f"  {preset.description}")
    values = preset.param_values()
    lines += [f"  {name} = {json.dumps(value, ensure_ascii=False)}"
              for name, value in values.items()] or ["  (every parameter unset)"]
    if preset.model:
        lines.append(f"  model: {preset.model}")
    routing = preset.routing().body() | preset.routing().headers()
    lines += [f"  {key}: {json.dumps(value)}" for key, value in routing.items()]
    return "\n".join(lines)


def run_import(args: argparse.Namespace) -> int:
    preset, report = import_file(args.file, name=args.name)
    path = _store().save(preset, replace_existing=args.replace)
    print(f"Imported {preset.name!r} into {path}")
    for line in report.lines():
        print(f"  {line}")
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    preset = _store().get(args.name)
    result = export_preset(preset, Format(args.format))
    atomic_write_text(args.output, result.text)
    print(f"Exported {preset.name!r} as {Format(args.format).label} to {args.output}")
    for line in result.lines():
        print(f"  {line}")
    return EXIT_OK


def run_delete(args: argparse.Namespace) -> int:
    _store().delete(args.name)
    print(f"Deleted {args.name!r}")
    return EXIT_OK
