"""Routes of the ERP API v1 (kanban side), mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from kanban.api.views import CardViewSet, LoopViewSet
from kanban.inventory.api import CardCountViewSet

router = SimpleRouter()
router.register("loops", LoopViewSet, basename="loop")
router.register("cards", CardViewSet, basename="card")
router.register("card-counts", CardCountViewSet, basename="card-count")

urlpatterns = router.urls
