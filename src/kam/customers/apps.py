from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kam.customers"
    label = "customers"
    verbose_name = _("Customer management")

    def ready(self) -> None:
        from kam.core.demo import register_demo_step
        from kam.core.registry import ACTION_ANALYSE as A
        from kam.core.registry import ACTION_CHANGE as C
        from kam.core.registry import ACTION_VIEW as V
        from kam.core.registry import MenuEntry, register_menu, register_module

        # 客户信息: a manager sees the customers bound to them (R-PERM-3), a supervisor those of
        # their subordinates too, the key-account centres and leaders their part of the tree.
        register_module("customers", _("Customer information"), "customers", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, A), "subtree"),
            "reviewer_province": ((V, C, A), "subtree"),
            "reviewer_city": ((V, C, A), "subtree"),
            "reviewer_bureau": ((V, C), "subtree"),
            "reviewer_county": ((V, C), "subtree"),
            "supervisor": ((V, C, A), "own_sub"),
            "account_manager": ((V, C), "own"),
        })
        # 客户注册申报 / 审批: a manager applies and maintains their own applications; who reviews
        # what is decided by the approval process's tasks (R-CUST-4), see selectors.review_q.
        register_module("customer_registrations", _("Customer registration"), "customers", {
            "admin": ((V, C, A), "all"),
            "leader": ((V, A), "subtree"),
            "reviewer_province": ((V, C, A), "subtree"),
            "reviewer_city": ((V, C, A), "subtree"),
            "reviewer_bureau": ((V, C), "subtree"),
            "reviewer_county": ((V, C), "subtree"),
            "supervisor": ((V, C), "own_sub"),
            "account_manager": ((V, C), "own"),
        })
        # 客户注册审批: who reviews which application at which stage is decided by the approval
        # process (roles and org in its node configuration, R-CUST-4); this grant opens the pages.
        register_module("customer_review", _("Customer registration review"), "customers", {
            "admin": ((V, C), "all"),
            "reviewer_province": ((V, C), "all"),
            "reviewer_city": ((V, C), "all"),
            "reviewer_bureau": ((V, C), "all"),
            "reviewer_county": ((V, C), "all"),
        })
        # 客户资料调取申请: everyone may ask; the key-account centres approve.
        register_module("customer_access", _("Customer data-access requests"), "customers", {
            "admin": ((V, C, A), "all"),
            "reviewer_province": ((V, C), "subtree"),
            "reviewer_city": ((V, C), "subtree"),
            "reviewer_bureau": ((V, C), "own"),
            "reviewer_county": ((V, C), "own"),
            "supervisor": ((V, C), "own"),
            "account_manager": ((V, C), "own"),
            "leader": ((V, C), "own"),
        })
        register_module("customer_access_review", _("Data-access approval"), "customers", {
            "admin": ((V, C), "all"),
            "reviewer_province": ((V, C), "all"),
            "reviewer_city": ((V, C), "all"),
        })
        # 号码段: the key-customer number segments of each organisation (R-CUST-2).
        register_module("customer_segments", _("Key-customer number segments"), "customers", {
            "admin": ((V, C), "all"),
            "reviewer_province": ((V, C), "all"),
            "reviewer_city": ((V,), "subtree"),
        })
        # Merging duplicate customers is an administrator's job.
        register_module("customer_merge", _("Customer merge"), "customers", {
            "admin": ((V, C), "all"),
        })

        entries = [
            (_("Customer registration application"), "customers:registration_apply", "customer_registrations", C, 10),
            (_("Customer registration review"), "customers:review_home", "customer_review", C, 11),
            (_("Customer registration maintenance"), "customers:registration_list", "customer_registrations", V, 12),
            (_("Customer information maintenance"), "customers:customer_list", "customers", V, 13),
            (_("Customer data-access request"), "customers:access_request_create", "customer_access", C, 14),
            (_("Shared customer information"), "customers:shared_list", "customer_access", V, 15),
            (_("Data-access approval"), "customers:access_review_list", "customer_access_review", C, 16),
            (_("Key-customer number segments"), "customers:segment_list", "customer_segments", V, 17),
        ]
        for label, url_name, module, action, order in entries:
            register_menu("customers", MenuEntry(label, url_name, module, action, order))

        from .demo import customers_demo

        register_demo_step(30, "customers", customers_demo)
        _register_integrations()


def _register_integrations() -> None:
    from kam import audit

    from . import panels  # noqa: F401 - the 360 view's own panels
    from .models import (
        AccessGrant,
        AccessRequest,
        Contact,
        Customer,
        CustomerMerge,
        NumberSegment,
        Registration,
        Relationship,
    )

    for model in (Customer, Contact, Relationship, NumberSegment, Registration, AccessRequest, AccessGrant,
                  CustomerMerge):
        audit.register(model, exclude=["name_key"] if model is Customer else ())

    # The registration review and the data-access approval run on the process engine; the
    # application / request follows its process (stage, history, number, grant).
    from kam.processes.services import instance_advanced, instance_ended

    from .services import on_process_advanced, on_process_ended

    instance_advanced.connect(on_process_advanced, dispatch_uid="customers.process_advanced")
    instance_ended.connect(on_process_ended, dispatch_uid="customers.process_ended")
