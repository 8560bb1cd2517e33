"""The newer spec seed's OpenAPI text, loaded once: the oracle for field lists and ranges."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).parent / "spec" / "nanogpt_completions_openapi.yaml"


@functools.cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def request_schema() -> dict[str, Any]:
    """CompletionRequest as a standalone JSON schema (its $refs resolved in place)."""
    schemas = spec()["components"]["schemas"]
    schema = dict(schemas["CompletionRequest"])
    schema["additionalProperties"] = False  # the body must hold only fields the spec knows
    schema["$defs"] = {"ProviderRoutingObject": schemas["ProviderRoutingObject"]}
    text = yaml.safe_dump(schema).replace("#/components/schemas/", "#/$defs/")
    return yaml.safe_load(text)


def request_properties() -> dict[str, Any]:
    return spec()["components"]["schemas"]["CompletionRequest"]["properties"]
