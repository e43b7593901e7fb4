"""What small talk says back: one reply per kind, and the jokes (told in turn)."""

from __future__ import annotations

# "{can}" is the capability sentence ("I can help with ..."), "{what}" what was asked for
REPLIES = {
    "greeting": "Hello! What can I do for you?",
    "thanks": "You're welcome!",
    "capabilities": "{can}",
    "identity": "I'm Hearth, your helper at home. {can}",
    "how_are_you": "I'm doing well, thanks! What can I do for you?",
    "goodbye": "Bye! Talk to you later.",
    "nevermind": "Okay.",
    "compliment": "Glad I could help!",
    "acknowledge": "Okay.",
    "out_of_scope": "Sorry, I can't {what} yet. {can}",
}
NOTHING_ASKED = "do that"  # "{what}" when a request no tool covers came without its topic

JOKES = [
    "Why did the tomato blush? Because it saw the salad dressing.",
    "I told my fridge a joke. It was a little cold.",
    "Why don't eggs tell jokes? They'd crack each other up.",
]
