"""Wake words: a microWakeWord model that says when its word was spoken."""

from __future__ import annotations

from pathlib import Path

from hearth.errors import HearthError


class WakeWord:
    """A microWakeWord model (pymicro-wakeword): a built-in name (okay_nabu, hey_jarvis, hey_mycroft,
    alexa) or a model's ``.json``. Raises HearthError ``wake_word_unavailable`` when it cannot load."""

    def __init__(self, name: str) -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
        except ImportError as err:
            raise HearthError("wake words need pymicro-wakeword: pip install pymicro-wakeword", "wake_word_unavailable") from err
        try:
            if name.endswith(".json"):
                self.model = MicroWakeWord.from_config(Path(name).expanduser())
            else:
                self.model = MicroWakeWord.from_builtin(Model(name))
        except ValueError as err:
            known = ", ".join(m.value for m in Model)
            raise HearthError(f"no wake word model {name!r}: use one of {known}, or a microWakeWord .json ({err})",
                              "wake_word_unavailable") from err
        except (OSError, KeyError) as err:
            raise HearthError(f"the wake word model {name!r} could not load: {err}", "wake_word_unavailable") from err
        self.features = MicroWakeWordFeatures()
        self.name = self.model.wake_word

    def __call__(self, frame: bytes) -> bool:
        for feats in self.features.process_streaming(frame):
            if self.model.process_streaming(feats):
                self.reset()
                return True
        return False

    def reset(self) -> None:
        self.model.reset()
        self.features.reset()
