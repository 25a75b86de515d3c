"""REST API of the customers app under ``/api/v1/customers/``: customers, contacts, business
relationships, registrations with their review actions, data-access requests and number segments.

Every queryset starts from ``.restrict(request.user, action)``; writes go through
``kam.customers.services``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kam.api.fields import ScopedPrimaryKeyRelatedField
from kam.api.viewsets import ScopedModelViewSet, service_errors
from kam.org.models import BusinessLine, OrgUnit, User

from . import selectors, services
from .filtersets import (
    AccessRequestFilterSet,
    ContactFilterSet,
    CustomerFilterSet,
    NumberSegmentFilterSet,
    RegistrationFilterSet,
    RelationshipFilterSet,
)
from .models import (
    AccessContent,
    AccessRequest,
    Contact,
    Customer,
    NumberSegment,
    Registration,
    Relationship,
    ReviewAction,
)

# --- customers ---------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    city = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    county = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), allow_null=True, required=False)
    org_unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), required=False,
                                            help_text=_("The owning unit; default: your own."))
    level_label = serializers.CharField(read_only=True)
    industry_label = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "short_name", "industry", "industry_label", "level", "level_label",
                  "is_headquarters", "city", "county", "address", "phone", "remarks", "status", "key_number",
                  "org_unit", "created_at", "updated_at"]
        read_only_fields = ["key_number", "created_at", "updated_at"]


class CustomerUpdateSerializer(CustomerSerializer):
    class Meta(CustomerSerializer.Meta):
        read_only_fields = ["key_number", "created_at", "updated_at", "city", "org_unit"]


class MergeSerializer(serializers.Serializer):
    remove = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), help_text=_("The duplicate merged into this customer and then deleted."))


class KeyNumberSerializer(serializers.Serializer):
    key_number = serializers.CharField(max_length=40)


class CustomerViewSet(ScopedModelViewSet):
    """客户信息维护: customers (R-CUST-1: a headquarters customer is a diamond customer)."""

    queryset = Customer.objects.select_related("city", "county", "org_unit")
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    ordering_fields = ["name", "key_number", "created_at"]
    module = "customers"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_serializer_class(self):
        return CustomerUpdateSerializer if self.action in ("update", "partial_update") else CustomerSerializer

    def create_object(self, data: dict[str, Any]) -> Customer:
        return services.customer_create(user=self.request.user, **data)

    def update_object(self, instance: Customer, data: dict[str, Any]) -> Customer:
        data.pop("city", None)
        data.pop("org_unit", None)
        if data.get("county") is not None:
            data["county"] = data["county"].pk
        return services.customer_update(user=self.request.user, customer=instance, **data)

    @extend_schema(request=MergeSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge a duplicate into this customer (relationships, contacts, registrations move over)."""
        keep = self.get_object()
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        remove = Customer.objects.restrict(request.user, "change").filter(pk=body.validated_data["remove"].pk).first()
        if remove is None:
            raise serializers.ValidationError({"remove": [_("No such customer in your data scope.")]})
        with service_errors():
            keep = services.customer_merge(user=request.user, keep=keep, remove=remove)
        return Response(CustomerSerializer(keep, context=self.get_serializer_context()).data)

    @extend_schema(request=KeyNumberSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], url_path="assign-number")
    def assign_number(self, request, pk=None):
        """The city key-account department assigns a key-customer number by hand."""
        customer = self.get_object()
        body = KeyNumberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            customer = services.customer_assign_number(user=request.user, customer=customer, **body.validated_data)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)


# --- contacts and relationships ----------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), scope_action="change")

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "title", "phone", "email", "created_at"]
        read_only_fields = ["created_at"]


class ContactViewSet(ScopedModelViewSet):
    """客户联系人."""

    queryset = Contact.objects.select_related("customer")
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    module = "customers"

    def create_object(self, data: dict[str, Any]) -> Contact:
        return services.contact_add(user=self.request.user, **data)

    def update_object(self, instance: Contact, data: dict[str, Any]) -> Contact:
        data.pop("customer", None)
        return services.contact_update(user=self.request.user, contact=instance, **data)

    def delete_object(self, instance: Contact) -> None:
        services.contact_remove(user=self.request.user, contact=instance)


class RelationshipSerializer(serializers.ModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(queryset=Customer.objects.all(), scope_action="change")
    department = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), allow_null=True, required=False,
        help_text=_("A contact of the customer (its fields are copied, read-only); or type the contact_* fields."))
    business_lines = serializers.PrimaryKeyRelatedField(queryset=BusinessLine.objects.all(), many=True)

    class Meta:
        model = Relationship
        fields = ["id", "customer", "department", "manager", "contact", "contact_name", "contact_title",
                  "contact_phone", "contact_email", "business_lines", "created_at"]
        read_only_fields = ["created_at"]


