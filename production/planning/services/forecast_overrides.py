"""A planner's changes to forecasts: the plant's and a product's calendar, and overrides of
a product's forecast for one bucket (set, adjust or clear), each kept in the history."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from production.errors import DomainError
from production.models import Product
from production.planning.forecasting import calendar as cal
from production.planning.models import (
    MAX_SEASON,
    ForecastCalendar,
    ForecastOverride,
    OverrideKind,
    ProductForecast,
    ProductForecastCalendar,
)


def effective_values(forecast: ProductForecast) -> list[float]:
    """The forecast in force per bucket: the model's, with the planner's overrides."""
    return cal.apply_overrides(
        forecast.values,
        start=forecast.start_date,
        bucket=forecast.bucket,
        overrides=forecast.overrides,
    )


def _check_calendar(bucket: str, season_length: int | None) -> None:
    if bucket not in ("", *cal.BUCKETS):
        raise DomainError(
            _("bucket must be one of day, week, month (or blank: detected)."), field="bucket"
        )
    if season_length is None:
        return
    highest = MAX_SEASON[bucket] if bucket else max(MAX_SEASON.values())
    if not 1 <= season_length <= highest:
        raise DomainError(
            _("season_length must be between 1 (no season) and %(high)s for %(bucket)s buckets.")
            % {"high": highest, "bucket": bucket or "any"},
            field="season_length",
        )


@transaction.atomic
def forecast_calendar_set(
    *, bucket: str, season_length: int | None, actor_id: int | None
) -> ForecastCalendar:
    """The plant's calendar (blank bucket / no season length: detected per product)."""
    _check_calendar(bucket, season_length)
    plant = ForecastCalendar.objects.select_for_update().order_by("pk").first()
    plant = plant or ForecastCalendar()
    plant.bucket, plant.season_length, plant.updated_by_id = bucket, season_length, actor_id
    plant.save()
    return plant


@transaction.atomic
def product_forecast_calendar_set(
    *, product: Product, bucket: str, season_length: int | None, actor_id: int | None
) -> ProductForecastCalendar:
    """A product's calendar over the plant's (blank: the plant's, or detected)."""
    _check_calendar(bucket, season_length)
    own, _created = ProductForecastCalendar.objects.select_for_update().get_or_create(
        product=product
    )
    own.bucket, own.season_length, own.updated_by_id = bucket, season_length, actor_id
    own.save()
    return own


@transaction.atomic
def forecast_override(
    *,
    product: Product,
    period_start: date,
    kind: str,
    quantity: float | None,
    reason: str,
    actor_id: int | None,
) -> ForecastOverride:
    """Set, adjust or clear the forecast of one bucket of a product's current forecast.

    The bucket must be one of the forecast's (its start date, within the horizon);
    the result is never negative; the reason is required. The history row records the
    forecast in force before and after, and the model's own value.
    """
    forecast = ProductForecast.objects.select_for_update().filter(product=product).first()
    if forecast is None:
        raise DomainError(
            _("%(sku)s has no forecast yet: refresh the forecasts first.") % {"sku": product.sku},
            field="product",
            code="no_forecast",
        )
    if kind not in OverrideKind.values:
        raise DomainError(_("kind must be one of set, adjust, clear."), field="kind")
    if not reason.strip():
        raise DomainError(_("A reason is required."), field="reason")
    starts = cal.bucket_dates(forecast.start_date, forecast.bucket, len(forecast.values))
    if period_start not in starts:
        raise DomainError(
            _(
                "period_start must be the first day of one of the forecast's %(bucket)s buckets, "
                "%(first)s to %(last)s."
            )
            % {"bucket": forecast.bucket, "first": starts[0], "last": starts[-1]},
            field="period_start",
        )
    index = starts.index(period_start)
    model_value = float(forecast.values[index])
    before = effective_values(forecast)[index]
    if kind == OverrideKind.CLEAR:
        after, quantity = model_value, 0.0
    elif quantity is None:
        raise DomainError(_("quantity is required to set or adjust."), field="quantity")
    else:
        after = float(quantity) if kind == OverrideKind.SET else before + float(quantity)
    if after < 0:
        raise DomainError(
            _("The forecast would be %(after)s: it cannot be negative.") % {"after": after},
            field="quantity",
        )
    key = period_start.isoformat()
    overrides = dict(forecast.overrides)
    if kind == OverrideKind.CLEAR:
        overrides.pop(key, None)
    else:
        overrides[key] = round(after, 4)
    forecast.overrides = overrides
    forecast.save(update_fields=["overrides"])
    return ForecastOverride.objects.create(
        product=product,
        bucket=forecast.bucket,
        period_start=period_start,
        kind=kind,
        quantity=float(quantity),
        before=before,
        after=after,
        model_value=model_value,
        reason=reason.strip(),
        created_by_id=actor_id,
    )
