"""Page-number pagination for every API list: ``?page=2&page_size=50``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# Far past any real list, and small enough that (page - 1) * page_size fits the database's
# 64-bit offsets: ?page=400000000000000000 is a 422 with the field named, not a 500.
MAX_PAGE = 1_000_000


class PageInput(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class PagePagination(PaginationBase):
    Input = PageInput

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Items on all pages.")
        page: int
        page_size: int
        pages: int = Field(description="Number of pages (0 when there are no items).")

    items_attribute = "items"

    def paginate_queryset(self, queryset: QuerySet, pagination: PageInput, request: HttpRequest,
                          **params: Any) -> dict[str, Any]:
        count = self._items_count(queryset)
        size = pagination.page_size
        offset = (pagination.page - 1) * size
        return {
            "items": queryset[offset:offset + size],
            "count": count,
            "page": pagination.page,
            "page_size": size,
            "pages": -(-count // size),
        }
