"""Fixtures of the exchange tests: workbooks built with XlsxWriter, read back with calamine."""

from __future__ import annotations

import io
from typing import Any

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from tests.helpers.world import grant_role

USER_HEADERS = ["账号", "姓名", "组织编码", "上级账号", "角色编码", "电话", "启用", "初始密码"]
UNIT_HEADERS = ["组织编码", "组织名称", "上级组织编码", "组织类型", "级别", "大客户中心", "专业类型", "电话", "排序",
                "启用"]


def xlsx(rows: list[list[Any]], sheet: str = "Sheet1") -> bytes:
    """A workbook with ``rows`` on its first sheet (None leaves a cell empty)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    ws = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    book.close()
    return buffer.getvalue()


def read_xlsx(data: bytes, sheet: int | str = 0) -> list[list[Any]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    ws = book.get_sheet_by_index(sheet) if isinstance(sheet, int) else book.get_sheet_by_name(sheet)
    return ws.to_python()


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_me(world):
    """The world's user "me" as an administrator of users, org units, roles and imports."""
    me = world.user("me")
    for module in ("users", "org", "roles", "imports"):
        grant_role(me, module, "all")
    return me
