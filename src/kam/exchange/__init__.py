"""Excel import and export (R-IMP-1), list exports and saved views (场景).

Declaring a spec
----------------
Every app that imports or exports declares one spec per model in ``<app>/exchange.py`` (found at
start-up)::

    from django.utils.translation import gettext_lazy as _
    from kam.exchange.columns import Boolean, Choice, Date, Dictionary, ForeignKey, Integer, Month, Number, Text
    from kam.exchange.specs import ImportSpec, register

    @register
    class CustomerSpec(ImportSpec):
        code = "customers.customers"          # used in URLs and the API
        label = _("Customers")                 # sheet and page title
        model = Customer
        module = "customers"                   # permission module: export needs view, import change
        key = "name"                           # the column rows are matched on (unique)
        filterset = CustomerFilterSet          # the list's FilterSet: exports follow the list filter
        columns = (
            Text("name", _("Customer name"), required=True, max_length=100),
            Dictionary("level", _("Customer level"), type_code="customer_level"),
            Choice("status", _("Status"), choices=CustomerStatus.choices),
            ForeignKey("org_unit", _("Organisation unit code"), model=OrgUnit, key="code"),
            ForeignKey("lines", _("Business lines"), model=BusinessLine, key="name", many=True),
            Number("discount", _("Discount"), places=2, min_value=0, max_value=100),
            Date("signed_on", _("Signed on")), Month("month", _("Month")), Integer("visits", _("Visits")),
            Boolean("is_headquarters", _("Headquarters customer")),
        )

        def create(self, ctx, values):          # values: column field -> parsed value
            return services.customer_create(user=ctx.user, **values)

        def update(self, ctx, obj, values):     # only the non-empty, changed cells
            return services.customer_update(user=ctx.user, customer=obj, **values)

        def check_rows(self, ctx, rows):        # optional cross-row rules
            ...                                 # row.values, row.add_error(field, message)

An :class:`~kam.exchange.specs.ExportSpec` (same attributes without ``key``/``create``/``update``)
is enough for a list that only exports.

Columns (:mod:`kam.exchange.columns`): ``Text`` (``max_length``, ``pattern``), ``Integer``,
``Number`` (``places``), ``Date`` (YYYY-MM-DD, Excel dates), ``Month`` (YYYY-MM), ``Boolean``
(是/否), ``Choice`` (``choices``: label or code in the cell), ``Dictionary`` (``type_code`` of
系统管理 › 字典管理), ``ForeignKey`` (``model``, natural ``key``, ``many``, ``self_ref`` for
references to earlier rows, ``scope`` = the action the importer needs on the referenced record).
Common options: ``required``, ``help`` (shown in the template's 填写说明), ``source`` (export
attribute path or callable), ``importable`` / ``exportable``, ``create_only``.

What the engine guarantees
--------------------------
- Template (``/exchange/template/<spec>/``): header row, dropdowns for choice, dictionary and
  yes/no columns (values on a hidden sheet), and the sheet 填写说明 describing every column.
- Import (``/exchange/import/<spec>/``; API ``POST /api/v1/exchange/imports/``): every row is
  checked first — types, required cells, lengths, choices, references (one query per column),
  duplicate keys within the file, existing keys ("create only" refuses them, "update existing"
  updates them; empty cells never overwrite), the spec's cross-row rules and data scope (a row
  touching a record outside the importer's scope is an error). The good rows are written through
  the spec's services in one transaction; if any row fails, nothing is saved and an error report
  (the failed rows as they were, plus 行号 and 错误信息) can be downloaded, corrected and imported
  as it is. Re-importing a file never doubles data. Files above ``KAM_IMPORT_INLINE_ROWS`` rows
  (2000) run as a background job (:mod:`kam.jobs`) with progress. Each import is an
  :class:`~kam.exchange.models.ImportBatch` (导入记录).
- Export: ``?export=xlsx`` on every ``kam.core.views.ObjectListView`` (exactly
  ``get_filtered_queryset()``: scope, filter, scene, sort — see :mod:`kam.exchange.hooks`),
  ``/exchange/export/<spec>/?<list filters>`` (the spec's queryset in the user's scope with the
  spec's FilterSet) and API ``POST /api/v1/exchange/exports/``; streamed with XlsxWriter
  ``constant_memory`` and ``.iterator()``; above ``KAM_EXPORT_INLINE_ROWS`` rows (20000) as a
  background job with a download link. Every export and import is written to the operation log
  (导出 / 导入).
- Lists: the toolbar of every ``ObjectListView`` gets 场景 / 导出 / 导入 by itself (a view with
  :class:`~kam.exchange.views.ExportMixin` places 导出 / 导入 itself). Other pages include
  ``{% load exchange %}{% exchange_buttons "<spec>" %}{% scenes "<spec>" %}``. Scenes: built-in
  我负责的 / 下属负责的 and saved views (:mod:`kam.exchange.scenes`, page
  ``/exchange/views/<list>/``, API ``/api/v1/exchange/views/``).
"""
