from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("info/", views.CustomerListView.as_view(), name="customer_list"),
    path("info/<int:pk>/", views.CustomerDetailView.as_view(), name="customer_detail"),
    path("info/<int:pk>/edit/", views.CustomerEditView.as_view(), name="customer_edit"),
    path("info/<int:pk>/merge/", views.CustomerMergeView.as_view(), name="customer_merge"),
    path("info/<int:customer_pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact_create"),
    path("info/contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact_delete"),
    path("info/<int:customer_pk>/relationships/new/", views.RelationshipEditView.as_view(), name="relationship_create"),
    path("info/relationships/<int:pk>/edit/", views.RelationshipEditView.as_view(), name="relationship_edit"),
    path("info/relationships/<int:pk>/delete/", views.RelationshipDeleteView.as_view(), name="relationship_delete"),
    path("managers/options/", views.ManagerOptionsView.as_view(), name="manager_options"),
    path("apply/", views.RegistrationApplyView.as_view(), name="registration_apply"),
    path("registrations/", views.RegistrationListView.as_view(), name="registration_list"),
    path("registrations/<int:pk>/", views.RegistrationDetailView.as_view(), name="registration_detail"),
    path("registrations/<int:pk>/edit/", views.RegistrationEditView.as_view(), name="registration_edit"),
    path("registrations/<int:pk>/reapply/", views.RegistrationReapplyView.as_view(), name="registration_reapply"),
    path("registrations/<int:pk>/withdraw/", views.RegistrationWithdrawView.as_view(), name="registration_withdraw"),
    path("registrations/<int:pk>/<str:name>/", views.RegistrationActionView.as_view(), name="registration_action"),
    path("review/", views.ReviewHomeView.as_view(), name="review_home"),
    path("review/<str:stage>/", views.ReviewListView.as_view(), name="review_list"),
    path("access-requests/new/", views.AccessRequestCreateView.as_view(), name="access_request_create"),
    path("shared/", views.SharedListView.as_view(), name="shared_list"),
    path("shared/<int:pk>/", views.SharedDetailView.as_view(), name="shared_detail"),
    path("access-approval/", views.AccessReviewListView.as_view(), name="access_review_list"),
    path("access-approval/<int:pk>/", views.AccessReviewView.as_view(), name="access_review"),
    path("segments/", views.SegmentListView.as_view(), name="segment_list"),
    path("segments/new/", views.SegmentCreateView.as_view(), name="segment_create"),
]
