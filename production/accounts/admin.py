from django.contrib import admin

from production.accounts.models import UserSettings


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "language")
    filter_horizontal = ("lines", "suppliers")
    list_select_related = ("user",)
    search_fields = ("user__username",)
