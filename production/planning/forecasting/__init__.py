"""Demand forecasting: vectorised methods, rolling-origin backtest, selection. No Django."""

from production.planning.forecasting.selection import (
    METHOD_LABELS,
    METHODS,
    ForecastConfig,
    SeriesForecast,
    forecast_portfolio,
    select,
)

__all__ = [
    "METHODS",
    "METHOD_LABELS",
    "ForecastConfig",
    "SeriesForecast",
    "forecast_portfolio",
    "select",
]
