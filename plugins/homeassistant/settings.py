"""``[homeassistant]`` in models.toml, validated here (unknown keys are errors naming file, table and key).

```toml
[homeassistant]
url = "http://homeassistant.local:8123"
token_env = "HASS_TOKEN"      # the name of the environment variable holding the long-lived token
todo = false                  # true: the shopping list is Home Assistant's todo.shopping_list
todo_entity = "todo.shopping_list"
```

``HASS_URL`` and ``HASS_TOKEN`` in the environment work too (without the table, or for a missing key).
The plugin declares the table (``register_settings``): the core validates it at start and the plugin
reads it with ``agent.settings("homeassistant")`` (:func:`for_agent`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from hearth.kit import validation_error


class HomeAssistantTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str | None = None
    token_env: str = "HASS_TOKEN"
    todo: bool = False
    todo_entity: str = "todo.shopping_list"


class Settings(BaseModel):
    """The resolved settings: where Home Assistant is and the token (from the environment)."""

    model_config = ConfigDict(frozen=True)
    url: str
    token: str
    token_source: str  # where the token came from, for error messages (never the token itself)
    todo: bool = False
    todo_entity: str = "todo.shopping_list"


def parse_table(data: dict[str, Any] | None, source: str | Path = "models.toml") -> HomeAssistantTable:
    try:
        return HomeAssistantTable.model_validate(data or {})
    except ValidationError as err:
        raise validation_error(err, source, lambda loc: "[homeassistant] key " + ".".join(map(str, loc))) from err


def resolve(data: dict[str, Any] | HomeAssistantTable | None, source: str | Path = "models.toml",
            environ: dict[str, str] | None = None) -> Settings | None:
    """The settings from the ``[homeassistant]`` table and the environment; None when no URL is set."""
    env = os.environ if environ is None else environ
    table = data if isinstance(data, HomeAssistantTable) else parse_table(data, source)
    url = table.url or env.get("HASS_URL")
    if not url:
        return None
    token = env.get(table.token_env) or ""
    source_name = f"${table.token_env}"
    if not token and table.token_env != "HASS_TOKEN" and env.get("HASS_TOKEN"):
        token, source_name = env["HASS_TOKEN"], "$HASS_TOKEN"
    return Settings(url=url, token=token, token_source=source_name, todo=table.todo, todo_entity=table.todo_entity)


def from_models(models: Any, source: str | Path = "models.toml") -> Settings | None:
    """Settings from a parsed ``hearth.config.ModelsFile`` (its ``homeassistant`` table) and the environment."""
    return resolve(_table_of(models), source)


def for_agent(agent: Any) -> Settings | None:
    """The agent's settings: its ``[homeassistant]`` table as the core validated it (``agent.settings``,
    declared with ``register_settings``) and the environment; None when Home Assistant is not configured."""
    return resolve(agent.settings("homeassistant"), agent.models_path)


def _table_of(models: Any) -> dict[str, Any] | None:
    tables = models.plugin_tables() if hasattr(models, "plugin_tables") else {}
    return tables.get("homeassistant")
