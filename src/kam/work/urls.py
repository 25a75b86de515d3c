from django.urls import path

from . import views

app_name = "work"

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/edit/", views.TaskEditView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/close/", views.TaskCloseView.as_view(), name="task_close"),
    path("tasks/<int:pk>/delete/", views.TaskDeleteView.as_view(), name="task_delete"),
    path("items/new/", views.ItemCreateView.as_view(), name="item_create"),
    path("items/open/", views.OpenListView.as_view(), name="open_list"),
    path("items/open/bulk/", views.BulkActionView.as_view(), name="bulk"),
    path("items/done/", views.DoneListView.as_view(), name="done_list"),
    path("items/<int:pk>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("items/<int:pk>/execute/", views.ExecuteView.as_view(), name="execute"),
    path("dnd/", views.DndListView.as_view(), name="dnd_list"),
    path("dnd/<int:pk>/delete/", views.DndDeleteView.as_view(), name="dnd_delete"),
]