class RelationshipViewSet(ScopedModelViewSet):
    """业务关系: customer × provider department × account manager × contact × business lines."""

    queryset = Relationship.objects.select_related("customer", "department", "manager").prefetch_related(
        "business_lines")
    serializer_class = RelationshipSerializer
    filterset_class = RelationshipFilterSet
    module = "customers"

    def create_object(self, data: dict[str, Any]) -> Relationship:
        return services.relationship_add(user=self.request.user, **data)

    def update_object(self, instance: Relationship, data: dict[str, Any]) -> Relationship:
        data.pop("customer", None)
        return services.relationship_update(user=self.request.user, relationship=instance, **data)

    def delete_object(self, instance: Relationship) -> None:
        services.relationship_remove(user=self.request.user, relationship=instance)


# --- registrations -----------------------------------------------------------------------------


class ReviewActionSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.name", read_only=True)

    class Meta:
        model = ReviewAction
        fields = ["id", "stage", "action", "opinion", "actor", "actor_name", "at"]


class RegistrationSerializer(serializers.ModelSerializer):
    actions = ReviewActionSerializer(many=True, read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "applicant", "applicant_unit", "city", "bureau", "customer", "name", "industry",
                  "customer_data", "relationship_data", "business_lines", "stage", "outcome", "key_number",
                  "number_assigned_by_hand", "submitted_at", "decided_at", "actions"]
        read_only_fields = fields


class RegistrationCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), allow_null=True, required=False,
        help_text=_("A known customer of your city (its basic information is kept); omit for a new customer."))
    customer_data = serializers.DictField(
        required=False, help_text=_("A new customer: name, short_name, industry, level, is_headquarters, county, "
                                    "address, phone, remarks."))
    relationship_data = serializers.DictField(
        help_text=_("department, manager, contact or contact_name/title/phone/email, business_lines."))


class ReapplySerializer(serializers.Serializer):
    customer_data = serializers.DictField(required=False)
    relationship_data = serializers.DictField()


class UpdateRegistrationSerializer(serializers.Serializer):
    customer_data = serializers.DictField()


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    failed = serializers.BooleanField(default=False, help_text=_("开发失败: closed for good (no re-application)."))


class LookupItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField()
    level_label = serializers.CharField()
    key_number = serializers.CharField(allow_null=True)
    similarity = serializers.FloatField(allow_null=True)


