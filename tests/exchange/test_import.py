"""R-IMP-1: validate every row first, all-or-nothing, error report, create/update modes, no doubles."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.exchange import services
from kam.exchange.models import BatchStatus
from kam.org.models import OrgKind, OrgUnit, Role, User
from tests.helpers.world import grant_role

from .conftest import UNIT_HEADERS, USER_HEADERS, read_xlsx, xlsx

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "users.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def run(user, spec: str, rows, mode: str = "create", name: str = "data.xlsx"):
    data = rows if isinstance(rows, bytes) else xlsx(rows)
    return services.import_start(user=user, spec_code=spec, file=upload(data, name), mode=mode)


GOOD_USERS = [
    USER_HEADERS,
    ["zhang3", "张三", "K1", "me", "account_manager", "13800000001", "是", "Kam@pass-2026"],
    ["li4", "李四", "K1D", "zhang3", "account_manager,supervisor", 13800000002, None, None],
    ["wang5", "王五", "K2", None, None, None, "否", None],
]


def test_r_imp_1_good_file_creates_every_row_through_the_services(admin_me):
    batch = run(admin_me, "org.users", GOOD_USERS)
    assert batch.status == BatchStatus.SUCCEEDED, batch.errors
    assert (batch.rows, batch.created_count, batch.error_count) == (3, 3, 0)
    assert batch.message == "新增3条，更新0条，未变0条。"
    zhang, li, wang = (User.objects.get(username=u) for u in ("zhang3", "li4", "wang5"))
    assert zhang.org_unit.code == "K1" and zhang.superior.username == "me" and zhang.phone == "13800000001"
    assert zhang.check_password("Kam@pass-2026") and zhang.must_change_password  # one-time (R-AUTH-1)
    assert li.superior == zhang  # a superior defined by an earlier row of the same file
    assert li.phone == "13800000002"  # a number cell read as text
    assert set(li.roles.values_list("code", flat=True)) == {"account_manager", "supervisor"}
    assert li.is_active and not wang.is_active
    # Generated one-time passwords are reported back for the rows that had none.
    assert set(batch.notes) == {"3", "4"}
    generated = batch.notes["3"].split("：")[1]
    assert li.check_password(generated)
    # One generated password per import, hashed once: rows without a password share it.
    assert wang.check_password(generated) and wang.password == li.password
    assert batch.notes["4"].split("：")[1] == generated


def test_r_imp_1_bad_rows_save_nothing_and_the_report_names_row_column_and_problem(admin_me):
    rows = [
        USER_HEADERS,
        ["ok1", "好人", "K1", None, None, None, None, None],
        ["dup", "重复一", "K1", None, None, None, None, None],
        ["bad1", None, "NOPE", "ghost", "account_manager，nosuchrole", None, "也许", None],
        ["dup", "重复二", "K2", None, None, None, None, None],
        ["x" * 151, "太长", "K1", None, None, None, None, None],
        ["weak", "弱密码", "K1", None, None, None, None, "123"],
    ]
    batch = run(admin_me, "org.users", rows)
    assert batch.status == BatchStatus.FAILED
    assert not User.objects.filter(username__in=["ok1", "dup", "bad1", "weak"]).exists()
    assert batch.created_count == 0
    assert "6行中有5行存在错误，未导入任何数据" in batch.message
    errors = {(e["row"], e["column"], e["message"]) for e in batch.errors}
    assert (3, "账号", "“dup”在文件中重复出现（第3、5行）") in errors
    assert (5, "账号", "“dup”在文件中重复出现（第3、5行）") in errors
    assert (4, "姓名", "必填，不能为空") in errors
    assert (4, "组织编码", "未找到“NOPE”") in errors
    assert (4, "上级账号", "未找到“ghost”") in errors
    assert (4, "角色编码", "未找到“nosuchrole”") in errors
    assert (4, "启用", "只能填“是”或“否”") in errors
    assert (6, "账号", "超过最大长度150个字符") in errors
    assert any(r == 7 and c == "初始密码" for r, c, _m in errors)  # the password validators' message

    report = read_xlsx(batch.error_report.read())
    assert report[0] == USER_HEADERS + ["行号", "错误信息"]
    # The failed rows first (with their row numbers in the original file), then the good rows, so
    # the corrected report is the whole file again.
    assert [int(r[-2]) for r in report[1:]] == [3, 4, 5, 6, 7, 2]
    by_row = {int(r[-2]): r for r in report[1:]}
    assert by_row[4][:3] == ["bad1", "", "NOPE"]  # original values, ready to fix
    assert "组织编码: 未找到“NOPE”" in by_row[4][-1] and "姓名: 必填，不能为空" in by_row[4][-1]
    assert by_row[2][:3] == ["ok1", "好人", "K1"] and by_row[2][-1] == ""


def test_r_imp_1_a_service_rule_failing_on_one_row_rolls_back_the_rows_before_it(admin_me):
    # A region under a county is refused by the org service (on the 3rd row, after two good ones).
    rows = [
        UNIT_HEADERS,
        ["N1", "新区一", "CA", None, "county", None, None, None, None, None],
        ["N1D", "新区一营销部", "N1", "department", None, None, None, None, 5, None],
        ["N2", "不可能的区", "K1", None, "county", None, None, None, None, None],
    ]
    batch = run(admin_me, "org.units", rows)
    assert batch.status == BatchStatus.FAILED
    assert not OrgUnit.objects.filter(code__in=["N1", "N1D", "N2"]).exists()
    assert [e["row"] for e in batch.errors] == [4]
    assert batch.errors[0]["column"] == "上级组织编码"

    rows[3] = ["N2", "二号新区", "CA", None, "county", None, None, None, None, None]
    batch = run(admin_me, "org.units", rows)
    assert batch.status == BatchStatus.SUCCEEDED, batch.errors
    dept = OrgUnit.objects.get(code="N1D")
    assert dept.parent.code == "N1" and dept.kind == OrgKind.DEPARTMENT and dept.sort_order == 5
    assert dept.path.startswith(OrgUnit.objects.get(code="N1").path)


def test_r_imp_1_wrong_types_and_unknown_choices(admin_me):
    rows = [
        UNIT_HEADERS,
        ["T1", "类型错", "CA", "小组", "乡镇", "也许", "不存在的专业", None, "第一", None],
        ["T2", "小数", "CA", None, "county", None, None, None, 1.5, None],
        ["T3", "负数", "CA", None, "county", None, None, None, -1, None],
    ]
    batch = run(admin_me, "org.units", rows)
    errors = {(e["row"], e["column"], e["message"]) for e in batch.errors}
    assert errors == {
        (2, "组织类型", "“小组”不在允许的取值范围内"),
        (2, "级别", "“乡镇”不在允许的取值范围内"),
        (2, "大客户中心", "只能填“是”或“否”"),
        (2, "专业类型", "未找到“不存在的专业”"),
        (2, "排序", "不是整数"),
        (3, "排序", "不是整数"),
        (4, "排序", "不能小于0"),
    }
    assert not OrgUnit.objects.filter(code__startswith="T").exists()


def test_r_imp_1_missing_columns_corrupt_and_non_xlsx_files_are_refused_with_a_clear_message(admin_me):
    batch = run(admin_me, "org.users", [["账号", "电话"], ["a1", "1"]])
    assert batch.status == BatchStatus.FAILED
    assert batch.message == "文件缺少必需的列：姓名、组织编码。请下载导入模板查看。"
    assert not batch.error_report

    batch = run(admin_me, "org.users", b"PK\x03\x04 this is not really a zip")
    assert batch.status == BatchStatus.FAILED
    assert batch.message == "文件不是Excel工作簿（.xlsx）或已损坏。"

    batch = run(admin_me, "org.users", "账号,姓名\nzz,某人\n".encode())
    assert batch.message == "文件不是Excel工作簿（.xlsx）。"

    batch = run(admin_me, "org.users", [USER_HEADERS])
    assert batch.message == "文件中没有数据行。"

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        run(admin_me, "org.users", GOOD_USERS, name="users.csv")
    assert "只能导入Excel文件（.xlsx）" in exc.value.messages[0]
    assert not User.objects.filter(username="zhang3").exists()


def test_r_imp_1_same_file_twice_does_not_double_the_data(admin_me):
    first = run(admin_me, "org.users", GOOD_USERS)
    assert first.status == BatchStatus.SUCCEEDED
    count = User.objects.count()

    again = run(admin_me, "org.users", GOOD_USERS)  # create only: each row says it exists
    assert again.status == BatchStatus.FAILED
    assert {(e["row"], e["message"]) for e in again.errors} == {
        (2, "“zhang3”已存在"), (3, "“li4”已存在"), (4, "“wang5”已存在")}

    update = run(admin_me, "org.users", GOOD_USERS, mode="update")  # update: nothing changes
    assert update.status == BatchStatus.SUCCEEDED, update.errors
    assert (update.created_count, update.updated_count, update.unchanged_count) == (0, 0, 3)
    assert User.objects.count() == count
    assert User.objects.get(username="zhang3").check_password("Kam@pass-2026")  # create-only column ignored


def test_r_imp_1_update_mode_changes_given_cells_and_empty_cells_do_not_overwrite(admin_me):
    run(admin_me, "org.users", GOOD_USERS)
    rows = [
        ["账号", "姓名", "组织编码", "电话", "启用", "角色编码"],
        ["zhang3", None, None, "021-555", None, None],
        ["li4", "李四四", "K2", None, None, "supervisor"],
        ["new6", "新人", "K1", None, None, None],  # update mode also adds new keys
    ]
    batch = run(admin_me, "org.users", rows, mode="update")
    assert batch.status == BatchStatus.SUCCEEDED, batch.errors
    assert (batch.created_count, batch.updated_count) == (1, 2)
    zhang = User.objects.get(username="zhang3")
    assert (zhang.name, zhang.org_unit.code, zhang.phone, zhang.is_active) == ("张三", "K1", "021-555", True)
    assert set(zhang.roles.values_list("code", flat=True)) == {"account_manager"}
    li = User.objects.get(username="li4")
    assert (li.name, li.org_unit.code, li.phone) == ("李四四", "K2", "13800000002")
    assert list(li.roles.values_list("code", flat=True)) == ["supervisor"]
    assert User.objects.filter(username="new6").exists()


def test_r_imp_1_r_perm_1_rows_outside_the_importers_scope_are_row_errors(world):
    me = world.user("me")
    grant_role(me, "users", "subtree")  # county 1 and its department
    grant_role(me, "org", "subtree")
    grant_role(me, "imports", "own")
    rows = [
        ["账号", "姓名", "组织编码"],
        ["peer", "改名", None],           # in scope: may be updated
        ["other", "改名", None],          # county 3: outside the scope
        ["fresh", "新人", "K3"],          # a unit outside the scope reads as not found
    ]
    batch = run(me, "org.users", rows, mode="update")
    assert batch.status == BatchStatus.FAILED
    errors = {(e["row"], e["column"], e["message"]) for e in batch.errors}
    assert errors == {(3, "账号", "“other”不在您的数据权限范围内"), (4, "组织编码", "未找到“K3”")}
    assert User.objects.get(username="peer").name == "peer"

    batch = run(me, "org.users", [["账号", "姓名", "组织编码"], ["peer", "改名", None]], mode="update")
    assert batch.status == BatchStatus.SUCCEEDED
    assert User.objects.get(username="peer").name == "改名"


def test_r_imp_1_r_perm_1_a_created_record_outside_the_scope_is_a_row_error(world):
    me = world.user("me")
    grant_role(me, "users", "own")  # may change only their own account
    grant_role(me, "org", "subtree")
    batch = run(me, "org.users", [["账号", "姓名", "组织编码"], ["newbie", "新人", "K1"]])
    assert batch.status == BatchStatus.FAILED
    assert batch.errors == [{"row": 2, "column": "", "message": "该行将修改您数据权限范围之外的记录。"}]
    assert not User.objects.filter(username="newbie").exists()


def test_r_imp_1_importing_needs_the_change_grant_of_the_module(world):
    from django.core.exceptions import PermissionDenied

    me = world.user("me")
    grant_role(me, "users", "all", actions=("view",))
    with pytest.raises(PermissionDenied):
        run(me, "org.users", GOOD_USERS)


def test_r_imp_1_roles_import_and_header_names_in_english_are_accepted(admin_me):
    batch = run(admin_me, "org.roles", [["Role code", "Role name", "Description", "Enabled", "Sort order"],
                                        ["auditor", "审计员", "只读", "yes", 90],
                                        ["bad code", "坏编码", None, None, None]])
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "角色编码")]
    batch = run(admin_me, "org.roles", [["角色编码", "角色名称"], ["auditor", "审计员"]])
    assert batch.status == BatchStatus.SUCCEEDED
    assert Role.objects.get(code="auditor").name == "审计员"


def test_r_imp_1_the_fixed_error_report_imports_as_it_is(admin_me):
    rows = [USER_HEADERS, ["a1", "甲", "K1", None, None, None, None, None],
            ["a2", "乙", "K9", None, None, None, None, None]]
    batch = run(admin_me, "org.users", rows)
    report = read_xlsx(batch.error_report.read())
    # The user corrects the unit code in the report and imports the report itself (the extra
    # columns 行号 / 错误信息 are ignored).
    assert [r[0] for r in report[1:]] == ["a2", "a1"]
    fixed = [report[0]] + [[*r[:2], "K2" if r[2] == "K9" else r[2], *r[3:]] for r in report[1:]]
    again = run(admin_me, "org.users", xlsx(fixed))
    assert again.status == BatchStatus.SUCCEEDED, again.errors
    assert User.objects.get(username="a2").org_unit.code == "K2"
    assert User.objects.get(username="a1").org_unit.code == "K1"


def test_r_imp_1_large_files_run_as_a_background_job_with_progress(admin_me, settings):
    from kam.jobs.models import Job, JobStatus
    from kam.jobs.services import execute_job

    settings.KAM_IMPORT_INLINE_ROWS = 2
    batch = run(admin_me, "org.users", GOOD_USERS)
    assert batch.status == BatchStatus.PENDING and batch.job_id and batch.rows == 3
    assert not User.objects.filter(username="zhang3").exists()
    assert execute_job(batch.job_id) == JobStatus.SUCCEEDED
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUCCEEDED and batch.created_count == 3
    job = Job.objects.get(pk=batch.job_id)
    assert (job.done, job.total, job.result["status"]) == (3, 3, "succeeded")
    assert User.objects.filter(username__in=["zhang3", "li4", "wang5"]).count() == 3


def test_columns_parse_numbers_dates_and_months():
    import datetime as dt
    from decimal import Decimal

    from kam.exchange.columns import CellError, Date, Month, Number

    n = Number("amount", "amount", places=2)
    assert n.parse(12.1) == Decimal("12.10") and n.parse("1,234.5") == Decimal("1234.50")
    with pytest.raises(CellError):
        n.parse(1.234)
    d = Date("day", "day")
    assert d.parse("2026/3/5") == d.parse("2026年3月5日") == d.parse(46086.0) == dt.date(2026, 3, 5)
    with pytest.raises(CellError):
        d.parse("2026-02-30")
    m = Month("month", "month")
    assert m.parse("2026-3") == m.parse("202603") == m.parse(dt.date(2026, 3, 9)) == "2026-03"
    with pytest.raises(CellError):
        m.parse("2026-13")


def test_dictionary_columns_take_the_values_of_the_data_dictionary(admin_me):
    from kam.exchange.columns import CellError, Dictionary
    from kam.system import services as system

    dict_type = system.dict_type_create(code="test_level", name="测试级别")
    system.dict_value_create(dict_type=dict_type, value="gold", label="金牌")
    system.dict_value_create(dict_type=dict_type, value="silver", label="银牌")
    col = Dictionary("level", "级别", type_code="test_level")
    assert col.allowed_values() == ["金牌", "银牌"]
    assert col.parse("金牌") == "gold" and col.parse("SILVER") == "silver"
    with pytest.raises(CellError, match="“铜牌”不在允许的取值范围内"):
        col.parse("铜牌")


def test_r_imp_1_many_rows_are_imported_in_one_transaction(admin_me):
    rows = [["组织编码", "组织名称", "上级组织编码", "组织类型"]]
    rows += [[f"S{i}", f"室{i}", "K1", "section"] for i in range(150)]
    from kam.exchange import engine
    from kam.exchange.specs import get_spec

    result = engine.run_import(get_spec("org.units"), user=admin_me, data=io.BytesIO(xlsx(rows)))
    assert result.ok and result.created == 150


def test_r_imp_1_references_are_resolved_with_one_query_per_column_not_per_row(admin_me):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.exchange import engine
    from kam.exchange.specs import get_spec

    def queries(n: int) -> int:
        rows = [USER_HEADERS] + [[f"q{i}", "某人", "NOPE", "me", "account_manager,supervisor", None, "是", None]
                                 for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            result = engine.run_import(get_spec("org.users"), user=admin_me, data=xlsx(rows))
        assert len(result.errors) == n
        return len(ctx.captured_queries)

    queries(1)  # the importer's grants are read once and cached
    assert queries(5) == queries(60) <= 8
