"""The shapes the pages repeat, written once: a titled section, and a list that is a table
of rows or a sentence when there are none.

    {% load layout %}
    {% section "canned" _("Canned replies") class="card" %}
      {% table rows id="canned" class="tickets" empty=_("There are no canned replies yet.") %}
        <thead><tr>{% headings _("Title") _("Language") hidden=_("Actions") %}</tr></thead>
        <tbody>{% for row in rows %}<tr>…</tr>{% endfor %}</tbody>
      {% endtable %}
    {% endsection %}
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def headings(*labels, hidden=None):
    """The column headings of a table's head row; ``hidden``: a last column's label read only
    by screen readers (a column of buttons)."""
    cells = format_html_join("", '<th scope="col">{}</th>', ((label,) for label in labels))
    if hidden:
        cells += format_html('<th scope="col"><span class="visually-hidden">{}</span></th>',
                             hidden)
    return cells


def _attribute(name: str, value) -> str:
    return format_html(' {}="{}"', name, value) if value else ""


def _options(parser, name: str, bits: list[str], allowed: tuple[str, ...]) -> dict:
    options = {}
    for bit in bits:
        option, sep, value = bit.partition("=")
        if not sep or option not in allowed:
            raise template.TemplateSyntaxError(f"{name}: unknown option {bit!r}")
        options[option] = parser.compile_filter(value)
    return options


class BlockNode(template.Node):
    """A block tag's body, its arguments and options, resolved when it is drawn."""

    def __init__(self, draw, arguments, options, nodelist):
        self.draw, self.arguments, self.options = draw, arguments, options
        self.nodelist = nodelist

    def render(self, context):
        arguments = [argument.resolve(context) for argument in self.arguments]
        options = {name: value.resolve(context) for name, value in self.options.items()}
        return self.draw(context, self.nodelist, *arguments, **options)


def _block_tag(parser, token, *, arguments: int, allowed: tuple[str, ...], draw):
    name, *bits = token.split_contents()
    if len(bits) < arguments or any("=" in bit for bit in bits[:arguments]):
        raise template.TemplateSyntaxError(f"{name} needs {arguments} argument(s) first")
    given = [parser.compile_filter(bit) for bit in bits[:arguments]]
    options = _options(parser, name, bits[arguments:], allowed)
    nodelist = parser.parse((f"end{name}",))
    parser.delete_first_token()
    return BlockNode(draw, given, options, nodelist)


def _draw_table(context, nodelist, rows, *, id=None, empty="", empty_id=None, **attributes):
    if not rows:
        return format_html('<p class="empty"{}>{}</p>', _attribute("id", empty_id), empty)
    return format_html('<div class="table-wrap"><table{}{}>{}</table></div>',
                       _attribute("id", id), _attribute("class", attributes.get("class")),
                       nodelist.render(context))


@register.tag
def table(parser, token):
    """``{% table ROWS [id=…] [class=…] empty=… [empty_id=…] %}BODY{% endtable %}``: BODY (the
    head and the rows) in a scrolling table wrapper when ROWS has any; else ``empty`` in a
    ``<p class="empty">``."""
    return _block_tag(parser, token, arguments=1, allowed=("id", "class", "empty", "empty_id"),
                      draw=_draw_table)


def _draw_section(context, nodelist, stem, title, *, id=None, **attributes):
    return format_html('<section{}{} aria-labelledby="{}-title">\n<h2 id="{}-title">{}</h2>{}'
                       '</section>', _attribute("id", id),
                       _attribute("class", attributes.get("class")), stem, stem, title,
                       nodelist.render(context))


@register.tag
def section(parser, token):
    """``{% section STEM TITLE [id=…] [class=…] %}BODY{% endsection %}``: a section titled
    TITLE (an ``<h2>`` with the id ``STEM-title``, which the section is labelled by)."""
    return _block_tag(parser, token, arguments=2, allowed=("id", "class"), draw=_draw_section)
