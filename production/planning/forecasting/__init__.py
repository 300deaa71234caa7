"""Demand forecasting: the ETS family and the Croston family, vectorised over series, with
per-series selection and prediction intervals, on each series' own calendar. No Django."""

from production.planning.forecasting.selection import (
    LEVELS,
    METHOD_LABELS,
    METHODS,
    ForecastConfig,
    SeriesForecast,
    SeriesSpec,
    forecast_portfolio,
    mase_scale,
)

__all__ = [
    "LEVELS",
    "METHODS",
    "METHOD_LABELS",
    "ForecastConfig",
    "SeriesForecast",
    "SeriesSpec",
    "forecast_portfolio",
    "mase_scale",
]
