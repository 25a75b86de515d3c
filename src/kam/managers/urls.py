from django.urls import path

from . import views

app_name = "managers"

urlpatterns = [
    path("", views.ManagerListView.as_view(), name="list"),
    path("new/", views.ManagerCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ManagerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ManagerEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.ManagerDeleteView.as_view(), name="delete"),
    path("<int:pk>/disable/", views.ManagerDisableView.as_view(), name="disable"),
    path("<int:pk>/enable/", views.ManagerEnableView.as_view(), name="enable"),
    path("<int:pk>/trainings/", views.TrainingAddView.as_view(), name="training_add"),
    path("<int:pk>/trainings/<int:row>/remove/", views.TrainingRemoveView.as_view(), name="training_remove"),
    path("<int:pk>/experiences/", views.ExperienceAddView.as_view(), name="experience_add"),
    path("<int:pk>/experiences/<int:row>/remove/", views.ExperienceRemoveView.as_view(),
         name="experience_remove"),
]
