"""Reads for the comparison pages and the API: lists, charts, tables, side by side."""

from __future__ import annotations

from typing import Any

from production.comparisons.models import Comparison, ComparisonStatus
from production.models import ProductionLine


def latest_line_comparison(*, line: ProductionLine) -> Comparison | None:
    """The newest finished comparison of a line (the nightly shadow run, or a planner's)."""
    return (
        Comparison.objects.filter(line=line, status=ComparisonStatus.DONE)
        .defer("spec")
        .order_by("-created_at", "-id")
        .first()
    )


def comparison_chart(comparison: Comparison | None) -> dict[str, Any]:
    """Series and headline metrics of each policy, side by side, for the charts."""
    if comparison is None or not comparison.results:
        return {}
    policies = comparison.results.get("policies", [])
    return {
        "id": comparison.pk,
        "name": comparison.name,
        "kind": comparison.kind,
        "summary": comparison.results.get("verdict", {}).get("summary", ""),
        "days": policies[0]["series"]["day"] if policies else [],
        "policies": [
            {
                "label": p["label"],
                "fg_inventory": p["series"]["fg_inventory"],
                "wip": p["series"]["wip"],
                "backorders": p["series"]["backorders"],
                "metrics": p["metrics"],
            }
            for p in policies
        ],
    }


def _format(metric: str, value: float, half: float) -> str:
    if metric == "fill_rate":
        text, pm = f"{value:.1%}", f"{half:.1%}"
    elif metric in ("work_orders_released", "overproduction") or abs(value) >= 100:
        text, pm = f"{value:,.0f}", f"{half:,.0f}"
    else:
        text, pm = f"{value:,.2f}", f"{half:,.2f}"
    return f"{text} ± {pm}" if half > 0 else text


def comparison_table(results: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The verdict's measures as rows, one cell per policy, best cells marked."""
    if not results:
        return []
    policies = results.get("policies", [])
    rows = []
    for best in results.get("verdict", {}).get("best", []):
        key = best["metric"]
        cells = [
            {
                "text": _format(key, p["metrics"][key], p["ci95"][key]),
                "best": p["label"] in best.get("leaders", []),
                "clear": p["label"] in best.get("leaders", []) and best["clear"],
            }
            for p in policies
        ]
        rows.append({"label": best["label"], "cells": cells})
    return rows


def comparisons_side_by_side(*, ids: list[int]) -> list[dict[str, Any]]:
    """One row per policy of each finished comparison, with its headline metrics."""
    rows = []
    for c in Comparison.objects.filter(pk__in=ids, status=ComparisonStatus.DONE).order_by("pk"):
        for policy in (c.results or {}).get("policies", []):
            rows.append(
                {"comparison": c.pk, "name": c.name, "policy": policy["label"], **policy["metrics"]}
            )
    return rows


def comparisons_list(*, limit: int = 50) -> list[Comparison]:
    return list(
        Comparison.objects.select_related("line", "created_by")
        .defer("spec", "results")
        .order_by("-created_at")[:limit]
    )
