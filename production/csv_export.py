"""CSV downloads of the planners' pages (dashboards, comparisons)."""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpResponse


def csv_response(filename: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
