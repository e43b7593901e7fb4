"""A test plugin whose on_event always raises; its tool must keep working."""

from hearth import hookimpl


def echo_word(word: str) -> str:
    """Say a word back.

    Args:
        word: The word to say back.
    """
    return word


@hookimpl
def register_tools(register):
    register(echo_word)


@hookimpl
def on_event(event):
    raise ValueError(f"cannot observe {event.type}")
