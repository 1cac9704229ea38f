"""HTML in the desk: the one sanitiser for what is shown, and the one way to text.

``sanitize_html`` keeps an allow-list of tags (nh3) for bodies shown in pages;
``text_to_html`` turns plain text into paragraphs; ``html_to_text`` derives readable text
(quotes marked with ">") from any HTML, in linear time, for mail bodies and search.
"""

from __future__ import annotations

import html as html_module
import re

import nh3

__all__ = ["ALLOWED_TAGS", "html_to_text", "sanitize_html", "text_to_html"]

# --------------------------------------------------------------------------------------------
# The sanitiser

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote",
                "pre", "code", "a", "h1", "h2", "h3", "h4", "table", "thead", "tbody", "tr",
                "td", "th", "span", "div", "hr"}

# nh3's cost grows with the square of the nesting depth: a hostile mail of 20,000 nested
# <div>s takes seconds. Past these bounds the markup is dropped and its text kept.
MAX_HTML_CHARS = 300_000
MAX_HTML_TAGS = 4_000
_TAG_RE = re.compile(r"<[^>]*>")


def sanitize_html(raw: str) -> str:
    if len(raw) > MAX_HTML_CHARS or raw.count("<") > MAX_HTML_TAGS:
        text = html_module.unescape(_TAG_RE.sub(" ", raw[:MAX_HTML_CHARS]))
        return text_to_html(re.sub(r"[ \t]+", " ", text))
    return nh3.clean(raw, tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow",
                     url_schemes={"http", "https", "mailto"})


def text_to_html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html_module.escape(p).replace(chr(10), '<br>')}</p>"
                   for p in paragraphs)


# --------------------------------------------------------------------------------------------
# HTML to text

_MAX_QUOTE_DEPTH = 10              # deeper HTML blockquotes are drawn with ten ">"
_HTML_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML's white space: &nbsp; is not collapsed
# One token at a time, each pattern bounded by the next "<" or ">": linear on any input.
# (The standard library's html.parser is not: thousands of unclosed ``<a b="`` take minutes,
# and html5ever-based sanitisers go quadratic on deep nesting; mail brings both.)
_HTML_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"                              # comment, terminated or not
    r"|<(/?)([a-zA-Z][a-zA-Z0-9:_-]*)([^<>]*)>"       # start or end tag
    r"|<[!?/][^<>]*>",                                # doctype, <?xml?>, <![if …]>, </ >
    re.DOTALL,
)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_SKIP_CONTENT = frozenset({"script", "style", "title", "template", "xml", "svg", "iframe",
                           "object", "noscript", "select"})
_SKIP_END = {tag: re.compile(rf"</{tag}\b", re.IGNORECASE) for tag in _SKIP_CONTENT}
_BLOCK = frozenset({"p", "div", "table", "tr", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3",
                    "h4", "h5", "h6", "section", "article", "header", "footer", "aside", "nav",
                    "main", "form", "fieldset", "address", "center", "figure", "figcaption",
                    "hr", "pre", "body", "html", "caption", "details", "summary"})


class _HtmlText:
    """Readable text from HTML tokens: blocks become lines, blockquotes become "> " quotes."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []
        self._current: list[str] = []
        self._depth = 0
        self._line_depth = 0
        self._pre = 0
        self._links: list[tuple[str, list[str]]] = []

    def _newline(self, force: bool = False) -> None:
        raw = "".join(self._current)
        text = raw.rstrip() if self._pre else raw.strip()
        # Outlook writes its blank lines as paragraphs holding one &nbsp;.
        if text or force or "\xa0" in raw:
            self.lines.append((self._line_depth if text else self._depth, text))
        self._current = []
        self._line_depth = self._depth

    def _append(self, text: str) -> None:
        if not self._current:
            self._line_depth = self._depth
        self._current.append(text)
        if self._links:  # the innermost link only: unclosed links must not cost n² appends
            self._links[-1][1].append(text)

    def start(self, tag: str, attrs: str) -> None:
        if tag == "br":
            self._newline(force=True)
        elif tag == "blockquote":
            self._newline()
            self._depth += 1
            self._line_depth = self._depth
        elif tag == "li":
            self._newline()
            self._append("- ")
        elif tag in _BLOCK:
            self._newline()
            if tag == "pre":
                self._pre += 1
        elif tag in {"td", "th"}:
            self._append(" ")
        elif tag == "a":
            match = _HREF.search(attrs)
            href = html_module.unescape(next(g for g in match.groups() if g is not None)
                                        ) if match else ""
            self._links.append((href.strip(), []))

    def end(self, tag: str) -> None:
        if tag == "blockquote":
            self._newline()
            self._depth = max(0, self._depth - 1)
            self._line_depth = self._depth
        elif tag in _BLOCK or tag == "li":
            self._newline()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._links:
            href, link_text = self._links.pop()
            shown = "".join(link_text)
            target = href[7:] if href.lower().startswith("mailto:") else href
            if (href.lower().startswith(("http://", "https://", "mailto:"))
                    and target and target not in shown):
                self._append(f" <{target}>")

    def data(self, data: str) -> None:
        data = html_module.unescape(data)
        if self._pre:
            for i, chunk in enumerate(data.replace("\r\n", "\n").split("\n")):
                if i:
                    self._newline(force=True)
                self._append(chunk)
            return
        text = _HTML_SPACES.sub(" ", data)
        if not self._current:
            text = text.lstrip(" ")
        if text:
            self._append(text)

    def text(self) -> str:
        self._newline()
        out: list[str] = []
        blank = 0
        for depth, line in self.lines:
            if not line:
                blank += 1
                if blank > 1:
                    continue
                out.append(("> " * min(depth, _MAX_QUOTE_DEPTH)).rstrip())
                continue
            blank = 0
            out.append("> " * min(depth, _MAX_QUOTE_DEPTH) + line.replace("\xa0", " "))
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Plain text derived from an HTML body (quotes marked with ">"), in linear time."""
    builder = _HtmlText()
    position, size = 0, len(html)
    while position < size:
        match = _HTML_TOKEN.search(html, position)
        if match is None:
            builder.data(html[position:])
            break
        if match.start() > position:
            builder.data(html[position:match.start()])
        position = match.end()
        tag = match.group(2)
        if tag is None:
            continue  # a comment or a declaration
        tag = tag.lower()
        attrs = match.group(3)
        if match.group(1):
            builder.end(tag)
        elif tag in _SKIP_CONTENT:
            if not attrs.rstrip().endswith("/"):
                closing = _SKIP_END[tag].search(html, position)
                position = closing.start() if closing else size
        else:
            builder.start(tag, attrs)
            if attrs.rstrip().endswith("/") and tag in {"blockquote", "pre", "a"}:
                builder.end(tag)
    return builder.text()

