"""``hearth doctor`` for the ``openai`` backend: each server answers, and lists each model models.toml names."""

from __future__ import annotations

from hearth import Check, HearthError, hookimpl
from hearth.kit import ModelsFile

from .backend import OpenAIBackend


@hookimpl
async def doctor_checks(models: ModelsFile, load: bool) -> list[Check]:
    """The OpenAI-compatible servers and models that models.toml uses (``load``: pre-warm each model too)."""
    names = [n for n, m in models.models.items() if m.backend == "openai"]
    out: list[Check] = []
    listed: dict[tuple[str, str], list[str] | None | HearthError] = {}  # (base_url, key env) -> ids or the error
    for n in names:
        backend = OpenAIBackend(n, models.models[n])
        label = f"model {n}"
        try:
            where = (backend.base_url, backend.opts.api_key_env or "")
            if where not in listed:
                try:
                    listed[where] = await backend.list_models()
                except HearthError as err:
                    listed[where] = err
                except Exception as err:
                    translated = backend._translate(err, "load")
                    listed[where] = translated if isinstance(translated, HearthError) else HearthError(str(err))
                ids = listed[where]
                if isinstance(ids, HearthError):
                    out.append(Check("fail", "openai", f"{ids} (code {ids.code}; used by: {n})"))
                else:
                    out.append(Check("ok", "openai", f"{backend.base_url} answers; "
                                     f"{'no model list' if ids is None else f'{len(ids)} model(s)'}"))
            ids = listed[where]
            if isinstance(ids, HearthError):
                continue
            if ids is not None and backend.config.model not in ids:
                out.append(Check("fail", label, f"{backend.config.model} is not served by {backend.base_url} "
                                 f"(it serves: {', '.join(ids) or 'nothing'}); set model in [models.{n}] to one of them"))
                continue
            if load:
                try:
                    await backend.load()
                except HearthError as err:
                    out.append(Check("fail", label, f"warming {backend.config.model} up failed: {err}"))
                    continue
            state = "answers a one-token request" if load else "listed"
            out.append(Check("ok", label, f"{backend.config.model} on {backend.base_url}: {state}; "
                             f"tool calls {backend.config.tool_calling}"))
        finally:
            await backend.close()
    return out
