"""A crawler for the hostile-input test: follows every link of the app as a logged-in user and
posts hostile values into every form field and query parameter, recording any 5xx.

It reads pages with the standard library's HTML parser (links, ``hx-get``/``hx-post``
attributes and forms) and visits one URL per *shape* (digits in the path count as one), so the
crawl stays bounded however much data the database holds.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from werkzeug.datastructures import MultiDict

HOSTILE_VALUES = (
    "",
    "-1",
    "1e309",
    "12345678901234567890",
    "123456789012345678901234567",
    "NaN",
    "2026-02-30",
    "x" * 5000,
    "a\x00b",
    "²",
    "1' OR '1'='1",
    "<script>alert(1)</script>",
)

# Never posted: they would end the crawl's own session.
SKIPPED_ACTIONS = ("/auth/logout",)


@dataclass
class Form:
    """One form (or an element with ``hx-post``) found on a page."""

    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def shape(self) -> tuple:
        """What makes two forms the same target for fuzzing."""
        names = sorted({re.sub(r"\d+", "N", name) for name in self.names})
        return (self.method, _shape(self.action), tuple(names))


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


class PageParser(HTMLParser):
    """Collects the links and forms of one page."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None

    def _url(self, value: str | None) -> str:
        return urljoin(self.page_url, value or self.page_url)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v or "") for k, v in attrs}
        for attr in ("href", "hx-get"):
            if a.get(attr) and (tag == "a" or attr == "hx-get"):
                self.links.append(self._url(a[attr]))
        if a.get("hx-post") and tag != "form":
            self.forms.append(Form("post", self._url(a["hx-post"])))
        if tag == "form":
            method = (a.get("method") or ("post" if a.get("hx-post") else "get")).lower()
            action = a.get("hx-post") or a.get("action")
            self._form = Form(method, self._url(action))
            self.forms.append(self._form)
        elif self._form is not None:
            if a.get("formaction"):  # a button sending its form elsewhere (bulk actions)
                form = self._form
                self.forms.append(Form("post", self._url(a["formaction"]), form.fields, form.names))
            if a.get("name"):
                self._field(tag, a)

    def _field(self, tag: str, a: dict) -> None:
        name = a["name"]
        form = self._form
        if tag == "input":
            kind = a.get("type", "text").lower()
            form.names.append(name)
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "image", "file", "reset"}:
                form.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "button" and a.get("value"):
            form.names.append(name)
        elif tag == "select":
            form.names.append(name)
            self._select, self._select_value = name, None
        elif tag == "textarea":
            form.names.append(name)
            self._textarea = name
            form.fields.append((name, ""))

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._form is not None and self._select:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class OptionAwareParser(PageParser):
    """Also records each select's chosen option (the selected one, else the first)."""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "option" and self._select is not None:
            a = {k: (v or "") for k, v in attrs}
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value", "")
            return
        super().handle_starttag(tag, attrs)


@dataclass
class Crawl:
    """The crawl's state: what was visited, and every 5xx or exception met."""

    client: object
    origin: str = "http://localhost"
    max_pages: int = 400
    per_shape: int = 3
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    seen: dict = field(default_factory=dict)
    visited: set = field(default_factory=set)
    forms: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)

    def fetch(self, method: str, url: str, data: list | None = None):
        """One request; a 5xx or an exception is recorded, never raised."""
        self.requests += 1
        label = f"{method.upper()} {url[:160]!r} {repr(data)[:200] if data else ''}"
        try:
            if method == "get":
                response = self.client.get(url)
            else:
                response = self.client.post(url, data=MultiDict(data or []))
        except Exception as error:  # noqa: BLE001 - the crawl reports any crash
            self.failures.append(f"{label} -> {type(error).__name__}: {str(error)[:200]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{label} -> {response.status_code}")
        return response

    def _local(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.netloc != urlsplit(self.origin).netloc:
            return None
        if parts.path.startswith("/static/"):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def follow(self, *starts: str) -> None:
        """Breadth-first from ``starts`` over every local link, a few URLs per shape (digits in
        the path count as one); the forms met are collected for fuzzing."""
        todo = deque(self.origin + start for start in starts or ("/",))
        while todo and len(self.seen) < self.max_pages:
            url = todo.popleft()
            local = self._local(url)
            if local is None or local in self.visited:
                continue
            shape = _shape(local)
            if self.seen.get(shape, 0) >= self.per_shape:
                continue
            self.seen[shape] = self.seen.get(shape, 0) + 1
            self.visited.add(local)
            response = self.fetch("get", local)
            if response is None or "html" not in (response.content_type or ""):
                continue
            parser = OptionAwareParser(self.origin + local)
            parser.feed(response.get_data(as_text=True))
            if urlsplit(local).query:
                self.queries.setdefault(_shape(local), local)
            for form in parser.forms:
                target = self._local(form.action)
                if target and not target.startswith(SKIPPED_ACTIONS):
                    form.action = target
                    self.forms.setdefault(form.shape(), form)
                    if form.method == "get" and form.names:
                        query = urlencode([(n, v) for n, v in form.fields if n])
                        self.queries.setdefault(form.shape(), f"{urlsplit(target).path}?{query}")
            todo.extend(parser.links)

    def fuzz_queries(self) -> None:
        """Every query parameter seen, set to each hostile value in turn."""
        for url in self.queries.values():
            parts = urlsplit(url)
            params = parse_qsl(parts.query, keep_blank_values=True)
            for index, (name, _) in enumerate(params):
                for value in HOSTILE_VALUES:
                    changed = [*params[:index], (name, value), *params[index + 1 :]]
                    self.fetch("get", f"{parts.path}?{urlencode(changed)}")

    def fuzz_forms(self) -> None:
        """Every field of every POST form, then all of them at once, set to each hostile value;
        forms that delete go last so the others still find their targets."""
        forms = sorted(
            (f for f in self.forms.values() if f.method == "post"),
            key=lambda f: ("delete" in f.action or "remove" in f.action, f.action),
        )
        for form in forms:
            names = [n for n in dict.fromkeys(form.names) if n != "csrf_token"]
            for value in HOSTILE_VALUES:
                for name in names:
                    data = [(n, v) for n, v in form.fields if n != name] + [(name, value)]
                    self.fetch("post", form.action, data)
                everything = [(n, value) for n in names]
                self.fetch("post", form.action, everything or None)
