"""Excel import of customers with template and format description (REQUIREMENTS §1.3, R-IMP-1)."""

from __future__ import annotations

import io

import xlsxwriter
from django.urls import reverse

from kam.customers.models import Customer
from kam.exchange.engine import run_import
from kam.exchange.specs import MODE_CREATE, MODE_UPDATE, get_spec
from kam.exchange.xlsx import open_rows, write_template
from tests.helpers.matrix import export_probe, run_matrix

from . import records
from .conftest import give_role

HEADERS = ["大客户号", "客户名称", "所属行业", "客户级别", "总部客户", "市(州)", "区县", "地址", "电话"]


def book(rows) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out)
    sheet = wb.add_worksheet()
    for r, row in enumerate([HEADERS, *rows]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    wb.close()
    return out.getvalue()


def test_template_names_the_columns(db):
    out = io.BytesIO()
    write_template(get_spec("customers.customers"), out)
    headers = next(open_rows(out.getvalue()))
    assert "大客户号" in headers[0] and any("客户名称" in str(h) for h in headers)


def test_import_creates_then_updates_and_applies_r_cust_1(cw):
    admin = give_role(cw["city_a"], "admin")
    spec = get_spec("customers.customers")
    data = book([["42010001", "武汉江城商贸有限公司", "批发零售", "金牌客户", "是", "甲市", "一区", "某路1号",
                  "027-1234567"]])
    result = run_import(spec, user=admin, data=data, mode=MODE_CREATE)
    assert not result.errors and not result.file_error, (result.errors, result.file_error)
    customer = Customer.objects.get(key_number="42010001")
    assert customer.level == "diamond" and customer.industry == "retail" and customer.county == cw.unit("county_1")
    data = book([["42010001", "武汉江城商贸股份有限公司", "", "", "", "", "", "", ""]])
    result = run_import(spec, user=admin, data=data, mode=MODE_UPDATE)
    assert not result.errors, result.errors
    customer.refresh_from_db()
    assert customer.name == "武汉江城商贸股份有限公司" and customer.address == "某路1号"  # empty cells keep


def test_import_with_errors_imports_nothing(cw):
    admin = give_role(cw["city_a"], "admin")
    data = book([["42010002", "甲公司", "", "", "", "甲市", "一区", "", ""],
                 ["42010003", "乙公司", "", "", "", "甲市", "三县", "", ""]])
    result = run_import(get_spec("customers.customers"), user=admin, data=data, mode=MODE_CREATE)
    assert result.errors and result.errors[0]["row"] == 3
    assert not Customer.objects.exists()


def test_r_perm_3_customer_export_matrix(world):
    run_matrix(world, "customers", records.customers(world), [
        export_probe(reverse("customers:customer_list") + "?export=xlsx"),
    ])
