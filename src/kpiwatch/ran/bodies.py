"""JSON request bodies read with a size limit, then validated by a pydantic model.

FastAPI reads a body whole before any check; these endpoints read it themselves so a body
over the limit is refused (413) after at most ``limit`` bytes, and report validation
errors as FastAPI does (422, ``{loc: ["body", …], msg, type}`` items).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from kpiwatch.core.errors import InvalidInput, PayloadTooLarge

Model = TypeVar("Model", bound=BaseModel)


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body is over the {limit} byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"body is over the {limit} byte limit")
    return bytes(body)


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


async def read_model(request: Request, model: type[Model], limit: int) -> Model:
    """The body as ``model``; 413 over ``limit`` bytes, 422 with field paths when wrong."""
    body = await read_limited(request, limit)
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc)) from exc


def _inlined(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inlined(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inlined(v, definitions) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    return node


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body these endpoints read themselves (the model's
    JSON schema with its ``$defs`` written in place, as OpenAPI has no ``$defs`` root)."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "content": {"application/json": {"schema": _inlined(schema, schema.get("$defs", {}))}},
            "required": True,
        }
    }
