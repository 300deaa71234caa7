"""Routes of the ERP API v1 (production side), mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from production.api import views
from production.api.webhooks import WebhookDeliveryViewSet, WebhookSubscriptionViewSet

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("lines", views.LineViewSet, basename="line")
router.register("work-orders", views.WorkOrderViewSet, basename="work-order")
router.register("demand-events", views.DemandEventViewSet, basename="demand-event")
router.register("stock", views.StockViewSet, basename="stock")
router.register("backorders", views.BackorderViewSet, basename="backorder")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = router.urls
