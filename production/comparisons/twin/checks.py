"""The checks every part of a spec goes through: numbers with their real bounds, objects
with only the keys they know, lists. Each failure names the field at fault."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


class SpecError(ValueError):
    """The spec is not valid; `field` is the path of the value at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.message = message
        self.field = field


def num(
    value: Any, path: str, *, low: float = 0.0, integer: bool = False, allow_zero: bool = False
) -> Any:
    """A finite number above `low` (or at least `low` with `allow_zero`); the message
    states the bound as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError("must be a number", field=path)
    if integer and int(value) != value:
        raise SpecError("must be a whole number", field=path)
    if value < low or (value == low and not allow_zero):
        bound = f"at least {low:g}" if allow_zero else f"greater than {low:g}"
        raise SpecError(f"must be {bound}", field=path)
    return int(value) if integer else float(value)


def obj(value: Any, path: str, known: Iterable[str] | None = None) -> dict[str, Any]:
    """An object; with `known`, a key outside it is refused by name (a typo would
    otherwise be ignored and the default used without a word)."""
    if not isinstance(value, dict):
        raise SpecError("must be an object", field=path)
    if known is not None:
        allowed = set(known)
        for key in value:
            if key not in allowed:
                raise SpecError(
                    f"unknown key {key!r}; known keys: {', '.join(sorted(allowed))}",
                    field=f"{path}.{key}" if path != "spec" else str(key),
                )
    return value


def seq(value: Any, path: str, *, nonempty: bool = True) -> list[Any]:
    if not isinstance(value, list) or (nonempty and not value):
        raise SpecError("must be a non-empty list", field=path)
    return value


def per_product(value: Any, skus: list[str], path: str, *, low: int) -> list[int]:
    """A whole number for every product, or a map sku -> whole number, each at least `low`."""
    if isinstance(value, dict):
        missing = [s for s in skus if s not in value]
        if missing:
            raise SpecError(f"no value for {', '.join(missing)}", field=path)
        unknown = [s for s in value if s not in skus]
        if unknown:
            raise SpecError(f"no product {', '.join(map(str, unknown))}", field=path)
        return [num(value[s], f"{path}.{s}", low=low, allow_zero=True, integer=True) for s in skus]
    n = num(value, path, low=low, allow_zero=True, integer=True)
    return [n] * len(skus)


def per_product_amount(value: Any, skus: list[str], path: str) -> list[float]:
    """A positive amount for every product, or a map sku -> amount."""
    if isinstance(value, dict):
        missing = [s for s in skus if s not in value]
        if missing:
            raise SpecError(f"no value for {', '.join(missing)}", field=path)
        return [num(value[s], f"{path}.{s}") for s in skus]
    return [num(value, path)] * len(skus)
