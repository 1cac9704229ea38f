"""The one shape of a list in the pages: a table of rows, or a sentence when there are none.

    {% load tables %}
    {% table rows id="canned" class="tickets" empty=_("There are no canned replies yet.") %}
      <thead><tr>{% headings _("Title") _("Language") hidden=_("Actions") %}</tr></thead>
      <tbody>{% for row in rows %}<tr>…</tr>{% endfor %}</tbody>
    {% endtable %}
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


class TableNode(template.Node):
    def __init__(self, rows, nodelist, options):
        self.rows, self.nodelist, self.options = rows, nodelist, options

    def render(self, context):
        option = {name: value.resolve(context) for name, value in self.options.items()}
        if not self.rows.resolve(context):
            return format_html('<p class="empty"{}>{}</p>',
                               _attribute("id", option.get("empty_id")), option.get("empty", ""))
        return format_html('<div class="table-wrap"><table{}{}>{}</table></div>',
                           _attribute("id", option.get("id")),
                           _attribute("class", option.get("class")),
                           self.nodelist.render(context))


def _attribute(name: str, value) -> str:
    return format_html(' {}="{}"', name, value) if value else ""


@register.tag
def table(parser, token):
    """``{% table ROWS [id=…] [class=…] empty=… [empty_id=…] %}BODY{% endtable %}``: BODY (the
    head and the rows) in a scrolling table wrapper when ROWS has any; else ``empty`` in a
    ``<p class="empty">``."""
    name, *bits = token.split_contents()
    if not bits:
        raise template.TemplateSyntaxError(f"{name} needs the rows it shows")
    rows, *bits = bits
    options = {}
    for bit in bits:
        option, sep, value = bit.partition("=")
        if not sep or option not in ("id", "class", "empty", "empty_id"):
            raise template.TemplateSyntaxError(f"{name}: unknown option {bit!r}")
        options[option] = parser.compile_filter(value)
    nodelist = parser.parse(("endtable",))
    parser.delete_first_token()
    return TableNode(parser.compile_filter(rows), nodelist, options)
