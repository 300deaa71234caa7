"""Routes of the supply API, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from production.supply.api.views import CallOffViewSet, SupplierViewSet, TransferOrderViewSet

router = SimpleRouter()
router.register("suppliers", SupplierViewSet, basename="supplier")
router.register("call-offs", CallOffViewSet, basename="call-off")
router.register("transfer-orders", TransferOrderViewSet, basename="transfer-order")

urlpatterns = router.urls
