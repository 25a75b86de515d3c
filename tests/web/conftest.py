import pytest
from django.test import Client

from kam.org.models import Role
from tests.helpers.world import PASSWORD, make_user


@pytest.fixture
def sysadmin(world):
    """A province-level administrator holding the built-in role 系统管理员 (all scopes)."""
    return make_user("sysadmin", world.unit("province"), roles=[Role.objects.get(code="admin")])


@pytest.fixture
def sysadmin_client(sysadmin):
    client = Client()
    client.force_login(sysadmin)
    return client


@pytest.fixture
def password():
    return PASSWORD
