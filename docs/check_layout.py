"""Check the built documentation's layout in a real browser: nothing cut on the right.

Loads every page of a built site (``docs/_build/html``) in headless Chromium at a
given window width and reports, per page:

* blocks that need a horizontal scroll to be read (code, printed output, tables,
  display maths): ``scrollWidth > clientWidth``;
* a page wider than the window;
* words broken across lines in titles and in the contents lists (e.g. a class
  name wrapped mid-word), and contents entries cut off by the sidebar.

It needs Chromium and its chromedriver (Debian: ``apt-get install chromium
chromium-driver``) and nothing else: it speaks the WebDriver protocol over HTTP
with the standard library. It is a tool, not a test (the test suite does not
need a browser)::

    python -m sphinx -n -W -b html docs docs/_build/html
    python docs/check_layout.py docs/_build/html --width 1280 --screenshots /tmp/shots

Exit status 0 when no page has a problem, 1 otherwise.
"""

import argparse
import base64
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# Runs in the page; returns a list of problems, each {kind, what, detail}.
MEASURE = r"""
const problems = [];
const visible = (el) => el.offsetParent !== null || el.tagName === "BODY";
const describe = (el) => {
  const text = (el.innerText || "").trim().split("\n")[0];
  return `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}: ${text.slice(0, 70)}`;
};
const root = document.documentElement;
if (root.scrollWidth > root.clientWidth + 1) {
  problems.push({kind: "page wider than the window",
                 what: `${root.scrollWidth}px`, detail: `window ${root.clientWidth}px`});
}
const blocks = ["pre", "div.highlight", "table", "div.math",
                "mjx-container[display='true']", ".sphx-glr-script-out"].join(", ");
for (const el of document.querySelectorAll(blocks)) {
  if (!visible(el)) continue;
  if (el.closest(".bd-sidebar-primary, .bd-sidebar-secondary")) continue;
  if (el.scrollWidth > el.clientWidth + 1) {
    problems.push({kind: "needs a horizontal scroll", what: describe(el),
                   detail: `${el.scrollWidth}px in ${el.clientWidth}px`});
  }
}
// A word broken across lines: the range over its letters has rectangles on
// more than one line. A break after a hyphen ("high-" "cardinality") is not one.
function brokenWords(el) {
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /[^\s-]+/g;
    let m;
    while ((m = re.exec(node.data)) !== null) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()]
                           .filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}
const labels = "h1, h2, h3, .bd-toc-nav a, nav.bd-links a, .bd-sidebar-secondary a";
for (const el of document.querySelectorAll(labels)) {
  if (!visible(el)) continue;
  for (const word of brokenWords(el)) {
    problems.push({kind: "word broken across lines", what: describe(el), detail: word});
  }
  if (el.tagName === "A" && el.scrollWidth > el.clientWidth + 1) {
    problems.push({kind: "contents entry cut off", what: describe(el),
                   detail: `${el.scrollWidth}px in ${el.clientWidth}px`});
  }
}
return problems;
"""


class WebDriver:
    """A headless Chromium session driven through chromedriver's HTTP API."""

    def __init__(self, chromedriver, width, height):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._profile = tempfile.mkdtemp(prefix="skscratch-layout-")
        self._driver = subprocess.Popen(
            [chromedriver, f"--port={port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._base = f"http://127.0.0.1:{port}"
        self._wait_until_up()
        options = {
            "args": [*CHROMIUM_ARGS, f"--user-data-dir={self._profile}"],
        }
        if shutil.which("chromium"):
            options["binary"] = shutil.which("chromium")
        capabilities = {"alwaysMatch": {"goog:chromeOptions": options}}
        session = self._call("POST", "/session", {"capabilities": capabilities})
        self._session = f"/session/{session['sessionId']}"
        self.resize(width, height)

    def _wait_until_up(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._call("GET", "/status")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self._base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)["value"]

    def open(self, url):
        self._call("POST", f"{self._session}/url", {"url": url})

    def run(self, script):
        """The value the JavaScript function body ``script`` returns in the page."""
        body = {"script": script, "args": []}
        return self._call("POST", f"{self._session}/execute/sync", body)

    def resize(self, width, height):
        body = {"width": width, "height": height}
        self._call("POST", f"{self._session}/window/rect", body)

    def full_page_png(self):
        """A PNG of the whole page, the window stretched to its height."""
        height = self.run("return document.documentElement.scrollHeight")
        self.resize(self.run("return window.outerWidth"), height)
        return base64.b64decode(self._call("GET", f"{self._session}/screenshot"))

    def close(self):
        try:
            self._call("DELETE", self._session)
        finally:
            self._driver.terminate()
            self._driver.wait(timeout=30)
            shutil.rmtree(self._profile, ignore_errors=True)


def pages(site):
    """The pages to check: the gallery, the API pages, the guide and the index."""
    chosen = [site / "index.html", site / "user_guide.html", site / "api.html"]
    chosen += sorted((site / "auto_examples").glob("*.html"))
    chosen += sorted((site / "generated").glob("*.html"))
    return [page for page in chosen if page.exists()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site, e.g. docs/_build/html")
    parser.add_argument("--width", type=int, default=1280, help="window width in px")
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--chromedriver", default=shutil.which("chromedriver"))
    parser.add_argument("--screenshots", type=Path, help="save a full-page PNG of each")
    args = parser.parse_args(argv)
    if not args.chromedriver:
        parser.error("chromedriver not found (Debian: apt-get install chromium-driver)")
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    browser = WebDriver(args.chromedriver, args.width, args.height)
    failed = 0
    try:
        for page in pages(args.site.resolve()):
            browser.resize(args.width, args.height)
            browser.open(page.as_uri())
            time.sleep(0.3)  # MathJax typesets after the load event
            problems = browser.run(MEASURE)
            name = page.relative_to(args.site.resolve())
            print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
            for problem in problems:
                print(f"    {problem['kind']}: {problem['what']} [{problem['detail']}]")
            failed += bool(problems)
            if args.screenshots:
                png = browser.full_page_png()
                (args.screenshots / f"{page.stem}.png").write_bytes(png)
    finally:
        browser.close()
    print(f"{failed} page(s) with problems at {args.width} px")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
