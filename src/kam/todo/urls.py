from django.urls import path

from . import views

app_name = "todo"

urlpatterns = [
    path("list/", views.TodoListView.as_view(), name="list"),
    path("dismiss/", views.DismissView.as_view(), name="dismiss"),
    path("items/", views.TodoItemListView.as_view(), name="item_list"),
    path("items/new/", views.TodoItemEditView.as_view(), name="item_create"),
    path("items/<int:pk>/", views.TodoItemDetailView.as_view(), name="item_detail"),
    path("items/<int:pk>/edit/", views.TodoItemEditView.as_view(), name="item_edit"),
    path("items/<int:pk>/delete/", views.TodoItemDeleteView.as_view(), name="item_delete"),
    path("items/<int:pk>/done/", views.TodoItemDoneView.as_view(), name="item_done"),
    path("subscriptions/", views.SubscriptionListView.as_view(), name="subscription_list"),
    path("subscriptions/<int:pk>/delete/", views.SubscriptionDeleteView.as_view(), name="subscription_delete"),
    path("reminders/", views.ReminderListView.as_view(), name="reminder_list"),
    path("reminders/read/", views.ReminderReadView.as_view(), name="reminder_read_all"),
    path("reminders/<int:pk>/read/", views.ReminderReadView.as_view(), name="reminder_read"),
]
