"""Rules the org services enforce for every caller (pages, API, imports)."""

import pytest
from django.core.exceptions import ValidationError

from kam.org import services
from kam.org.models import Role, User
from tests.helpers.world import grant_role


@pytest.mark.django_db
def test_r_perm_1_assigning_roles_needs_the_roles_change_grant_in_the_service(world):
    me = world.user("me")
    grant_role(me, "users", "all")
    peer = world.user("peer")
    admin_role = Role.objects.get(code="admin")
    with pytest.raises(ValidationError) as exc:
        services.user_update(actor=me, user=peer, roles=[admin_role])
    assert set(exc.value.message_dict) == {"roles"}
    with pytest.raises(ValidationError):
        services.user_create(actor=me, username="newbie", name="newbie", org_unit=world.unit("dept"),
                             password="Kx9!long-enough", roles=[admin_role])
    assert not peer.roles.filter(pk=admin_role.pk).exists()
    # Unchanged roles and other fields are fine without the grant.
    services.user_update(actor=me, user=peer, roles=list(peer.roles.all()), phone="13800000000")
    grant_role(me, "roles", "all", actions=("view", "change"))
    me = User.objects.get(pk=me.pk)  # grants are cached on the user object for one request
    services.user_update(actor=me, user=peer, roles=[admin_role])
    assert list(peer.roles.values_list("code", flat=True)) == ["admin"]


@pytest.mark.django_db
def test_r_perm_1_setting_a_grant_needs_change_on_roles_in_the_service(world):
    from django.core.exceptions import PermissionDenied

    from kam.org.models import Grant

    me = world.user("me")
    grant_role(me, "roles", "all", actions=("view",))
    role = Role.objects.get(code="account_manager")
    with pytest.raises(PermissionDenied):
        services.grant_set(user=me, role=role, module="users", scope="all")
    assert not Grant.objects.filter(role=role, module="users", scope="all").exists()
    grant_role(me, "roles", "all", actions=("view", "change"))
    me = User.objects.get(pk=me.pk)
    grant = services.grant_set(user=me, role=role, module="users", scope="all")
    assert grant.scope == "all"
