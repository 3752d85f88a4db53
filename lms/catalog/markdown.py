"""Lesson Markdown → safe HTML (markdown-it-py, then nh3 keeps only harmless tags and attributes)."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table").enable("strikethrough")


def render_markdown(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _md.render(text)
    clean = nh3.clean(html, link_rel="noopener noreferrer nofollow",
                      url_schemes={"http", "https", "mailto"})
    return Markup(clean)
