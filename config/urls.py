from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from production import views as production_views

urlpatterns = [
    path("api/", include("config.api_urls")),  # first: the ERP's requests resolve fastest
    path("", include("production.ops.urls")),  # health and metrics: no login, no redirect
    path("", production_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    # The scripts' strings in the page's language: a script URL, so CSP stays strict.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("production.planning.urls")),
    path("", include("production.dashboards.urls")),
    path("", include("production.comparisons.urls")),
    path("", include("production.supply.urls")),
    path("", include("kanban.urls")),
]
