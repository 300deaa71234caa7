"""The supply pages, mounted at the site root."""

from django.urls import path

from production.supply import views

app_name = "supply"

urlpatterns = [
    path("replenishment/", views.replenishment, name="replenishment"),
]
