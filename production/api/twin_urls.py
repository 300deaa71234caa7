"""Routes of the comparisons API (the line twin), mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from production.api.twin_views import ComparisonViewSet

router = SimpleRouter()
router.register("comparisons", ComparisonViewSet, basename="comparison")

urlpatterns = router.urls
