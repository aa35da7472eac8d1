"""Headless Chromium for the HTML tests: load a page, read back what the browser laid out."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--allow-file-access-from-files",
    "--virtual-time-budget=10000",
]

# The page itself runs no script (its Content-Security-Policy forbids one), so a probe page
# loads it in a frame and measures it: every <math> element's box, whether fractions are laid out
# as fractions (numerator above denominator), the visible text, and what the page fetched; per
# numeric table column, where each number's integer part ends and its fraction starts (its
# decimal point); per figure, its width, the column's, its aspect ratio against its viewBox's,
# its smallest text as shown and its caption's text size (all in CSS px).
PROBE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<iframe id="page" src="%s" style="width:1000px;height:800px"></iframe>
<pre id="result"></pre>
<script>
document.getElementById("page").addEventListener("load", () => {
  const w = document.getElementById("page").contentWindow, d = w.document;
  const maths = [...d.querySelectorAll("math")];
  const fracs = [...d.querySelectorAll("mfrac")];
  const result = {
    math: maths.length,
    empty: maths.filter(m => m.getBoundingClientRect().width <= 0).length,
    fractions: fracs.length,
    flat_fractions: fracs.filter(f => f.children.length !== 2 ||
      f.children[0].getBoundingClientRect().bottom > f.children[1].getBoundingClientRect().top + 1
    ).length,
    svg: d.querySelectorAll("svg").length,
    scripts: d.querySelectorAll("script").length,
    fetched: w.performance.getEntriesByType("resource").map(e => e.name),
    text: d.body.innerText,
    points: [...d.querySelectorAll("table.numbers")].map(table => {
      const columns = {};
      for (const td of table.querySelectorAll("td.point")) {
        const whole = td.querySelector(".int math"), fraction = td.querySelector(".frac math");
        (columns[td.cellIndex] ??= []).push({
          point: whole.getBoundingClientRect().right,
          fraction: fraction ? fraction.getBoundingClientRect().left : null,
        });
      }
      return Object.values(columns);
    }),
    figures: [...d.querySelectorAll("figure")].map(figure => {
      const svg = figure.querySelector("svg"), box = svg.getBoundingClientRect();
      const view = svg.viewBox.baseVal, scale = box.width / view.width;
      const sizes = [...svg.querySelectorAll("text")].map(t => parseFloat(t.getAttribute("font-size")));
      const style = w.getComputedStyle(figure);
      return {
        width: box.width,
        column: figure.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
        ratio: (box.height / box.width) / (view.height / view.width),
        smallest_text: Math.min(...sizes) * scale,
        caption_text: parseFloat(w.getComputedStyle(figure.querySelector("figcaption")).fontSize),
      };
    }),
  };
  document.getElementById("result").textContent = JSON.stringify(result);
});
</script></body></html>"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = chromium()
    assert binary, "chromium is not installed"
    profile = cwd / "profile"
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def measure(page: Path) -> dict[str, object]:
    """Load `page` through the probe; what the browser laid out, as a dict."""
    probe = page.parent / f"probe-{page.stem}.html"
    probe.write_text(PROBE % page.name, encoding="utf-8")
    result = run("--dump-dom", probe.as_uri(), cwd=page.parent)
    dom = result.stdout
    start = dom.index('<pre id="result">') + len('<pre id="result">')
    raw = dom[start : dom.index("</pre>", start)]
    raw = raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    return dict(json.loads(raw))


def screenshot(page: Path, png: Path) -> str:
    """A full-width screenshot of the page, loaded directly; returns Chromium's console log."""
    png.parent.mkdir(parents=True, exist_ok=True)
    result = run(
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={png}",
        "--window-size=1000,4000",
        page.as_uri(),
        cwd=page.parent,
    )
    return result.stderr


def print_pdf(page: Path, pdf: Path) -> str:
    """The page printed to `pdf` as Chromium prints it (its print style sheet, no header or
    footer lines); returns Chromium's console log."""
    result = run("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri(), cwd=page.parent)
    return result.stderr
