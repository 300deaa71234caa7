"""Processing-time and demand distributions, all given by a mean and a coefficient of variation.

A job of `q` units takes the sum of `q` independent unit times. Its mean is `q x mean`
and its CV is `cv / sqrt(q)`; the exponential sum is exactly Gamma(q), the lognormal
sum is approximated by the lognormal with those two moments (Fenton-Wilkinson).
"""

from __future__ import annotations

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
        mean = self.mean * units
        if self.kind == "deterministic" or self.effective_cv == 0:
            return mean
        if self.kind == "exponential":
            return rng.gamma(shape=np.maximum(units, 1e-12), scale=self.mean)
        cv = self.cv / np.sqrt(np.maximum(units, 1e-12))
        if self.kind == "gamma":
            shape = 1.0 / cv**2
            return rng.gamma(shape=shape, scale=mean / shape)
        sigma2 = np.log1p(cv**2)
        return rng.lognormal(
            mean=np.log(np.maximum(mean, 1e-300)) - sigma2 / 2, sigma=np.sqrt(sigma2)
        )
