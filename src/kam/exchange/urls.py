from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("imports/", views.BatchListView.as_view(), name="batch_list"),
    path("imports/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("imports/<int:pk>/status/", views.batch_status, name="batch_status"),
    path("imports/<int:pk>/error-report/", views.batch_error_report, name="batch_error_report"),
    path("import/<str:spec>/", views.import_page, name="import"),
    path("template/<str:spec>/", views.template_download, name="template"),
    path("export/<str:spec>/", views.ExportView.as_view(), name="export"),
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
    path("views/<str:list_key>/", views.scenes_page, name="scenes"),
    path("views/<int:pk>/delete/", views.saved_view_delete_view, name="saved_view_delete"),
]
