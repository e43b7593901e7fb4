"""A well-behaved single-file plugin: one tool."""

from typing import Literal

from hearth import hookimpl

__version__ = "1.0.0"


def flip_coin(call: Literal["heads", "tails"]) -> bool:
    """Flip a coin and say whether the call was right.

    Args:
        call: The side the user calls.
    """
    return call == "heads"


@hookimpl
def register_tools(register):
    register(flip_coin, examples=["flip a coin"])
