from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("system/scheduled-jobs/", views.ScheduledJobListView.as_view(), name="scheduled_list"),
    path("system/scheduled-jobs/<int:pk>/runs/", views.ScheduleRunListView.as_view(), name="run_list"),
    path("system/scheduled-jobs/<int:pk>/<str:op>/", views.scheduled_job_action, name="scheduled_action"),
    path("jobs/", views.MyJobListView.as_view(), name="my_jobs"),
    path("jobs/<int:pk>/download/", views.job_download, name="download"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="cancel"),
]
