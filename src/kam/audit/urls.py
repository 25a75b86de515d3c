from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("system/audit/", views.AuditEntryListView.as_view(), name="entry_list"),
    path("history/<str:label>/<str:object_id>/", views.history, name="history"),
]
