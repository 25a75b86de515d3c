from django.urls import path

from . import views

app_name = "system"

urlpatterns = [
    path("dicts/", views.DictTypeListView.as_view(), name="dict_type_list"),
    path("dicts/new/", views.DictTypeEditView.as_view(), name="dict_type_create"),
    path("dicts/<int:pk>/", views.DictTypeDetailView.as_view(), name="dict_type_detail"),
    path("dicts/<int:pk>/edit/", views.DictTypeEditView.as_view(), name="dict_type_edit"),
    path("dicts/<int:pk>/delete/", views.DictTypeDeleteView.as_view(), name="dict_type_delete"),
    path("dicts/<int:type_pk>/values/new/", views.DictValueEditView.as_view(), name="dict_value_create"),
    path("dicts/<int:type_pk>/values/<int:pk>/edit/", views.DictValueEditView.as_view(), name="dict_value_edit"),
    path("dicts/<int:type_pk>/values/<int:pk>/delete/", views.DictValueDeleteView.as_view(),
         name="dict_value_delete"),
    path("parameters/", views.ParameterListView.as_view(), name="parameter_list"),
    path("parameters/new/", views.ParameterEditView.as_view(), name="parameter_create"),
    path("parameters/<int:pk>/edit/", views.ParameterEditView.as_view(), name="parameter_edit"),
    path("parameters/<int:pk>/delete/", views.ParameterDeleteView.as_view(), name="parameter_delete"),
    path("announcements/", views.AnnouncementListView.as_view(), name="announcement_list"),
    path("announcements/new/", views.AnnouncementEditView.as_view(), name="announcement_create"),
    path("announcements/<int:pk>/", views.AnnouncementDetailView.as_view(), name="announcement_detail"),
    path("announcements/<int:pk>/edit/", views.AnnouncementEditView.as_view(), name="announcement_edit"),
    path("announcements/<int:pk>/delete/", views.AnnouncementDeleteView.as_view(), name="announcement_delete"),
    path("announcements/<int:pk>/publish/", views.AnnouncementPublishView.as_view(verb="publish"),
         name="announcement_publish"),
    path("announcements/<int:pk>/withdraw/", views.AnnouncementPublishView.as_view(verb="withdraw"),
         name="announcement_withdraw"),
    path("operation-log/", views.OperationLogListView.as_view(), name="operation_log_list"),
    path("operation-log/<int:pk>/", views.OperationLogDetailView.as_view(), name="operation_log_detail"),
    path("operation-log/clear/", views.LogClearView.as_view(module="operation_log"), name="operation_log_clear"),
    path("login-log/", views.LoginLogListView.as_view(), name="login_log_list"),
    path("login-log/clear/", views.LogClearView.as_view(module="login_log"), name="login_log_clear"),
    path("online/", views.OnlineListView.as_view(), name="online_list"),
    path("online/<int:pk>/force-logout/", views.ForceLogoutView.as_view(), name="online_force_logout"),
]
