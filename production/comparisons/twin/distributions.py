"""Processing-time and demand distributions, all given by a mean and a coefficient of variation.

A job of `q` units takes the sum of `q` independent unit times. Its mean is `q x mean`
and its CV is `cv / sqrt(q)`; the exponential sum is exactly Gamma(q), the lognormal
sum is approximated by the lognormal with those two moments (Fenton-Wilkinson).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

KINDS = ("deterministic", "exponential", "lognormal", "gamma")


@dataclass(frozen=True)
class Dist:
    kind: str
    mean: float
    cv: float = 0.0

    @property
    def effective_cv(self) -> float:
        if self.kind == "deterministic":
            return 0.0
        if self.kind == "exponential":
            return 1.0
        return self.cv

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> Array:
        """`size` independent draws of one unit."""
        return self.sample_sum(rng, np.ones(size))

    def sample_sum(self, rng: np.random.Generator, units: Array) -> Array:
        """For each entry of `units`, the time (or quantity) of that many independent units."""
        units = np.asarray(units, dtype=float)
        draw = self._draw(units)
        if draw is None:
            return self.mean * units
        method, first, second = draw
        return _SAMPLERS[method](rng, first, second)

    def _draw(self, units: Array) -> tuple[str, Array, Array] | None:
        """The numpy sampler and its two parameters per entry; None if nothing is drawn."""
        if self.kind == "deterministic" or self.effective_cv == 0:
            return None
        if self.kind == "exponential":
            shape = np.maximum(units, 1e-12)
            return "gamma", shape, np.full_like(shape, self.mean)
        mean = self.mean * units
        cv = self.cv / np.sqrt(np.maximum(units, 1e-12))
        if self.kind == "gamma":
            shape = 1.0 / cv**2
            return "gamma", shape, mean / shape
        sigma2 = np.log1p(cv**2)
        return "lognormal", np.log(np.maximum(mean, 1e-300)) - sigma2 / 2, np.sqrt(sigma2)


def _gamma(rng: np.random.Generator, shape: Array, scale: Array) -> Array:
    return rng.gamma(shape=shape, scale=scale)


def _lognormal(rng: np.random.Generator, mu: Array, sigma: Array) -> Array:
    """exp(mu + sigma z) from the standard normals `rng.lognormal` would use, without its
    slow path for array parameters; numpy's exp agrees with the C library's to one ulp."""
    z = rng.standard_normal(np.shape(mu))
    z *= sigma
    z += mu
    return np.exp(z, out=z)


_SAMPLERS = {"gamma": _gamma, "lognormal": _lognormal}


def sample_sums_in_groups(
    rng: np.random.Generator,
    dists: Sequence[Dist],
    units: Array,
    sizes: Sequence[int] | NDArray[np.intp],
) -> Array:
    """`(len(dists), len(units))` draws of `sample_sum`: the same numbers as calling

        [d.sample_sum(rng, group) for d in dists]

    for each group of consecutive `units` (of `sizes`) in turn. numpy draws array
    parameters one entry after the other, so when every dist uses the same sampler all
    the draws are one call, with the parameters laid out in that order.
    """
    units = np.asarray(units, dtype=float)
    out = np.empty((len(dists), len(units)))
    drawn: list[tuple[int, tuple[str, Array, Array]]] = []
    for i, dist in enumerate(dists):
        draw = dist._draw(units)
        if draw is None:
            out[i] = dist.mean * units
        else:
            drawn.append((i, draw))
    methods = {method for _, (method, _, _) in drawn}
    if len(methods) > 1:
        start = 0
        for size in sizes:
            group = units[start : start + size]
            for i, _ in drawn:
                out[i, start : start + size] = dists[i].sample_sum(rng, group)
            start += size
        return out
    if not drawn:
        return out
    count = np.asarray(sizes, dtype=np.intp)
    starts = np.repeat(np.cumsum(count) - count, count)
    # Draw (k-th drawing dist, job j) comes after every draw of the earlier groups and
    # of the earlier dists in j's own group.
    position = (
        len(drawn) * starts
        + (np.arange(len(units)) - starts)
        + np.arange(len(drawn))[:, None] * np.repeat(count, count)
    )
    first = np.empty(position.size)
    second = np.empty(position.size)
    for k, (_, (_, a, b)) in enumerate(drawn):
        first[position[k]] = a
        second[position[k]] = b
    values = _SAMPLERS[methods.pop()](rng, first, second)
    out[[i for i, _ in drawn]] = values[position]
    return out
