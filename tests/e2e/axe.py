"""Run axe-core (installed from npm by `make test`'s browser step) in a Playwright page."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA plus axe's best practices (landmarks, heading order, region).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    """The axe-core bundle's text."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run `make browser` to install axe-core"
    return AXE_JS.read_text()


def run_axe(page) -> list[dict]:
    """Every violation axe finds on the page as it is now."""
    # Evaluated through the DevTools protocol, so the site's CSP (no inline script) still holds
    # for the page itself and needs no bypass.
    page.evaluate(axe_source())
    assert page.evaluate("typeof window.axe === 'object'"), "axe-core did not load in the page"
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return result["violations"]


def blocking(violations: list[dict]) -> list[str]:
    """Serious and critical violations, one readable line each (rule, impact, first targets)."""
    lines = []
    for violation in violations:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
            summary = violation["nodes"][0].get("failureSummary", "").replace("\n", " ")
            lines.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
                f" - {summary[:200]}"
            )
    return lines
