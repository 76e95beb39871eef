"""Helpers for the public web form tests: a small HTML tree to ask questions of a page, and
reading the form's hidden fields and the stored feedback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from intake.bootstrap import Runtime
from intake.storage.models import Feedback

REFERENCE = re.compile(r"(?<![A-Z0-9-])FB-[A-Z0-9]{4,}\b")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text inside, whitespace collapsed (as a person reads it)."""
        return " ".join(self.raw_text.split())

    @property
    def raw_text(self) -> str:
        if self.tag == "br":
            return "\n"
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None,
                 **attrs: str) -> list[Element]:
        """Elements by tag, one class, and exact attribute values (``for_`` means ``for``)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [e for e in self.iter()
                if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)
                and all(e.attrs.get(k) == v for k, v in wanted.items())]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag or '*'} class={cls} {attrs}>, found {len(found)}"
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.one(id=element_id)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(
            Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


@dataclass
class Page:
    """A rendered page: its status and the HTML as a tree."""

    status: int
    html: str
    root: Element

    @classmethod
    def of(cls, response: TestResponse) -> Page:
        html = response.get_data(as_text=True)
        builder = _TreeBuilder()
        builder.feed(html)
        builder.close()
        return cls(response.status_code, html, builder.root)

    @property
    def title(self) -> str:
        return self.root.one("head").one("title").text

    @property
    def html_element(self) -> Element:
        return self.root.one("html")

    @property
    def h1(self) -> str:
        return self.root.one("h1").text

    @property
    def main(self) -> Element:
        return self.root.by_id("maincontent")

    def field(self, name: str) -> str:
        """The value of a hidden (or any) input."""
        return self.root.one("input", name=name).attrs.get("value", "")

    def checked(self, name: str) -> list[str]:
        return [e.attrs["value"] for e in self.root.find_all("input", name=name)
                if "checked" in e.attrs]

    def selected(self, name: str) -> str | None:
        options = self.root.one("select", name=name).find_all("option")
        chosen = [o.attrs["value"] for o in options if "selected" in o.attrs]
        return chosen[0] if chosen else None

    def error_summary(self) -> list[tuple[str, str]]:
        summary = self.root.one(cls="nhsuk-error-summary")
        return [(a.attrs["href"], a.text) for a in summary.find_all("a")]

    def inline_errors(self) -> dict[str, str]:
        """Field id -> its inline message, without the visually hidden prefix."""
        messages = {}
        for span in self.root.find_all("span", cls="nhsuk-error-message"):
            hidden = span.find(cls="nhsuk-u-visually-hidden")
            text = span.text
            if hidden is not None:
                text = text.removeprefix(hidden.text).strip()
            messages[span.attrs["id"].removesuffix("-error")] = text
        return messages

    def reference(self) -> str | None:
        found = REFERENCE.findall(self.main.text)
        return found[0] if found else None

    def links(self) -> dict[str, str]:
        """Link text -> href, within the main content."""
        return {a.text: a.attrs.get("href", "") for a in self.main.find_all("a")}


def get(client: FlaskClient, path: str) -> Page:
    return Page.of(client.get(path))


def open_form(client: FlaskClient, path: str = "/feedback") -> tuple[str, str]:
    """GET the form; returns its csrf_token and submission id."""
    page = get(client, path)
    assert page.status == 200, page.html[:500]
    return page.field("csrf_token"), page.field("submission")


def feedback_by_reference(runtime: Runtime, reference: str) -> Feedback:
    with runtime.sessions() as session:
        feedback = session.scalar(select(Feedback).where(Feedback.reference == reference))
        assert feedback is not None, f"no feedback {reference}"
        _ = feedback.tags  # loaded before the session closes
        return feedback


def active_tags(feedback: Feedback) -> dict[str, list[tuple[str, str | None, str]]]:
    """Kind -> [(value, code, source)] of the tags not retracted."""
    tags: dict[str, list[tuple[str, str | None, str]]] = {}
    for tag in feedback.tags:
        if tag.retracted_at is None:
            tags.setdefault(tag.kind, []).append((tag.value, tag.code, tag.source))
    return tags
