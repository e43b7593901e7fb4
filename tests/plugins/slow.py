"""A test plugin: a tool that takes a while, so a test can act while a turn is under way."""

import time

from hearth import ToolResult, hookimpl


def slow_echo(word: str) -> ToolResult:
    """Say a word back after a pause.

    Args:
        word: The word to say back.
    """
    time.sleep(1.5)
    return ToolResult({"word": word}, say=f"You said {word}.")


@hookimpl
def register_tools(register):
    register(slow_echo, examples=["slowly say {word}"])