class RegistrationViewSet(ScopedModelViewSet):
    """客户注册申报 / 审批: applications and their review actions (R-CUST-2, R-CUST-3, R-CUST-4)."""

    queryset = Registration.objects.select_related("applicant", "applicant_unit", "city").prefetch_related(
        "actions__actor", "business_lines")
    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilterSet
    ordering_fields = ["submitted_at", "name"]
    module = "customer_registrations"
    http_method_names = ["get", "post", "head", "options"]

    def _respond(self, registration: Registration) -> Response:
        registration = self.get_queryset().model.objects.get(pk=registration.pk)
        return Response(RegistrationSerializer(registration, context=self.get_serializer_context()).data)

    @extend_schema(request=RegistrationCreateSerializer, responses={201: RegistrationSerializer})
    def create(self, request, *args, **kwargs):
        body = RegistrationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with service_errors():
            registration = services.registration_submit(
                user=request.user, customer=data.get("customer"), customer_data=data.get("customer_data"),
                relationship_data=data["relationship_data"])
        response = self._respond(registration)
        response.status_code = 201
        return response

    @extend_schema(request=OpinionSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Pass the current review stage (final review: the customer is registered, number issued)."""
        registration = self.get_object()
        body = OpinionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_approve(user=request.user, registration=registration,
                                                         **body.validated_data)
        return self._respond(registration)

    @extend_schema(request=OpinionSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """市局初审 takes an application straight from pre-review."""
        registration = self.get_object()
        body = OpinionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_take(user=request.user, registration=registration,
                                                      **body.validated_data)
        return self._respond(registration)

    @extend_schema(request=RejectSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """驳回 or 开发失败 with a reason, at any stage."""
        registration = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_reject(user=request.user, registration=registration,
                                                        **body.validated_data)
        return self._respond(registration)

    @extend_schema(request=KeyNumberSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path="assign-number")
    def assign_number(self, request, pk=None):
        """The city key-account department assigns the key-customer number by hand."""
        registration = self.get_object()
        body = KeyNumberSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_assign_number(user=request.user, registration=registration,
                                                               **body.validated_data)
        return self._respond(registration)

    @extend_schema(request=OpinionSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """撤回: the applicant takes back an application under review (it may be re-applied)."""
        registration = self.get_object()
        body = OpinionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_withdraw(user=request.user, registration=registration,
                                                          **body.validated_data)
        return self._respond(registration)

    @extend_schema(request=ReapplySerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def reapply(self, request, pk=None):
        """重新申请 after 驳回: the edited data, submitted at once."""
        registration = self.get_object()
        body = ReapplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_reapply(user=request.user, registration=registration,
                                                         **body.validated_data)
        return self._respond(registration)

    @extend_schema(request=UpdateRegistrationSerializer, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"], url_path="edit-customer")
    def edit_customer(self, request, pk=None):
        """客户注册维护: edit the basic information entered by hand while the application is open."""
        registration = self.get_object()
        body = UpdateRegistrationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            registration = services.registration_update(user=request.user, registration=registration,
                                                        **body.validated_data)
        return self._respond(registration)

    @extend_schema(
        parameters=[OpenApiParameter("name", str, description=_("The customer name to look for."))],
        responses=LookupItemSerializer(many=True), filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def lookup(self, request):
        """查询目标客户: known customers of your city matching the name, and near duplicates."""
        rows = selectors.registration_candidates(request.user, request.query_params.get("name", ""))
        return Response(LookupItemSerializer([_lookup_row(c, ratio) for c, ratio in rows], many=True).data)


def _lookup_row(customer: Customer, ratio: float | None) -> dict[str, Any]:
    return {"id": customer.pk, "name": customer.name, "region": customer.region_label,
            "level_label": customer.level_label, "key_number": customer.key_number, "similarity": ratio}


# --- data-access requests ----------------------------------------------------------------------


class AccessRequestSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    applicant_name = serializers.CharField(source="applicant.name", read_only=True)
    effective_status = serializers.CharField(read_only=True)

    class Meta:
        model = AccessRequest
        fields = ["id", "customer", "customer_name", "applicant", "applicant_name", "content", "reason", "status",
                  "effective_status", "granted_content", "approver", "opinion", "expires_at", "requested_at",
                  "decided_at"]
        read_only_fields = ["applicant", "status", "granted_content", "approver", "opinion", "expires_at",
                            "requested_at", "decided_at"]


class AccessApproveSerializer(serializers.Serializer):
    granted_content = serializers.ChoiceField(choices=AccessContent.choices, required=False,
                                              help_text=_("What to grant: the content asked for or less."))
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class AccessRejectSerializer(serializers.Serializer):
    opinion = serializers.CharField()


class AccessRequestViewSet(ScopedModelViewSet):
    """客户资料调取申请 and their approval (R-CUST-5)."""

    queryset = AccessRequest.objects.select_related("customer", "applicant")
    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestFilterSet
    module = "customer_access"
    http_method_names = ["get", "post", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> AccessRequest:
        return services.access_request_create(user=self.request.user, **data)

    @extend_schema(request=AccessApproveSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        access = self.get_object()
        body = AccessApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            access = services.access_request_approve(user=request.user, request=access, **body.validated_data)
        return Response(AccessRequestSerializer(access, context=self.get_serializer_context()).data)

    @extend_schema(request=AccessRejectSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        access = self.get_object()
        body = AccessRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            access = services.access_request_reject(user=request.user, request=access, **body.validated_data)
        return Response(AccessRequestSerializer(access, context=self.get_serializer_context()).data)


# --- number segments ---------------------------------------------------------------------------


class NumberSegmentSerializer(serializers.ModelSerializer):
    org_unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    remaining = serializers.IntegerField(read_only=True)

    class Meta:
        model = NumberSegment
        fields = ["id", "org_unit", "prefix", "start", "end", "next_value", "remaining", "enabled", "created_at"]
        read_only_fields = ["next_value", "created_at"]


class NumberSegmentViewSet(ScopedModelViewSet):
    """号码段: the key-customer number segments of the organisations (R-CUST-2)."""

    queryset = NumberSegment.objects.select_related("org_unit")
    serializer_class = NumberSegmentSerializer
    filterset_class = NumberSegmentFilterSet
    module = "customer_segments"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> NumberSegment:
        return services.segment_create(user=self.request.user, **data)

    def update_object(self, instance: NumberSegment, data: dict[str, Any]) -> NumberSegment:
        return services.segment_update(user=self.request.user, segment=instance, end=data.get("end"),
                                       enabled=data.get("enabled"))


def router_register(router) -> None:
    router.register("customers/customers", CustomerViewSet, basename="customers-customer")
    router.register("customers/contacts", ContactViewSet, basename="customers-contact")
    router.register("customers/relationships", RelationshipViewSet, basename="customers-relationship")
    router.register("customers/registrations", RegistrationViewSet, basename="customers-registration")
    router.register("customers/access-requests", AccessRequestViewSet, basename="customers-access-request")
    router.register("customers/number-segments", NumberSegmentViewSet, basename="customers-number-segment")
