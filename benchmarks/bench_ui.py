"""Web UI benchmark: frames per second in headless Chromium, and event-to-pixel latency.

Cases (issue 5's targets: 10,000 instance nodes at 30 frames a second or more while animating;
a 500-service architecture readable collapsed; a chaos action on screen within 1 s at 1x):

- the 500-service, 10,000-instance estate (``benchmarks/large_arch.py``) run for 20 s, then
  replayed by ``monkeyhouse serve RUN`` while the replay plays: frames per second in the
  instance view and in the services view, over 5 s each, counted by ``requestAnimationFrame``
  in the page (the page's own ``window.monkeyhouse.fps()``, and a count of our own);
- the same estate live (``monkeyhouse serve estate.yaml`` at 1x): frames per second in the
  instance view while ticks arrive;
- netflixoss live at 1x: from the click on "Kill instance" to the frame that shows the live
  count one lower, five times.

Chromium runs with ``--disable-gpu`` (software rendering), as in CI. Screenshots go to
``test-artifacts/bench/``. Run: ``.venv/bin/python benchmarks/bench_ui.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import large_arch

from browser.pages import FLAGS, Served

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "bench"

COUNT_FRAMES = """(seconds) => new Promise((done) => {
  let frames = 0;
  const start = performance.now();
  const step = (now) => {
    frames += 1;
    if (now - start < seconds * 1000) requestAnimationFrame(step);
    else done(frames / ((now - start) / 1000));
  };
  requestAnimationFrame(step);
})"""


ZOOMING = """(seconds) => new Promise((done) => {
  const canvas = document.querySelector('#graph');
  const box = canvas.getBoundingClientRect();
  let frames = 0;
  const start = performance.now();
  const step = (now) => {
    frames += 1;
    // a wheel turn every frame, in and out in turn: the whole picture is redrawn each time
    const deltaY = frames % 2 ? -40 : 40;
    canvas.dispatchEvent(new WheelEvent('wheel', {
      deltaY, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2,
      bubbles: true, cancelable: true,
    }));
    if (now - start < seconds * 1000) requestAnimationFrame(step);
    else done(frames / ((now - start) / 1000));
  };
  requestAnimationFrame(step);
})"""


def measure(page: Page, seconds: float = 5.0) -> tuple[float, float]:
    """(our rAF count, the page's own fps()) over ``seconds`` of animation."""
    ours = float(page.evaluate(COUNT_FRAMES, seconds))
    theirs = float(page.evaluate("window.monkeyhouse.fps()"))
    return ours, theirs


def open_page(browser_page: Page, url: str) -> None:
    browser_page.goto(url)
    browser_page.wait_for_function("window.monkeyhouse && window.monkeyhouse.nodeCount() > 0")


def estate_replay(page: Page, run: Path) -> None:
    server = Served([str(run)])
    try:
        open_page(page, server.url)
        page.get_by_test_id("replay-play").click()
        for view in ("instances", "services"):
            page.evaluate("(v) => window.monkeyhouse.setView(v)", view)
            page.wait_for_timeout(1500)
            nodes = page.evaluate("window.monkeyhouse.nodeCount()")
            ours, theirs = measure(page)
            page.screenshot(path=str(SHOTS / f"estate-replay-{view}.png"))
            zooming = float(page.evaluate(ZOOMING, 5))
            print(
                f"estate500 replay playing, {view} view: {nodes} nodes, {ours:.1f} fps "
                f"(page's own count {theirs:.1f}); zoomed every frame: {zooming:.1f} fps"
            )
    finally:
        server.stop()


def estate_live(page: Page, arch: Path) -> None:
    server = Served([str(arch), "-d", "120"])
    try:
        open_page(page, server.url)
        page.evaluate("window.monkeyhouse.setView('instances')")
        page.wait_for_timeout(3000)
        nodes = page.evaluate("window.monkeyhouse.nodeCount()")
        ours, theirs = measure(page)
        page.screenshot(path=str(SHOTS / "estate-live-instances.png"))
        print(f"estate500 live 1x, instance view: {nodes} nodes, {ours:.1f} fps ({theirs:.1f})")
    finally:
        server.stop()


KILL_TO_PIXEL = """async (name) => {
  const live = document.querySelector('[data-testid="live-count"]');
  const before = Number(live.textContent.replace(/[^0-9]/g, ''));
  window.monkeyhouse.select(name);
  await new Promise((r) => requestAnimationFrame(r));
  const button = document.querySelector('[data-testid="kill-instance"]');
  const clicked = performance.now();
  button.click();
  return await new Promise((done) => {
    const look = (now) => {
      const value = Number(live.textContent.replace(/[^0-9]/g, ''));
      if (value < before) done(now - clicked);
      else if (now - clicked > 10000) done(-1);
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  });
}"""


def kill_latency(page: Page) -> None:
    server = Served(["-d", "600"])
    try:
        open_page(page, server.url)
        page.evaluate("window.monkeyhouse.setView('instances')")
        page.wait_for_timeout(1000)
        times = []
        for k in range(5):
            # homepage instances are dealt to zones A, B, C in turn: 00, 03, 06 ... are in A
            name = f"netflixoss.us-east-1.zoneA.homepage{k * 3:02d}"
            page.wait_for_timeout(500)
            times.append(float(page.evaluate(KILL_TO_PIXEL, name)))
        shown = ", ".join(f"{t:.0f}" for t in times)
        print(f"netflixoss live 1x, click Kill to the live count on screen: {shown} ms")
    finally:
        server.stop()


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("bench_ui needs Chromium: apt-get install chromium")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        arch = large_arch.write(Path(tmp) / "estate500.yaml")
        run = Path(tmp) / "estate-run"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "monkeyhouse",
                "run",
                str(arch),
                "-d",
                "20",
                "-q",
                "--no-report",
                "--out",
                str(run),
            ],
            check=True,
        )
        print(f"estate500: 20 simulated seconds in {time.perf_counter() - started:.1f} s")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            estate_replay(page, run)
            estate_live(page, arch)
            kill_latency(page)
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
