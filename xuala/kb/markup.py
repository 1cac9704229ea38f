"""Article bodies: Markdown rendered to sanitised HTML, and the plain text that search indexes."""

from __future__ import annotations

import html
import re

import markdown
import nh3

from xuala.desk.services import sanitize_html

# Private-use characters that search uses to mark matches inside snippets (xuala.kb.search);
# removed from indexed text so that an article can never forge a highlight.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|pre|tr|td|th|div|blockquote|table|ul|ol)>|<br\s*/?>",
                        re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def render_markdown(source: str) -> str:
    """Markdown to HTML, then through the desk's nh3 allow-list: raw HTML in the source
    (a <script>, an onclick, a javascript: link) never reaches a page."""
    raw = markdown.markdown(source or "", extensions=["extra", "sane_lists"],
                            output_format="html")
    return sanitize_html(raw)


def html_to_text(value: str) -> str:
    """Visible text of sanitised HTML, one line per block."""
    value = _BLOCK_END.sub(lambda m: m.group(0) + "\n", value)
    text = html.unescape(nh3.clean(value, tags=set()))
    return clean_text(text)


def clean_text(text: str) -> str:
    text = text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def markdown_to_text(source: str) -> str:
    return html_to_text(render_markdown(source))
