"""Article bodies: Markdown rendered to sanitised HTML, and the plain text that search indexes."""

from __future__ import annotations

import re

import markdown

from xuala.core.html import html_to_text, sanitize_html

# Private-use characters that search uses to mark matches inside snippets (xuala.kb.search);
# removed from indexed text so that an article can never forge a highlight.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"

_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def render_markdown(source: str) -> str:
    """Markdown to HTML, then through the desk's nh3 allow-list: raw HTML in the source
    (a <script>, an onclick, a javascript: link) never reaches a page."""
    raw = markdown.markdown(source or "", extensions=["extra", "sane_lists"],
                            output_format="html")
    return sanitize_html(raw)


def clean_text(text: str) -> str:
    text = text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def markdown_to_text(source: str) -> str:
    """The visible text of an article, one line per block, as search indexes it."""
    return clean_text(html_to_text(render_markdown(source)))
