import pytest

from kam.org.models import DataScope, Role
from kam.processes.loader import load_shipped_definitions
from kam.processes.models import ProcessDefinition
from tests.helpers.world import grant_role


@pytest.fixture
def pworld(world):
    """The world, every user allowed to start processes and see their own, shipped definitions loaded."""
    if not ProcessDefinition.objects.exists():
        load_shipped_definitions()
    role = grant_role(world.user("me"), "processes", DataScope.OWN, actions=("view", "change"), code="proc_user")
    for name, user in world.users.items():
        if name != "me":
            user.roles.add(role)
    return world


@pytest.fixture
def role_of():
    def make(code: str) -> Role:
        return Role.objects.get_or_create(code=code, defaults={"name": code})[0]
    return make
