"""Demo step of the system app: a few announcements, operation- and login-log entries."""

from __future__ import annotations

import datetime as dt

from kam.core import clock
from kam.core.demo import DemoContext

from .models import Announcement, AnnouncementKind, AnnouncementStatus, LoginLog, LoginResult, OperationLog

ANNOUNCEMENTS = [
    (AnnouncementKind.NOTICE, "关于做好本月客户经理绩效考核配置的通知",
     "各单位：\n每月1日至5日为考核配置锁定期，请在锁定期前完成原子指标、考核指标、考核模板的维护和模板分配。"),
    (AnnouncementKind.ANNOUNCEMENT, "客户经理工作平台上线公告",
     "客户经理工作平台已正式上线，集客户管理、工作管理和绩效考核于一体。操作手册可在“系统管理—操作手册”下载。"),
    (AnnouncementKind.NOTICE, "关于开展重点客户走访活动的通知",
     "请各区县大客户中心组织客户经理在本季度内完成钻石级客户和金牌客户的走访，并及时录入走访记录。"),
]


def system_demo(ctx: DemoContext) -> None:
    admin = ctx.data.get("admin")
    now = clock.now()
    for i, (kind, title, content) in enumerate(ANNOUNCEMENTS):
        Announcement.objects.create(
            title=title, kind=kind, content=content, status=AnnouncementStatus.PUBLISHED,
            publish_at=now - dt.timedelta(days=i * 3 + 1), for_all=True, created_by=admin,
            org_unit=getattr(admin, "org_unit", None),
        )
    managers = ctx.data.get("managers") or []
    users = ([admin] if admin else []) + managers[:20]
    logins, operations = [], []
    for i, user in enumerate(users):
        at = now - dt.timedelta(hours=i * 5 + ctx.rng.randint(0, 4))
        ip = f"10.42.{ctx.rng.randint(1, 250)}.{ctx.rng.randint(2, 250)}"
        ok = ctx.rng.random() > 0.15
        logins.append(LoginLog(
            username=user.username, user=user, org_unit_id=user.org_unit_id, ip=ip,
            browser=ctx.rng.choice(["Chrome 131", "Edge 131", "Firefox 133", "360 Browser"]),
            os=ctx.rng.choice(["Windows 10/11", "Windows 7", "macOS"]), created_at=at,
            result=LoginResult.SUCCESS if ok else LoginResult.FAILURE,
            message="登录成功" if ok else "账号或密码错误",
        ))
        operations.append(OperationLog(
            module="customers", action=ctx.rng.choice(["create", "update", "export"]),
            description="客户管理", user=user, username=user.username, org_unit_id=user.org_unit_id, ip=ip,
            method="POST", url="/customers/", created_at=at + dt.timedelta(minutes=3),
            duration_ms=ctx.rng.randint(20, 900),
        ))
    LoginLog.objects.bulk_create(logins)
    OperationLog.objects.bulk_create(operations)
