"""Pages of 绩效考核 (menu KPI管理)."""

from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("metrics/", views.MetricListView.as_view(), name="metric_list"),
    path("metrics/new/", views.MetricEditView.as_view(), name="metric_create"),
    path("metrics/<int:pk>/edit/", views.MetricEditView.as_view(), name="metric_edit"),
    path("metric-values/refresh-builtin/", views.BuiltinRefreshView.as_view(), name="builtin_refresh"),
    path("atomic-indicators/", views.AtomicIndicatorListView.as_view(), name="atomic_list"),
    path("atomic-indicators/new/", views.AtomicIndicatorEditView.as_view(), name="atomic_create"),
    path("atomic-indicators/<int:pk>/", views.AtomicIndicatorDetailView.as_view(), name="atomic_detail"),
    path("atomic-indicators/<int:pk>/edit/", views.AtomicIndicatorEditView.as_view(), name="atomic_edit"),
    path("atomic-indicators/<int:pk>/delete/", views.AtomicIndicatorDeleteView.as_view(), name="atomic_delete"),
    path("indicators/", views.IndicatorListView.as_view(), name="indicator_list"),
    path("indicators/new/", views.IndicatorEditView.as_view(), name="indicator_create"),
    path("indicators/<int:pk>/", views.IndicatorDetailView.as_view(), name="indicator_detail"),
    path("indicators/<int:pk>/edit/", views.IndicatorEditView.as_view(), name="indicator_edit"),
    path("templates/", views.TemplateListView.as_view(), name="template_list"),
    path("templates/new/", views.TemplateEditView.as_view(), name="template_create"),
    path("templates/<int:pk>/", views.TemplateDetailView.as_view(), name="template_detail"),
    path("templates/<int:pk>/edit/", views.TemplateEditView.as_view(), name="template_edit"),
    path("what-if/", views.WhatIfView.as_view(), name="what_if"),
    path("assignments/", views.AssignmentListView.as_view(), name="assignment_list"),
    path("assignments/new/", views.AssignmentCreateView.as_view(), name="assignment_create"),
    path("assignments/<int:pk>/delete/", views.AssignmentDeleteView.as_view(), name="assignment_delete"),
    path("runs/", views.RunListView.as_view(), name="run_list"),
    path("runs/new/", views.RunStartView.as_view(), name="run_create"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("results/", views.ResultListView.as_view(), name="result_list"),
    path("results/<int:pk>/", views.ResultDetailView.as_view(), name="result_detail"),
    path("details/", views.ScoreDetailListView.as_view(), name="detail_list"),
    path("adjustments/", views.AdjustmentListView.as_view(), name="adjustment_list"),
    path("adjustments/new/", views.AdjustmentCreateView.as_view(), name="adjustment_create"),
    path("bonuses/", views.BonusListView.as_view(), name="bonus_list"),
    path("bonuses/new/", views.BonusEditView.as_view(), name="bonus_create"),
    path("bonuses/<int:pk>/edit/", views.BonusEditView.as_view(), name="bonus_edit"),
    path("bonuses/<int:pk>/delete/", views.BonusDeleteView.as_view(), name="bonus_delete"),
    path("notes/", views.NoteListView.as_view(), name="note_list"),
    path("notes/new/", views.NoteEditView.as_view(), name="note_create"),
    path("notes/<int:pk>/edit/", views.NoteEditView.as_view(), name="note_edit"),
    path("notes/<int:pk>/delete/", views.NoteDeleteView.as_view(), name="note_delete"),
]
