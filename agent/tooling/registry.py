"""The tools of every plugin, by name.

Plugins register their tools at load time (``register_tools``); a plugin whose tools arrive at run
time (an MCP server's) adds and removes them through ``agent.tools.add(tool)`` / ``remove(name)``,
choosing a name with ``free_name`` so a clash gets the tool's server name as a prefix.
"""

from __future__ import annotations

from collections.abc import Iterator

from hearth.tooling.tool import Tool, ToolDefinitionError


class ToolRegistry:
    """Tools by name; a duplicate name is refused with both plugins named."""

    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}
        # bumped by every add and remove: what was built from the tools (tier-1 templates) is stale
        self.version = 0

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            other = self._tools[tool.name]
            raise ToolDefinitionError(
                f"tool {tool.name!r} from plugin {tool.plugin!r} duplicates the one from plugin "
                f"{other.plugin!r}; rename one of them or disable a plugin with HEARTH_LOAD_PLUGINS",
                "duplicate_tool",
            )
        self._tools[tool.name] = tool
        self.version += 1

    def remove(self, name: str) -> Tool | None:
        """Take one tool away (a tool its server no longer lists); the removed tool, or None."""
        tool = self._tools.pop(name, None)
        if tool is not None:
            self.version += 1
        return tool

    def free_name(self, name: str, prefix: str) -> str:
        """``name`` when no tool has it, else ``PREFIX_name`` (a clash gets its source's name as a
        prefix, e.g. the MCP server's), cut to the 64 characters a tool name may have."""
        if name not in self._tools:
            return name
        return f"{prefix}_{name}"[:64]

    def remove_plugin(self, plugin: str) -> None:
        for name in [n for n, t in self._tools.items() if t.plugin == plugin]:
            del self._tools[name]
            self.version += 1

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __iter__(self) -> Iterator[Tool]:
        return iter(sorted(self._tools.values(), key=lambda t: t.name))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        return sorted(self._tools)
