"""Routes of the ERP API v1 (production side), mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from production.api import views
from production.api.masterdata import LocationViewSet
from production.api.webhooks import WebhookDeliveryViewSet, WebhookSubscriptionViewSet

router = SimpleRouter()
# Demand first: an ERP sends it event by event, the hottest route of the site.
router.register("demand-events", views.DemandEventViewSet, basename="demand-event")
router.register("products", views.ProductViewSet, basename="product")
router.register("lines", views.LineViewSet, basename="line")
router.register("locations", LocationViewSet, basename="location")
router.register("work-orders", views.WorkOrderViewSet, basename="work-order")
router.register("stock", views.StockViewSet, basename="stock")
router.register("backorders", views.BackorderViewSet, basename="backorder")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
