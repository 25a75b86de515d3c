"""Demo step of the managers app: a profile for every user holding the account-manager role."""

from __future__ import annotations

import datetime as dt

from kam.core import clock
from kam.core.demo import DemoContext
from kam.org.models import BusinessLine, User

from .models import AccountManager, Education, Training, WorkExperience

COURSES = ("大客户营销技巧", "商务礼仪", "客户关系管理", "合同与结算实务", "邮政业务知识", "谈判技巧")
ORGANISERS = ("省公司培训中心", "市公司人力资源部", "大客户中心")
EMPLOYERS = ("市邮政局营业部", "区邮政支局", "速递物流公司", "某商贸公司")
POSITIONS = ("营业员", "投递员", "营销员", "销售代表")


def managers_demo(ctx: DemoContext) -> None:
    rng = ctx.rng
    lines = list(BusinessLine.objects.filter(enabled=True).order_by("sort_order"))
    users = list(
        User.objects.filter(roles__code="account_manager", manager_profile__isnull=True)
        .order_by("pk").values_list("pk", flat=True).distinct()
    )
    educations = [Education.BACHELOR] * 5 + [Education.COLLEGE] * 3 + [Education.MASTER]
    profiles = []
    for user_id in users:
        birth = dt.date(rng.randint(1970, 1998), rng.randint(1, 12), rng.randint(1, 28))
        hire = dt.date(min(birth.year + rng.randint(20, 26), clock.today().year - 1), rng.randint(1, 12), 1)
        profiles.append(AccountManager(
            user_id=user_id, employee_no=f"KM{user_id:07d}", gender=rng.choice("MF"), birth_date=birth,
            education=rng.choice(educations), title="客户经理", hire_date=hire,
        ))
    AccountManager.objects.bulk_create(profiles, batch_size=2000)
    if lines:
        through = AccountManager.business_lines.through
        links = []
        for p in profiles:
            for line in rng.sample(lines, k=min(len(lines), rng.randint(1, 3))):
                links.append(through(accountmanager_id=p.pk, businessline_id=line.pk))
        through.objects.bulk_create(links, batch_size=5000)
    # Training history and work experience for a few (every manager in the small demo).
    with_history = profiles if ctx.size == "demo" else profiles[:200]
    trainings, experiences = [], []
    today = clock.today()
    for p in with_history:
        for _ in range(rng.randint(1, 3)):
            start = min(p.hire_date + dt.timedelta(days=rng.randint(30, 2000)),
                        today - dt.timedelta(days=rng.randint(10, 300)))
            trainings.append(Training(
                manager_id=p.pk, start_date=start, end_date=start + dt.timedelta(days=rng.randint(1, 5)),
                organiser=rng.choice(ORGANISERS), course=rng.choice(COURSES), result="合格",
            ))
        start = p.hire_date - dt.timedelta(days=rng.randint(400, 1500))
        experiences.append(WorkExperience(
            manager_id=p.pk, start_date=start, end_date=p.hire_date - dt.timedelta(days=1),
            employer=rng.choice(EMPLOYERS), position=rng.choice(POSITIONS),
        ))
    Training.objects.bulk_create(trainings, batch_size=5000)
    WorkExperience.objects.bulk_create(experiences, batch_size=5000)
    ctx.data["account_managers"] = profiles
