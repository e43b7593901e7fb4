"""The chat page in a real headless Chromium (Debian's, driven by Playwright) against a real server."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import IN_CI, import_or_skip
from test_server import Server

playwright = import_or_skip("playwright.async_api")
CHROMIUM = os.environ.get("HEARTH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="needs Chromium (apt install chromium); .ci/run installs it")


@pytest.fixture
async def browser():
    assert CHROMIUM, "Chromium is missing: .ci/run installs it (apt install chromium)"
    async with playwright.async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
def web_server(home, monkeypatch):
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers")
    s = Server(home).start()
    yield s
    s.stop()


async def test_page_chats_shows_the_tool_call_and_keeps_history_across_reload(web_server, browser):
    page = await browser.new_page()
    await page.goto(web_server.url + "/")
    await page.wait_for_selector("#status.ok")
    await page.fill("#text", "add eggs to my shopping list")
    await page.press("#text", "Enter")
    tool = page.locator(".tool").first
    await tool.locator(".res.ok").wait_for()
    assert await tool.text_content() == '→ add_to_shopping_list(item="eggs") ✓ ok'
    reply = page.locator(".msg.assistant").last
    await reply.wait_for()
    assert await reply.text_content() == "Added eggs to your shopping list."
    await page.locator("#list li", has_text="eggs").wait_for()
    session = await page.evaluate("localStorage.getItem('hearth.session')")

    await page.reload()
    await page.wait_for_selector("#status.ok")
    assert await page.evaluate("localStorage.getItem('hearth.session')") == session
    assert await page.locator(".msg.user").all_text_contents() == ["add eggs to my shopping list"]
    assert await page.locator(".tool").all_text_contents() == ['→ add_to_shopping_list(item="eggs") ✓ ok']
    assert await page.locator(".msg.assistant").all_text_contents() == ["Added eggs to your shopping list."]
    assert await page.locator("#list li").all_text_contents() == ["eggs"]

    await page.click("#new")
    await page.locator(".note", has_text="New conversation").wait_for()
    assert await page.evaluate("localStorage.getItem('hearth.session')") != session


async def test_page_fits_a_phone_screen(web_server, browser):
    context = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(web_server.url + "/")
    await page.wait_for_selector("#status.ok")
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    box = await page.locator("#text").bounding_box()
    assert box["y"] + box["height"] <= 844 and box["width"] > 200
    assert await page.locator("#listbox").is_visible()
    await page.fill("#text", "add two loaves of bread to my shopping list")
    await page.press("#text", "Enter")
    await page.locator("#list li", has_text="bread").wait_for()
    assert await page.locator("#list li").all_text_contents() == ["2 × bread"]
    await context.close()


@pytest.fixture
def prose_server(home, monkeypatch):
    """The server with an instruct model as main (Qwen2.5-Coder-0.5B): Gemma base never writes prose."""
    shipped = (REPO / "agent" / "models.toml").read_text()
    (home / "models.toml").write_text(shipped.replace('main = "gemma3-270m"', 'main = "qwen2.5-coder-0.5b"', 1))
    monkeypatch.setenv("HEARTH_LOAD_PLUGINS", "llamacpp,shopping_list,timers")
    s = Server(home).start()
    yield s
    s.stop()


@pytest.mark.slow
async def test_page_streams_a_model_reply_as_it_arrives(prose_server, browser):
    """A model-written reply (tier 3, an instruct model on llama.cpp) grows on the page delta by delta."""
    web_server = prose_server
    page = await browser.new_page()
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    await page.goto(web_server.url + "/")
    await page.wait_for_selector("#status.ok")
    await page.evaluate("""() => {
        window.lengths = [];
        new MutationObserver(() => {
            const m = [...document.querySelectorAll('.msg.assistant')].pop();
            if (m) window.lengths.push(m.textContent.length);
        }).observe(document.getElementById('log'), {subtree: true, childList: true, characterData: true});
    }""")
    await page.fill("#text", "Tell me a short story about a cat who lives in a kitchen.")
    await page.press("#text", "Enter")
    await page.wait_for_function("document.getElementById('send').disabled === false && window.lengths.length > 0",
                                 timeout=240_000)
    await page.wait_for_function("window.lengths.length > 0 && !document.querySelector('.msg.error')", timeout=5000)
    lengths = await page.evaluate("window.lengths")
    growing = sorted(set(lengths))
    assert len(growing) >= 3, (lengths, [(f["type"], f.get("text")) for f in frames])  # several sizes seen: the text arrived in pieces, not at once
