"""The generic pages' extension points: list toolbar and response hooks (export, saved views),
detail panels of other apps, home panels — as a later app plugs into them."""

import pytest
from django.http import HttpResponse
from django.urls import reverse

from kam.core import registry, views
from kam.core.registry import DetailPanel, HomePanelData, register_detail_panel, register_home_panel


@pytest.fixture
def restore_hooks():
    saved = (list(views.LIST_TOOLBAR_HOOKS), list(views.LIST_RESPONSE_HOOKS), list(registry.HOME_PANELS),
             {k: list(v) for k, v in registry.DETAIL_PANELS.items()})
    yield
    views.LIST_TOOLBAR_HOOKS[:], views.LIST_RESPONSE_HOOKS[:], registry.HOME_PANELS[:] = saved[:3]
    registry.DETAIL_PANELS.clear()
    registry.DETAIL_PANELS.update(saved[3])


@pytest.mark.django_db
def test_list_hooks_see_the_filtered_scoped_queryset(world, sysadmin_client, restore_hooks):
    seen = {}

    def toolbar(view):
        return [views.ToolbarButton("测试按钮", "/x/", icon="star")]

    def respond(view):
        if view.request.GET.get("export") != "test":
            return None
        seen["ids"] = sorted(view.get_filtered_queryset().values_list("username", flat=True))
        seen["list_id"] = view.get_list_id()
        return HttpResponse("exported")

    views.register_list_toolbar_hook(toolbar)
    views.register_list_response_hook(respond)
    url = reverse("org:user_list")
    assert "测试按钮" in sysadmin_client.get(url).content.decode()
    resp = sysadmin_client.get(url, {"export": "test", "org_unit": world.unit("county_1").pk})
    assert resp.content == b"exported"
    assert seen == {"ids": ["dept", "me", "peer"], "list_id": "org.user"}


@pytest.mark.django_db
def test_detail_panel_of_another_app(world, sysadmin_client, restore_hooks, tmp_path, settings):
    template = tmp_path / "panel_test.html"
    template.write_text("<p class='panel-test'>{{ object.name }} · {{ panel_context.extra }}</p>", encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    register_detail_panel("org.orgunit", DetailPanel(50, "test", "panel_test.html",
                                                     context=lambda request, obj: {"extra": "附加"}))
    html = sysadmin_client.get(reverse("org:unit_detail", args=[world.unit("county_1").pk])).content.decode()
    assert "<p class='panel-test'>一区 · 附加</p>" in html


@pytest.mark.django_db
def test_home_panel_registered_by_an_app(world, sysadmin_client, client, restore_hooks):
    register_home_panel(5, "test.pending", lambda request: HomePanelData("待审批的申请", count=3, url="/x/"),
                        module="roles", action="change")
    html = sysadmin_client.get("/").content.decode()
    assert "待审批的申请" in html and "kam-panel-count" in html
    client.force_login(world.user("me"))  # no grant on roles: not shown
    assert "待审批的申请" not in client.get("/").content.decode()
