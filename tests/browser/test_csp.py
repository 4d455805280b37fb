"""The Content-Security-Policy in a real browser: the login page, a cadre's pages, the office
dashboard and Swagger UI work under it, with no violation reported."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..factories import DEFAULT_PASSWORD
from ..issues.offices import issue_at_town

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every violation the page reports, collected before any of its own scripts run.
LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def visit(page, path: str, problems: list[str]) -> None:
    response = page.goto(path)
    assert response.status == 200, path
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    page.wait_for_load_state("networkidle")
    problems.extend(f"{path}: {v}" for v in page.evaluate("window.__violations"))


@pytest.fixture
def csp_page(desktop_page):
    desktop_page.add_init_script(LISTEN)
    console: list[str] = []
    desktop_page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    desktop_page.console_csp = console
    return desktop_page


def test_pages_admin_and_swagger_ui_run_under_the_policy_without_violations(
    csp_page, transactional_db, village_cadre, town_office
):
    page = csp_page
    issue_at_town(village_cadre, "村口路灯不亮")
    problems: list[str] = []

    # The listener sees a violation when there is one: an injected inline script is refused.
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in v for v in page.evaluate("window.__violations"))
    assert page.console_csp
    page.console_csp.clear()

    visit(page, "/accounts/login/", problems)
    log_in(page, "village_cadre")
    visit(page, "/", problems)
    visit(page, "/diaries/new/", problems)
    # The diary form's own script (formset.js) still runs: it adds an issue row.
    total = page.locator("input[name=issues-TOTAL_FORMS]")
    before = int(total.input_value())
    page.click("[data-formset-add]")
    expect(total).to_have_value(str(before + 1))

    page.context.clear_cookies()
    log_in(page, "town_office")
    visit(page, "/admin/", problems)
    expect(page.locator("#office-dashboard svg").first).to_be_visible()

    visit(page, "/api/v1/docs/", problems)
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    assert page.locator(".opblock").count() > 20

    assert problems == []
    assert page.console_csp == []
