"""API pagination: a page of results with a capped count (see kam.core.pagination)."""

from __future__ import annotations

from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kam.core.pagination import paginate


class CappedPageNumberPagination(BasePagination):
    page_size = 50
    max_page_size = 500
    page_query_param = "page"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None):
        try:
            asked = int(request.query_params.get(self.page_size_query_param, self.page_size))
            size = min(self.max_page_size, max(1, asked))
        except ValueError:
            size = self.page_size
        self.request = request
        self.page = paginate(queryset, request.query_params.get(self.page_query_param, 1), size)
        return self.page.rows

    def _link(self, number: int | None) -> str | None:
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        page = self.page
        return Response({
            "count": page.total,
            "count_capped": page.total_capped,
            "next": self._link(page.number + 1 if page.has_next else None),
            "previous": self._link(page.number - 1 if page.has_previous else None),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Total, counted up to a cap"},
                "count_capped": {"type": "boolean", "description": "True when the total exceeds the cap"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }
