"""Pages of 系统管理 owned by the org app (组织管理, 用户管理, 角色管理, 专业类型)."""

from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("units/", views.OrgUnitListView.as_view(), name="unit_list"),
    path("units/new/", views.OrgUnitEditView.as_view(), name="unit_create"),
    path("units/<int:pk>/", views.OrgUnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", views.OrgUnitEditView.as_view(), name="unit_edit"),
    path("units/<int:pk>/move/", views.OrgUnitMoveView.as_view(), name="unit_move"),
    path("units/<int:pk>/delete/", views.OrgUnitDeleteView.as_view(), name="unit_delete"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserEditView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/password/", views.UserPasswordResetView.as_view(), name="user_password"),
    path("users/<int:pk>/delete/", views.UserDeleteView.as_view(), name="user_delete"),
    path("roles/", views.RoleListView.as_view(), name="role_list"),
    path("roles/new/", views.RoleEditView.as_view(), name="role_create"),
    path("roles/<int:pk>/", views.RoleDetailView.as_view(), name="role_detail"),
    path("roles/<int:pk>/edit/", views.RoleEditView.as_view(), name="role_edit"),
    path("roles/<int:pk>/grants/", views.RoleGrantsView.as_view(), name="role_grants"),
    path("roles/<int:pk>/delete/", views.RoleDeleteView.as_view(), name="role_delete"),
    path("lines/", views.BusinessLineListView.as_view(), name="line_list"),
    path("lines/new/", views.BusinessLineEditView.as_view(), name="line_create"),
    path("lines/<int:pk>/", views.BusinessLineDetailView.as_view(), name="line_detail"),
    path("lines/<int:pk>/edit/", views.BusinessLineEditView.as_view(), name="line_edit"),
    path("lines/<int:pk>/delete/", views.BusinessLineDeleteView.as_view(), name="line_delete"),
    path("types/new/", views.BusinessTypeEditView.as_view(), name="type_create"),
    path("types/<int:pk>/edit/", views.BusinessTypeEditView.as_view(), name="type_edit"),
    path("types/<int:pk>/delete/", views.BusinessTypeDeleteView.as_view(), name="type_delete"),
]
