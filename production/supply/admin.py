from django.contrib import admin

from production.audit.admin import HistoryAdmin
from production.supply.models import Supplier


@admin.register(Supplier)
class SupplierAdmin(HistoryAdmin):
    list_display = ("code", "name", "lead_time_days", "email", "archived_at")
    search_fields = ("code", "name")
