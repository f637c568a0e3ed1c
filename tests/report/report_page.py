"""Reading a written report back for the tests: its tables (class, caption, body rows as cell
text), its embedded data, and every URL it refers to."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any


@dataclass
class Table:
    classes: set[str]
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)
    row_classes: list[set[str]] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.stack: list[Table] = []
        self.in_body = False
        self.cell: list[str] | None = None
        self.in_caption = False
        self.urls: list[str] = []
        self.script_type: str | None = None
        self.scripts: dict[str, str] = {}
        self.script_id: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href", "action", "data"):
            if a.get(key) and not str(a[key]).startswith("#"):
                self.urls.append(str(a[key]))
        if tag == "table":
            t = Table(set((a.get("class") or "").split()))
            self.tables.append(t)
            self.stack.append(t)
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.stack and self.in_body:
            self.stack[-1].rows.append([])
            self.stack[-1].row_classes.append(set((a.get("class") or "").split()))
        elif tag in ("td", "th") and self.stack and self.in_body:
            self.cell = []
        elif tag == "caption":
            self.in_caption = True
        elif tag == "script":
            self.script_type = a.get("type") or "text/javascript"
            self.script_id = a.get("id")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.stack:
            self.stack.pop()
        elif tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None and self.stack:
            if self.stack[-1].rows:
                self.stack[-1].rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "caption":
            self.in_caption = False
        elif tag == "script":
            self.script_type = None

    def handle_data(self, data: str) -> None:
        if self.script_type is not None:
            if self.script_id:
                self.scripts[self.script_id] = self.scripts.get(self.script_id, "") + data
            return
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.in_caption and self.stack:
            self.stack[-1].caption += data


@dataclass
class Page:
    html: str
    tables: list[Table]
    urls: list[str]
    data: dict[str, Any]
    text: str

    def tables_with(self, *classes: str) -> list[Table]:
        return [t for t in self.tables if set(classes) <= t.classes]


def read_page(path: Path) -> Page:
    html = path.read_text(encoding="utf-8")
    p = _Parser()
    p.feed(html)
    p.close()
    data = json.loads(p.scripts.get("tj-data", "{}"))
    return Page(html, p.tables, p.urls, data, " ".join(p.text))
