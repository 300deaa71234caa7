"""The replenishment page: every open call-off and transfer order, soonest due first,
with its status, due time, late mark and what a transfer waits for (thin: a selector)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from production.roles import OPERATOR, PLANNER, role_required
from production.supply.selectors import open_replenishment, waiting_text


@role_required(OPERATOR, PLANNER)
def replenishment(request: HttpRequest) -> HttpResponse:
    purchased = request.GET.get("purchased") == "1"
    call_offs, transfers = open_replenishment(purchased=purchased)
    for transfer in transfers:
        transfer.waiting_for = waiting_text(transfer)  # type: ignore[attr-defined]
    return render(
        request,
        "production/supply/replenishment.html",
        {"call_offs": call_offs, "transfers": transfers, "purchased": purchased},
    )
