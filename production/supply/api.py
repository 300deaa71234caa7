"""Suppliers in API v1: `suppliers/{code}/history/` (the audit trail)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from production.api.common import ApiViewSet
from production.audit.api import HistoryMixin
from production.supply.models import Supplier


class SupplierHistoryViewSet(HistoryMixin, ApiViewSet):
    queryset = Supplier.objects.all()
    lookup_field = "code"
    lookup_value_regex = "[^/]+"


router = SimpleRouter()
router.register("suppliers", SupplierHistoryViewSet, basename="supplier-history")
urlpatterns = router.urls
