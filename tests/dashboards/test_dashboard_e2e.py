"""A planner's line dashboard in a real browser: every chart draws, hover and zoom work.

Screenshots go to test-artifacts/ (kept by CI, ignored by git).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from production.comparisons.models import Comparison, ComparisonStatus
from production.comparisons.twin import compare
from tests.browser import ARTIFACTS
from tests.twin.specs import DESCRIBED

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHARTS = ("cfd", "levels", "leadtime", "little", "compare-fg", "compare-bo")

DRAWN = """() => {
  const out = {};
  for (const [name, chart] of Object.entries(window.pullboardCharts || {})) {
    const canvas = chart.canvas;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
    const points = chart.data.datasets.reduce((n, d) => n + d.data.length, 0);
    out[name] = {inked: inked / (pixels.length / 4), points: points};
  }
  return out;
}"""


def _session(page_context, live_server, user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page_context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def test_line_dashboard_draws_every_chart(browser, live_server, planner, history_line) -> None:  # type: ignore[no-untyped-def]
    call_command("collectstatic", interactive=False, verbosity=0)
    comparison = Comparison.objects.create(
        name="press: shadow",
        line=history_line,
        spec=DESCRIBED,
        status=ComparisonStatus.DONE,
        progress=1.0,
        results=compare(DESCRIBED),
    )
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    _session(context, live_server, planner)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{live_server.url}/dashboards/lines/press/?days=28")
    page.wait_for_function("Object.keys(window.pullboardCharts || {}).length === 6")
    drawn = page.evaluate(DRAWN)
    assert set(drawn) == set(CHARTS)
    for name, chart in drawn.items():
        assert chart["points"] > 0, name
        assert chart["inked"] > 0.005, f"{name} looks blank"
    # Hover shows a tooltip; wheel zoom changes the x range.
    box = page.locator("#chart-levels").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    assert page.evaluate("window.pullboardCharts.levels.tooltip.getActiveElements().length") > 0
    before = page.evaluate(
        "window.pullboardCharts.cfd.scales.x.max - window.pullboardCharts.cfd.scales.x.min"
    )
    page.evaluate("window.pullboardCharts.cfd.zoom(2)")
    after = page.evaluate(
        "window.pullboardCharts.cfd.scales.x.max - window.pullboardCharts.cfd.scales.x.min"
    )
    assert after < before
    page.evaluate("window.pullboardCharts.cfd.resetZoom()")
    page.screenshot(path=str(ARTIFACTS / "dashboard-line.png"), full_page=True)

    page.goto(f"{live_server.url}/dashboards/comparisons/{comparison.pk}/")
    page.wait_for_function("Object.keys(window.pullboardCharts || {}).length === 3")
    for name, chart in page.evaluate(DRAWN).items():
        assert chart["inked"] > 0.005, f"{name} looks blank"
    assert page.locator(".verdict").inner_text() == comparison.results["verdict"]["summary"]
    page.screenshot(path=str(ARTIFACTS / "dashboard-comparison.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e], errors
    context.close()
