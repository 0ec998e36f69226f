"""Every ``/docs`` page in real headless Chromium: Swagger UI renders the OpenAPI 3.1 documents (the gateway's
aggregated one and each service's) from the suite's own assets, lists the operations, and shows no error."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from harness.suite import Suite
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.basisdienste(reset=False)]

# Each page with an operation it must list: (path, summary), as Swagger UI shows them.
PAGES = {
    "/docs": ("/postfach/api/v6/messages", "Zbp Send Message"),
    "/nutzerkonto/docs": ("/.well-known/openid-configuration", "Oidc Discovery"),
    "/postfach/docs": ("/api/v6/messages", "Zbp Send Message"),
    "/bezahlplattform/docs": ("/paymenttransaction/{originatorId}/{endpointId}", "Create Payment Transaction"),
    "/bescheid/docs": ("/api/v1/bescheide", "Create Bescheid"),
    "/rechnungseingang/docs": ("/api/v1/invoices", "Submit Invoice"),
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("docs", list(PAGES))
def test_docs_page_renders_the_operations_offline(docs: str, basisdienste: Suite, chromium: Browser) -> None:
    path, summary = PAGES[docs]
    page = chromium.new_page()
    elsewhere: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(basisdienste.url) else elsewhere.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(basisdienste.url + docs)
        # Swagger UI 4 says "Unable to render this definition" in .version-pragma for an OpenAPI 3.1 document.
        page.wait_for_selector(".opblock, .version-pragma", timeout=30_000)
        assert page.locator(".version-pragma").count() == 0, page.locator(".version-pragma").inner_text()
        assert page.evaluate("window.versions.swaggerUI.version").startswith("5.")
        assert page.locator(".opblock").count() >= 10
        operation = page.locator(".opblock", has=page.locator(".opblock-summary-path", has_text=path))
        assert summary in operation.locator(".opblock-summary-description").all_inner_texts()
        assert "OAS 3.1" in page.locator(".info").inner_text()
        body = page.locator("body").inner_text()
        assert "Unable to render this definition" not in body
        assert page.locator(".errors-wrapper").count() == 0, page.locator(".errors-wrapper").inner_text()
        assert not errors
        assert not elsewhere, f"assets from outside the suite: {elsewhere}"
    finally:
        page.close()


@pytest.mark.parametrize(("docs", "operation", "path"), [
    ("/postfach/docs", "operations-health-health", "/postfach/health"),
    ("/postfach/docs", "operations-emulator-emulator_faults", "/_emulator/postfach/faults"),
    ("/docs", "operations-postfach_emulator-postfach_emulator_faults", "/_emulator/postfach/faults"),
])
def test_try_it_out_calls_the_path_that_answers(docs: str, operation: str, path: str, basisdienste: Suite,
                                                chromium: Browser) -> None:
    """A control on a service's page is sent where the gateway serves it, not under ``/<service>/_emulator``."""
    page = chromium.new_page()
    try:
        page.goto(basisdienste.url + docs)
        block = page.locator(f"[id='{operation}']")
        block.locator(".opblock-summary").click()
        block.locator("button.try-out__btn").click()
        block.locator("button.execute").click()
        assert block.locator(".request-url pre").inner_text(timeout=10_000) == basisdienste.url + path
        assert block.locator(".live-responses-table .response .response-col_status").first.inner_text() == "200"
    finally:
        page.close()
