"""Forecast and push-plan routes of the API v1, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from production.api import planning_views as views

router = SimpleRouter()
router.register("forecasts", views.ForecastViewSet, basename="forecast")
router.register("forecast-runs", views.ForecastRunViewSet, basename="forecast-run")
router.register("push-plans", views.PushPlanViewSet, basename="push-plan")
router.register("push-orders", views.PushOrderViewSet, basename="push-order")

urlpatterns = router.urls
