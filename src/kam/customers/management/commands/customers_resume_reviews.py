"""``manage.py customers_resume_reviews [--dry-run]``: open registration applications without an
approval process (made before the review ran on the process engine) start it again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kam.customers.services import registrations_resume_reviews


class Command(BaseCommand):
    help = "Start the approval process of open registration applications that have none."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only list the applications.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        ids = registrations_resume_reviews(dry_run=dry_run)
        verb = "would start" if dry_run else "started"
        self.stdout.write(f"{verb} the review of {len(ids)} application(s)" + (f": {ids}" if ids else ""))
