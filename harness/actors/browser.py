"""A browser without JavaScript, over plain HTTP: it opens a page, reads its one form as a person reads it (the
radio buttons and their labels and hints, the fields), fills it in, presses a named button and follows the
suite's redirects until the flow leaves the suite (the online service's return URL, an SP's ACS).

The suite's pages are built to work without JavaScript (progressive enhancement), so this is how any test client
can walk them; the Chromium tests walk the same pages in a real browser.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
import lxml.html


class PageError(AssertionError):
    """A page did not answer as a person walking the flow expects (the page's German message is kept)."""


@dataclass(frozen=True)
class Choice:
    """One radio button as a person sees it: its value, its label and its hint text."""

    value: str
    label: str
    hint: str
    disabled: bool


@dataclass
class Page:
    url: str
    status_code: int
    html: str
    document: lxml.html.HtmlElement = field(repr=False)

    def choices(self, name: str) -> list[Choice]:
        """The radio buttons called ``name``, in page order."""
        found = []
        for radio in self.document.xpath(f'//form//input[@type="radio"][@name="{name}"]'):
            element_id = radio.get("id") or ""
            label = self.document.xpath(f'//label[@for="{element_id}"]') if element_id else []
            hint_ids = (radio.get("aria-describedby") or "").split()
            hints = [self.document.get_element_by_id(i, None) for i in hint_ids]
            found.append(Choice(radio.get("value") or "", _text(label[0]) if label else "",
                                " ".join(_text(h) for h in hints if h is not None), radio.get("disabled") is not None))
        return found

    def message(self) -> str:
        """What the page says in its errors or main text (for a clear failure)."""
        errors = self.document.xpath('//*[contains(@class, "error") or @role="alert"]')
        return " | ".join(_text(e) for e in errors) or _text(self.document)[:500]

    def hidden_fields(self) -> dict[str, str]:
        return {i.get("name"): i.get("value") or ""
                for i in self.document.xpath('//form//input[@type="hidden"][@name]')}

    def form_action(self) -> str:
        forms = self.document.xpath("//form")
        if not forms:
            raise PageError(f"{self.url}: no form on the page ({self.message()})")
        return urljoin(self.url, forms[0].get("action") or self.url)


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


class Browser:
    """Walks the suite's pages with ``http`` (an ``httpx.Client`` whose base URL is the gateway)."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.origin = _origin(str(http.base_url))

    def _inside(self, url: str) -> bool:
        return _origin(urljoin(str(self.http.base_url), url)) == self.origin or url.startswith("/")

    def open(self, url: str) -> Page:
        return self._follow(self.http.get(url, headers={"Accept": "text/html"}))

    def submit(self, page: Page, fields: dict[str, str]) -> Page:
        """Post the page's form with ``fields`` (the pressed button is one of them, as a browser sends it)."""
        return self._follow(self.http.post(page.form_action(), data={**page.hidden_fields(), **fields},
                                           headers={"Accept": "text/html"}))

    def _follow(self, answer: httpx.Response) -> Page:
        """Follow redirects while they stay inside the suite; a redirect out of it ends the walk as a Page
        whose ``url`` is the address the browser was sent to and whose status is the redirect's."""
        for _ in range(10):
            location = answer.headers.get("location")
            if answer.status_code not in (301, 302, 303, 307) or location is None:
                return Page(str(answer.url), answer.status_code, answer.text,
                            lxml.html.fromstring(answer.text or "<html></html>"))
            target = urljoin(str(answer.url), location)
            if not self._inside(target):
                return Page(target, answer.status_code, "", lxml.html.fromstring("<html></html>"))
            answer = self.http.get(target, headers={"Accept": "text/html"})
        raise PageError(f"more than 10 redirects from {answer.url}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
