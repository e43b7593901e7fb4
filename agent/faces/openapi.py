"""The app's OpenAPI description: FastAPI's, without the 422 it lists by default (a request the
server cannot read is answered 400 ``bad_request``, listed on every route), with the tools there are
at start as examples of ``/api/tools/{name}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from hearth.faces.hub import Hub


def hearth_openapi(app: FastAPI, hub: Hub) -> Callable[[], dict[str, Any]]:
    """The ``app.openapi`` function: the description, made once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            tool = schema.get("paths", {}).get("/api/tools/{name}", {}).get("post", {})
            for param in tool.get("parameters", []):  # the tools there are at start, as examples
                if param.get("name") == "name":
                    param["examples"] = {t.name: {"value": t.name} for t in hub.agent.tools}
            for name in ("HTTPValidationError", "ValidationError"):
                schema.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
