"""Print the demo accounts, one per shipped role, and their password."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the demo logins."

    def handle(self, *args, **options):
        from kam.org.demo import DEMO_ACCOUNTS
        from kam.org.models import Role, User

        self.stdout.write(f"演示账号 / demo logins (password: {settings.KAM_DEMO_PASSWORD})")
        for role in Role.objects.filter(builtin=True).order_by("sort_order"):
            user = User.objects.filter(username=DEMO_ACCOUNTS.get(role.code, ""), is_active=True).first()
            if user:
                unit = user.org_unit.name if user.org_unit else ""
                self.stdout.write(f"  {user.username:<16} {role.name:<14} {user.name} · {unit}")
