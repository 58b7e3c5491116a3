"""The HTML report in a real headless browser (Debian's ``chromium``; skipped where absent):
it loads offline with no console message, and every chart lays out with visible marks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from boostpack.reporting.build import build_report
from boostpack.reporting.diversity import DiversityOptions

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless chromium installed")

# Appended to a copy of the page: measures every chart as laid out and writes the result into
# the DOM, where --dump-dom returns it.
PROBE = """<script>
const charts = [...document.querySelectorAll("svg.chart")].map(svg => {
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll("rect,path")].filter(m => {
    const b = m.getBBox(); return b.width > 0 && b.height > 0; }).length;
  return {w: box.width, h: box.height, marks};
});
const out = document.createElement("pre"); out.id = "probe";
out.textContent = JSON.stringify({charts, tables: document.querySelectorAll("table").length});
document.body.appendChild(out);
</script>"""


def _chromium(page: Path, tmp: Path) -> tuple[str, str]:
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
           "--v=0", f"--user-data-dir={tmp / 'profile'}",
           "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: nothing may be fetched
           "--dump-dom", page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout, done.stderr


def test_page_loads_without_console_messages_and_charts_render(pipeline, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    build_report([pipeline.records_file, pipeline.dedup_dir, pipeline.packed_dir], page,
                 diversity=DiversityOptions(sizes=(50, 200), thresholds=(0.5, 0.9)))
    dom, log = _chromium(page, tmp_path)
    assert "boostpack data report" in dom
    assert not re.findall(r"CONSOLE.*", log), log  # no error, warning or message at all
    probed = tmp_path / "probe.html"
    probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    dom, log = _chromium(probed, tmp_path)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, log
    result = json.loads(found.group(1).replace("&quot;", '"'))
    charts = result["charts"]
    assert len(charts) >= 15 and result["tables"] >= 5
    assert all(c["w"] > 100 and c["h"] > 40 for c in charts), charts
    assert all(c["marks"] > 0 for c in charts), charts


def test_the_probe_sees_a_broken_page(tmp_path: Path) -> None:
    # The checks above must be able to fail: a script error is logged, a blank chart has no mark.
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><svg class="chart" width="200" height="80">'
                    "</svg><script>undefinedFunction();</script>" + PROBE + "</body></html>")
    dom, log = _chromium(page, tmp_path)
    assert re.findall(r"CONSOLE.*Uncaught", log)
    result = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1)
                        .replace("&quot;", '"'))
    assert result["charts"] == [{"w": 200, "h": 80, "marks": 0}]
