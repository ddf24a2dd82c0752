"""Drive the real studio in a browser: `streamlit run Home.py` on a loopback port,
headless Chromium through Playwright, and a timer for the first lyric on screen.

Used by tests/test_browser.py (a tiny trained GPT-2) and
bench/bench_browser_first_token.py (the embedded default model). Playwright's
own browser download cannot work here: Debian's chromium is launched instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
WAIT_MS = 120_000  # the longest any single browser wait may take


def missing() -> str | None:
    """Why a browser test cannot run here (None when it can)."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -r requirements.txt)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str], startup_s: float = 90.0, log_on_exit: bool = False) -> Iterator[str]:
    """`streamlit run Home.py` headless on a free loopback port, with `env` added to this
    process's environment; yields the base URL once /_stcore/health answers. The whole
    process group is stopped on the way out, whatever happened. The end of the server's
    log is printed on an error, and always with `log_on_exit` (a pytest fixture's teardown
    does not see the test's error; pytest shows what it printed only when the test fails)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="songgen-streamlit-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode} before it was healthy:\n{_tail(log.name)}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit was not healthy after {startup_s:.0f} s:\n{_tail(log.name)}")
            time.sleep(0.25)
        yield url
    except BaseException:
        print(f"--- the end of the streamlit server's log ---\n{_tail(log.name)}", file=sys.stderr)
        log_on_exit = False
        raise
    finally:
        _stop(process)
        if log_on_exit:
            print(f"--- the end of the streamlit server's log ---\n{_tail(log.name)}")
        log.close()
        os.unlink(log.name)


def _stop(process: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: str, chars: int = 4000) -> str:
    return Path(path).read_text(errors="replace")[-chars:]


@contextmanager
def chromium_page() -> Iterator["object"]:
    """A Playwright page in headless Debian chromium, 1280x900, every wait bounded."""
    with chromium_pages(1) as (page,):
        yield page


@contextmanager
def chromium_pages(count: int) -> Iterator[list]:
    """`count` pages in one headless chromium, each in its own browser context: as many
    people, each with their own Streamlit session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                                             timeout=60_000)
        try:
            pages = []
            for _ in range(count):
                page = browser.new_context(viewport=VIEWPORT).new_page()
                page.set_default_timeout(WAIT_MS)
                page.set_default_navigation_timeout(WAIT_MS)
                pages.append(page)
            yield pages
        finally:
            browser.close()


# --------------------------------------------------------------------------- the Generate page

def open_generate(page, url: str) -> None:
    page.goto(f"{url}/Generate")
    page.get_by_role("button", name="Generate lyrics").wait_for()


