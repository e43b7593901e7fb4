"""Fuzz the injected-call parser: N random inputs built from call, JSON, fence and tag pieces plus
random characters, and a set of adversarial megabytes. Prints exceptions (other than the parser's own
ToolCallParseError), the slowest input and the time per megabyte pattern.

    python bench/parser_fuzz.py [--inputs 1000000] [--seed 15]
"""

from __future__ import annotations

import argparse
import random
import time

from hearth.tooling.calls import ToolCallParseError, parse_calls

TOKENS = ["f(", "g(", "add_to_shopping_list(", ")", "(", "[", "]", "{", "}", ",", ":", "=", '"', "'", "\\",
          "x=", "item=", "1", "-", "2.5", "true", "null", "None", "```", "```json\n", "```tool_code\n",
          "<tool_call>", "</tool_call>", '{"name": "f", "arguments": ', '"arguments"', "\n", " ", "milk",
          "\x00", "\u202e", "Ω", "[]: 1", "**", "lambda", "#", "\ud800"]
KNOWN = [None, {"f"}, {"f", "g", "add_to_shopping_list"}]
MEGABYTE_UNITS = ["{", "a(", 'f("', '{"a":', "[", "(", "a(b)", "f('", "```", "<tool_call>", "a", "f(x=1) ",
                  '{"name":"f","arguments":{}} ', "a(a(", "-", "f(x=-", '"', "<tool_call>f(x=1)</tool_call>"]


def one(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(0, 200)))
    pieces = [rng.choice(TOKENS) for _ in range(rng.randrange(0, 80))]
    if rng.random() < 0.05:  # now and then a deep or long run of one piece
        pieces.append(rng.choice(TOKENS) * rng.randrange(100, 3000))
    return "".join(pieces)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--dump", help="write the slowest input to this file")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    errors: dict[str, int] = {}
    slowest, slow_text = 0.0, ""
    t0 = time.perf_counter()
    for n in range(a.inputs):
        text = one(rng)
        t = time.perf_counter()
        try:
            parse_calls(text, KNOWN[n % 3])
        except ToolCallParseError:
            pass
        except Exception as err:  # what the fuzz is looking for
            key = f"{type(err).__name__}: {err}"[:120]
            errors[key] = errors.get(key, 0) + 1
        d = time.perf_counter() - t
        if d > slowest:
            slowest, slow_text = d, text
    total = time.perf_counter() - t0
    again = time.perf_counter()  # the slowest input once more: a pause of the machine, or the parser?
    parse_calls(slow_text, {"f"})
    again = time.perf_counter() - again
    print(f"{a.inputs} random inputs in {total:.0f} s; exceptions other than the parser's own: "
          f"{sum(errors.values())}; slowest {slowest * 1000:.1f} ms ({len(slow_text)} chars; "
          f"{again * 1000:.1f} ms when parsed again)")
    if a.dump:
        with open(a.dump, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(slow_text)
    for k, v in sorted(errors.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {v} x {k}")
    print("\n| 1 MiB of | calls | seconds |\n|---|---|---|")
    for unit in MEGABYTE_UNITS:
        text = (unit * ((1 << 20) // len(unit)))[: 1 << 20]
        t = time.perf_counter()
        calls, _ = parse_calls(text, {"f", "a"})
        print(f"| `{unit!r}` | {len(calls)} | {time.perf_counter() - t:.3f} |")


if __name__ == "__main__":
    main()
