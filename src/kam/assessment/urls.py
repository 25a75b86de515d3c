"""Pages of 绩效考核 (menu KPI管理)."""

from django.urls import path

from . import appeals_views, views

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
    # 结果确认 and 申诉 (decision 0026)
    path("publications/", appeals_views.PublicationListView.as_view(), name="publication_list"),
    path("publications/new/", appeals_views.PublicationCreateView.as_view(), name="publication_create"),
    path("publications/<int:pk>/withdraw/", appeals_views.PublicationWithdrawView.as_view(),
         name="publication_withdraw"),
    path("confirmations/", appeals_views.ConfirmationListView.as_view(), name="confirmation_list"),
    path("confirmations/<int:pk>/result/", appeals_views.ConfirmationResultView.as_view(),
         name="confirmation_result"),
    path("confirmations/<int:pk>/confirm/", appeals_views.ConfirmationConfirmView.as_view(),
         name="confirmation_confirm"),
    path("confirmations/<int:pk>/appeal/", appeals_views.AppealCreateView.as_view(), name="appeal_create"),
    path("appeals/", appeals_views.AppealListView.as_view(), name="appeal_list"),
    path("appeals/<int:pk>/", appeals_views.AppealDetailView.as_view(), name="appeal_detail"),
    path("appeals/<int:pk>/withdraw/", appeals_views.AppealWithdrawView.as_view(), name="appeal_withdraw"),
]

# 考核目标 and 目标达成 (decision 0025).
from . import targets_views  # noqa: E402

urlpatterns += [
    path("targets/", targets_views.TargetListView.as_view(), name="target_list"),
    path("targets/new/", targets_views.TargetEditView.as_view(), name="target_create"),
    path("targets/publish/", targets_views.TargetPublishView.as_view(), name="target_publish"),
    path("targets/settings/", targets_views.TierMetricsListView.as_view(), name="target_tiers_list"),
    path("targets/settings/new/", targets_views.TierMetricsEditView.as_view(), name="target_tiers_create"),
    path("targets/settings/<int:pk>/edit/", targets_views.TierMetricsEditView.as_view(), name="target_tiers_edit"),
    path("targets/settings/<int:pk>/delete/", targets_views.TierMetricsDeleteView.as_view(),
         name="target_tiers_delete"),
    path("targets/<int:pk>/", targets_views.TargetDetailView.as_view(), name="target_detail"),
    path("targets/<int:pk>/edit/", targets_views.TargetEditView.as_view(), name="target_edit"),
    path("targets/<int:pk>/delete/", targets_views.TargetDeleteView.as_view(), name="target_delete"),
    path("targets/<int:pk>/decompose/", targets_views.TargetDecomposeView.as_view(), name="target_decompose"),
    path("target-attainment/", targets_views.AttainmentView.as_view(), name="target_attainment"),
]
