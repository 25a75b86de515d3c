"""Create the demo data set: ``manage.py demo --size demo|province [--seed 2026] [--if-empty]``."""

from __future__ import annotations

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from kam.core.demo import STEPS, DemoContext


class Command(BaseCommand):
    help = "Create deterministic demo data (size demo: small and realistic; province: a province's scale)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["demo", "province"], default="demo")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when data already exists.")

    def handle(self, *args, size, seed, if_empty, **options):
        from kam.org.models import OrgUnit

        if if_empty and OrgUnit.objects.exists():
            self.stdout.write("demo data already present; keeping the database.")
            return
        ctx = DemoContext(size=size, rng=random.Random(seed), password=settings.KAM_DEMO_PASSWORD)
        for _order, name, step in STEPS:
            started = time.monotonic()
            with transaction.atomic():
                step(ctx)
            self.stdout.write(f"  {name}: {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS(f"demo data ({size}) created."))
