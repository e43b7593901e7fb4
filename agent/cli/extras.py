"""Optional plugins: which extra installs what a plugin could not import, and what in models.toml needs it.

A plugin shipped in a distribution with extras (``pip install 'hearth[ollama]'``) does not load when
its extra is left out. That is no problem until ``models.toml`` needs it, through a backend no loaded
plugin provides or a table no loaded plugin declares; then the faces name the command that installs
it. The extra is read from the distribution's own metadata (its ``Requires-Dist ... extra == "x"``
lines), so the core names no plugin: the extra whose requirements include the missing module, else
the one named like the plugin.
"""

from __future__ import annotations

import importlib.metadata
import re

from hearth.config import ModelsFile, model_table
from hearth.pluginmanager import PluginInfo, PluginManager

_REQUIREMENT = re.compile(r'^\s*([A-Za-z0-9._-]+).*?extra\s*==\s*["\']([^"\']+)["\']')


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _extras(dist: str) -> dict[str, list[str]]:
    """The distribution's extras and the requirements each adds (normalised names)."""
    try:
        requires = importlib.metadata.metadata(dist).get_all("Requires-Dist") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    extras: dict[str, list[str]] = {}
    bundles = set()  # extras that bring other extras ("test" = "hearth[qwen,voice,...]" and tools): no plugin's
    for line in requires:
        m = _REQUIREMENT.match(line)
        if m and _norm(m.group(1)) == _norm(dist):
            bundles.add(m.group(2))
        elif m:
            extras.setdefault(m.group(2), []).append(_norm(m.group(1)))
    return {extra: reqs for extra, reqs in extras.items() if extra not in bundles}


def _named_like(plugin: PluginInfo, extra: str) -> bool:
    return extra == plugin.name or plugin.name.startswith(extra + "_") or f".{extra}" in plugin.source


def extra_for(plugin: PluginInfo) -> str | None:
    """The extra that installs what ``plugin`` could not import; None when that is not why it failed."""
    if not plugin.missing or not plugin.dist:
        return None
    extras = _extras(plugin.dist)
    module = _norm(plugin.missing.split(".")[0])
    for extra, requirements in extras.items():
        if any(r == module or r.startswith(module + "-") for r in requirements):
            return extra
    return next((extra for extra in extras if _named_like(plugin, extra)), None)


def install_command(plugin: PluginInfo) -> str | None:
    """``pip install 'hearth[ollama]'`` for an optional plugin whose extra is not installed."""
    extra = extra_for(plugin)
    return f"pip install '{plugin.dist}[{extra}]'" if extra else None


def _serves(plugin: PluginInfo, need: str) -> bool:
    """Whether ``plugin`` is the one a backend or table called ``need`` most likely comes from."""
    extra = extra_for(plugin) or ""
    return need in (plugin.name, extra) or plugin.name.startswith(need + "_") or need.startswith(plugin.name + "_")


def _unmet(pm: PluginManager, mf: ModelsFile) -> list[tuple[str, str]]:
    """What ``mf`` names that no loaded plugin provides: (where it is said, the name needed)."""
    backends = [(f"{model_table(n)} backend '{m.backend}'", m.backend) for n, m in mf.models.items()
                if m.backend not in pm.backends]
    return backends + [(f"[{t}]", t) for t in mf.plugin_tables() if t not in pm.settings_models]


def uses(pm: PluginManager, mf: ModelsFile | None, plugin: PluginInfo) -> list[str]:
    """Where ``mf`` needs the optional ``plugin`` that did not load; empty when nothing does."""
    if mf is None or install_command(plugin) is None:
        return []
    return [where for where, need in _unmet(pm, mf) if _serves(plugin, need)]


def backend_hint(pm: PluginManager, backend: str) -> str | None:
    """``install it with pip install 'hearth[ollama]'`` when ``backend`` is missing because the
    optional plugin that provides it did not load for want of its extra; None otherwise."""
    for plugin in pm.info.values():
        command = install_command(plugin)
        if command and _serves(plugin, backend):
            return f"install it with {command}"
    return None
