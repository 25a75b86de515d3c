from django.urls import path

from . import views

app_name = "processes"

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/copied/", views.CopiedListView.as_view(), name="copied_list"),
    path("start/", views.StartListView.as_view(), name="start_list"),
    path("start/<slug:code>/", views.StartFormView.as_view(), name="start_form"),
    path("instances/", views.InstanceListView.as_view(), name="instance_list"),
    path("instances/<int:pk>/", views.InstanceDetailView.as_view(), name="instance_detail"),
    path("instances/<int:pk>/withdraw/", views.InstanceWithdrawView.as_view(), name="instance_withdraw"),
    path("instances/<int:pk>/reroute/", views.InstanceRerouteView.as_view(), name="instance_reroute"),
    path("service-calls/<int:pk>/retry/", views.ServiceCallRetryView.as_view(), name="service_call_retry"),
    path("monitor/", views.StatisticsView.as_view(), name="statistics"),
    path("instances/<int:pk>/urge/", views.InstanceUrgeView.as_view(), name="instance_urge"),
    path("instances/<int:pk>/diagram/", views.InstanceDiagramView.as_view(), name="instance_diagram"),
    path("definitions/", views.DefinitionListView.as_view(), name="definition_list"),
    path("definitions/<int:pk>/", views.DefinitionDetailView.as_view(), name="definition_detail"),
    path("versions/<int:pk>/activate/", views.VersionActivateView.as_view(), name="version_activate"),
    path("versions/<int:pk>/retire/", views.VersionRetireView.as_view(), name="version_retire"),
    path("versions/<int:pk>/xml/", views.VersionXmlView.as_view(), name="version_xml"),
    path("designer/", views.DesignerView.as_view(), name="designer"),
    path("designer/<int:pk>/", views.DesignerView.as_view(), name="designer_version"),
    path("designer/save/", views.DesignerSaveView.as_view(), name="designer_save"),
]