def wait_idle(page) -> None:
    """Wait until no script run is in progress (the attribute Streamlit's own e2e tests read):
    a click while the page re-renders may land on an element about to be replaced."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def fill_lyrics_form(page, title: str, artist: str, opening: str) -> None:
    """Fill the form once the app is idle and check each input holds what was typed."""
    from playwright.sync_api import expect

    wait_idle(page)
    for key, value in (("gen_title", title), ("gen_artist", artist), ("gen_opening", opening)):
        field = page.locator(f".st-key-{key} input")
        field.fill(value)
        expect(field).to_have_value(value)


# Installed before the click, run in the page: the click's time, the time the opening
# line is first in the DOM (the page shows it at once, before the model runs), and the
# time the first text the model wrote is (the opening line followed by more text).
# Times are the page's own clock (performance.now), so Playwright's round trips are
# not counted. Only the lyrics' code box can show the opening line near its start (after
# "[Verse 1]" in a structured song); the form shows it only in an <input>.
_WATCH = """
([opening, buttonLabel]) => {
  const norm = (s) => s.replace(/\\u200b/g, '').replace(/\\s+/g, ' ').trim();
  const want = norm(opening);
  const t = window.__songgenLyricsTimes = {};
  const check = () => {
    if (t.click === undefined || t.token !== undefined) return;
    for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"], [data-testid="stCode"]')) {
      const text = norm(el.innerText || '');
      // The lyrics open with the opening line, after a section header in structured songs ("[Verse 1]").
      const at = text.indexOf(want);
      if (at < 0 || at > 20) continue;
      const now = performance.now();
      if (t.echo === undefined) t.echo = now;
      if (text.length > at + want.length) { t.token = now; t.first = text; observer.disconnect(); return; }
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  // Listen on the document, not on the button: Streamlit may replace the button's element
  // between this script and the click, and a listener on the old element would never fire.
  const onClick = (event) => {
    const button = event.target.closest && event.target.closest('button');
    if (!button || norm(button.innerText) !== buttonLabel) return;
    t.click = performance.now();
    document.removeEventListener('click', onClick, true);
  };
  document.addEventListener('click', onClick, true);
}
"""


def generate_timed(page, opening: str) -> dict:
    """Click Generate (the form already filled with `opening`) and wait for the lyrics.
    Returns {"echo_s", "first_token_s", "lyrics"}: seconds from the click to the opening
    line on screen and to the first model-written text on screen, and the final lyrics."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(_WATCH, [opening, "Generate lyrics"])
    page.get_by_role("button", name="Generate lyrics").click()
    try:
        page.wait_for_function("() => window.__songgenLyricsTimes.token !== undefined", polling=50)
    except PlaywrightTimeout:
        raise AssertionError(f"no lyrics starting with {opening!r} on screen after {WAIT_MS / 1000:.0f} s; "
                             f"{_page_state(page)}") from None
    times = page.evaluate("() => window.__songgenLyricsTimes")
    # The stream is done when the code box holds lyrics starting with this opening line.
    box = page.locator('[data-testid="stCode"]').filter(has_text=opening)
    box.wait_for()
    page.get_by_role("button", name="Continue to music").wait_for()
    no_exception(page)
    return {"echo_s": (times["echo"] - times["click"]) / 1000, "first_token_s": (times["token"] - times["click"]) / 1000,
            "lyrics": box.inner_text()}


def compose_music(page, vocals: bool = False) -> object:
    """Continue to music with the arranger at the shortest duration (5 s), with the sung
    guide vocal switched on if asked; wait for the player."""
    page.get_by_role("button", name="Continue to music").click()
    if vocals:
        switch = page.locator(".st-key-gen_vocals input[type=checkbox]")
        switch.wait_for(state="attached")
        page.locator(".st-key-gen_vocals").get_by_text("Sung guide vocal").click()
        page.wait_for_function("() => document.querySelector('.st-key-gen_vocals input').checked", polling=100)
    page.locator(".st-key-gen_length").get_by_text("Seconds").click()  # instead of the whole song
    duration = page.locator(".st-key-gen_duration input[type=range]:not([disabled])")
    duration.wait_for(state="attached")
    duration.focus()
    page.keyboard.press("Home")  # the slider's minimum
    page.wait_for_function("() => document.querySelector('.st-key-gen_duration input').value === '5'", polling=100)
    page.get_by_role("button", name="Compose music").click()
    audio = page.locator('audio[data-testid="stAudio"]')
    audio.wait_for()
    no_exception(page)
    return audio


def screenshot_song(page, title: str, path: Path) -> None:
    """The viewport (1280x900) with the song's lyrics and its player in view."""
    page.get_by_role("heading", name=title).first.scroll_into_view_if_needed()
    page.locator('audio[data-testid="stAudio"]').scroll_into_view_if_needed()
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def _page_state(page) -> str:
    """What the page shows, for a failure message: the watcher's times, the script state,
    the form's opening line, and the start of every lyrics area."""
    state = page.evaluate("""() => ({
      times: window.__songgenLyricsTimes,
      script: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
      connection: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-connection-state'),
      opening: document.querySelector('.st-key-gen_opening input')?.value,
      shown: [...document.querySelectorAll('[data-testid="stMarkdownContainer"], [data-testid="stCode"],'
                + ' [data-testid="stException"], [data-testid="stAlert"]')]
               .map((el) => el.innerText.slice(0, 120)).filter((text) => text.trim()),
    })""")
    return f"the page: {state}"


def no_exception(page) -> None:
    """Fail on a Streamlit exception box or a lost connection."""
    shown = page.locator('[data-testid="stException"]')
    if shown.count():
        raise AssertionError(f"the page shows an exception: {shown.first.inner_text()[:2000]}")


def studio_env(folder: Path, genres: dict[str, Path]) -> dict[str, str]:
    """The environment of a studio on temporary paths under `folder`, each genre served by
    the model folder given (through a real registry file)."""
    config = folder / "models.toml"
    config.write_text("[lyrics.genres]\n" + "".join(f'{genre} = "path:{model}"\n' for genre, model in genres.items()),
                      encoding="utf-8")
    (folder / "no-models").mkdir(exist_ok=True)
    return {"SONGGEN_CONFIG": str(config), "SONGGEN_DB": str(folder / "feedback.db"),
            "SONGGEN_DATA": str(folder / "data"), "SONGGEN_MODELS_DIR": str(folder / "no-models"),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def choose_option(page, key: str, label_start: str) -> None:
    """Pick, in the select box with this key, the option whose label starts with `label_start`."""
    page.locator(f".st-key-{key} [role='combobox']").click()
    page.get_by_role("option").filter(has_text=label_start).first.click()
    wait_idle(page)


def chosen_option(page, key: str) -> str:
    """The label the select box with this key shows."""
    return page.locator(f".st-key-{key} [role='combobox']").input_value()


def set_stars(page, key: str, stars: int) -> None:
    page.locator(f".st-key-{key} [aria-label='{stars} out of 5 stars']").click(timeout=15_000)
