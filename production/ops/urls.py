from django.urls import path

from production.ops import health, metrics

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ReadyView.as_view(), name="health-ready"),
    path("health/", health.DetailView.as_view(), name="health-detail"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
