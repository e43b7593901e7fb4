"""Tool calling for models without native calls, and the parts every backend shares.

One fixed call syntax is taught to models: a bracketed list of Python-style calls,
``[add_to_shopping_list(item="bread", quantity=2)]``. Each module does one job:

- ``render``: tool schemas into the prompt, calls into the fixed syntax, history for a chat template
  without tool support;
- ``examples``: few-shot (sentence, call) pairs from each tool's example templates;
- ``parse``: calls read back out of model text (tolerant of fences, JSON, tags and prose);
- ``holdback``: streamed text held back while it may still turn out to be a call, then the calls;
- ``bind``: a call request bound to the tool's parameters, and the error for one that cannot be;
- ``questions``: which requests read as questions and which tools only read (a question is never
  turned into a write; its words are data, ``questions.yaml``).

Backends stream text or native calls as :class:`hearth.CallRequest`; grammars (GBNF) and other
engine specifics live in the backend plugins.
"""

from __future__ import annotations

from hearth.tooling.calls.bind import bind_positional, call_error
from hearth.tooling.calls.examples import example_calls, example_sentences, expand_template, fill_template
from hearth.tooling.calls.holdback import HoldBack, attempted_call
from hearth.tooling.calls.parse import ToolCallParseError, parse_calls
from hearth.tooling.calls.questions import is_question, is_read_tool, writes_for_a_question
from hearth.tooling.calls.render import (
                     CALL_SYNTAX,
                     fn_schema,
                     format_call,
                     format_calls,
                     injected_messages,
                     py_literal,
                     render_signature,
                     render_tools_prompt,
)

__all__ = [
    "CALL_SYNTAX", "HoldBack", "attempted_call", "bind_positional", "call_error", "example_calls",
    "example_sentences", "expand_template", "fill_template", "fn_schema", "format_call", "format_calls", "injected_messages",
    "ToolCallParseError", "is_question", "is_read_tool", "parse_calls", "py_literal", "render_signature",
    "render_tools_prompt", "writes_for_a_question",
]
