// The designer's property panel: a form for the selected step, service task or flow that writes the
// same node configuration JSON as the "advanced" text view (kept in sync both ways).
(function () {
  "use strict";

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o && o[k] !== undefined ? o[k] : undefined; }, obj);
  }

  function set(obj, path, value) {
    var parts = path.split(".");
    var last = parts.pop();
    var target = obj;
    parts.forEach(function (k) {
      if (typeof target[k] !== "object" || target[k] === null) { target[k] = {}; }
      target = target[k];
    });
    if (value === undefined) { delete target[last]; } else { target[last] = value; }
    // drop emptied parent objects
    for (var i = parts.length; i > 0; i--) {
      var parent = parts.slice(0, i - 1).reduce(function (o, k) { return o[k]; }, obj);
      var key = parts[i - 1];
      if (parent[key] && typeof parent[key] === "object" && !Array.isArray(parent[key]) &&
          Object.keys(parent[key]).length === 0) { delete parent[key]; }
    }
  }

  var DEFAULTS = { "approver.kind": "starter", "mode": "any", "dispatch": "all", "no_approver": "admin" };
  var KINDS = { "bpmn:UserTask": "user", "bpmn:ServiceTask": "service", "bpmn:SequenceFlow": "flow" };

  window.kamNodePanel = function (modeler) {
    var panel = document.getElementById("kam-node-panel");
    var textarea = document.getElementById("kam-designer-config");
    if (!panel || !textarea) { return; }
    var title = document.getElementById("kam-panel-title");
    var jsonError = document.getElementById("kam-designer-json-error");
    var config = {};
    try { config = JSON.parse(textarea.value || "{}") || {}; } catch (e) { config = {}; }
    var current = null;
    var kindOf = function (el) { return el ? KINDS[el.type] || null : null; };

    function write() { textarea.value = JSON.stringify(config, null, 2); }

    function cfgOf(create) {
      if (!config[current.id] && create) { config[current.id] = {}; }
      return config[current.id] || {};
    }

    function showParts(cfg) {
      var kind = get(cfg, "approver.kind") || DEFAULTS["approver.kind"];
      panel.querySelectorAll("[data-kind]").forEach(function (el) {
        el.classList.toggle("d-none", el.dataset.kind !== kind);
      });
      var escalate = get(cfg, "escalate_to.kind") || "";
      panel.querySelectorAll("[data-escalate]").forEach(function (el) {
        el.classList.toggle("d-none", el.dataset.escalate !== escalate);
      });
      var service = cfg.webhook ? "webhook" : "connector";
      document.getElementById("kam-p-service-type").value = service;
      panel.querySelectorAll("[data-service]").forEach(function (el) {
        el.classList.toggle("d-none", el.dataset.service !== service);
      });
    }

    function fill() {
      var kind = kindOf(current);
      panel.querySelectorAll("[data-for]").forEach(function (el) {
        el.classList.toggle("d-none", el.dataset.for !== kind);
      });
      panel.dataset.selected = kind ? current.id : "";
      if (!kind) { title.textContent = title.dataset.empty; return; }
      var bo = current.businessObject;
      title.textContent = (bo.name ? bo.name + " · " : "") + current.id;
      if (kind === "flow") {
        var cond = bo.conditionExpression;
        document.getElementById("kam-p-condition").value = cond && cond.body ? cond.body : "";
        return;
      }
      var cfg = cfgOf(false);
      panel.querySelectorAll("[data-for='" + kind + "'] [data-key]").forEach(function (input) {
        var value = get(cfg, input.dataset.key);
        if (value === undefined) { value = DEFAULTS[input.dataset.key]; }
        if (input.dataset.type === "list" && Array.isArray(value)) { value = value.join(", "); }
        if (input.dataset.type === "json" && value !== undefined) { value = JSON.stringify(value); }
        input.value = value === undefined ? "" : value;
      });
      if (kind === "service" && !cfg.webhook && !cfg.connector) {
        document.getElementById("kam-p-connector").value = "";
      }
      var actions = cfg.actions;
      panel.querySelectorAll("#kam-p-actions input").forEach(function (box) {
        box.checked = !actions || actions.indexOf(box.value) >= 0 || box.value === "approve";
      });
      fillFields(cfg.fields || []);
      fillSources(get(cfg, "approver.kind") === "any_of" ? cfg.approver.of || [] : []);
      showParts(cfg);
    }

    // "any of several sources" (any_of): one row per approver source, written back as approver.of
    var sourceBox = document.getElementById("kam-p-anyof");
    var sourceRow = document.getElementById("kam-p-anyof-row");
    var SOURCE_KEYS = ["role", "org", "business_line", "level", "users"];

    function showSource(row) {
      var kind = row.querySelector("[data-s='kind']").value;
      row.querySelectorAll("[data-s-kind]").forEach(function (el) {
        el.classList.toggle("d-none", el.dataset.sKind !== kind);
      });
    }

    function addSourceRow(spec) {
      var row = sourceRow.content.firstElementChild.cloneNode(true);
      row.querySelector("[data-s='kind']").value = spec.kind || "role";
      SOURCE_KEYS.forEach(function (key) {
        var value = spec[key];
        if (key === "org" && value === undefined) { value = "unit"; }
        row.querySelector("[data-s='" + key + "']").value = Array.isArray(value) ? value.join(", ") :
          (value === undefined ? "" : value);
      });
      showSource(row);
      sourceBox.appendChild(row);
    }

    function fillSources(specs) {
      if (!sourceBox) { return; }
      sourceBox.innerHTML = "";
      specs.forEach(addSourceRow);
    }

    function readSources() {
      var specs = [];
      sourceBox.querySelectorAll("[data-source]").forEach(function (row) {
        var val = function (key) { return row.querySelector("[data-s='" + key + "']").value.trim(); };
        var spec = { kind: val("kind") };
        if (spec.kind === "role") {
          spec.role = val("role");
          spec.org = val("org") || "unit";
          if (val("business_line")) { spec.business_line = val("business_line"); }
        } else if (spec.kind === "superior") {
          spec.level = parseInt(val("level") || "1", 10);
        } else if (spec.kind === "user") {
          spec.users = val("users").split(/[\s,，、]+/).filter(Boolean);
        }
        specs.push(spec);
      });
      return specs;
    }

    function writeSources() {
      var cfg = cfgOf(true);
      cfg.approver = { kind: "any_of", of: readSources() };
      write();
    }

    if (sourceBox) {
      document.getElementById("kam-p-anyof-add").addEventListener("click", function () {
        if (!current) { return; }
        addSourceRow({ kind: "role", org: "unit" });
        writeSources();
      });
      sourceBox.addEventListener("click", function (event) {
        var remove = event.target.closest("[data-source-remove]");
        if (!remove || !current) { return; }
        remove.closest("[data-source]").remove();
        writeSources();
      });
    }

    // step form fields (环节表单): one row per field, written back as cfg.fields
    var fieldBox = document.getElementById("kam-p-fields");
    var fieldRow = document.getElementById("kam-p-field-row");

    function addFieldRow(field) {
      var row = fieldRow.content.firstElementChild.cloneNode(true);
      row.querySelector("[data-f='name']").value = field.name || "";
      row.querySelector("[data-f='label']").value = field.label || "";
      row.querySelector("[data-f='type']").value = field.type || "text";
      row.querySelector("[data-f='required']").checked = !!field.required;
      row.querySelector("[data-f='choices']").value = (field.choices || []).map(function (c) {
        return Array.isArray(c) ? c[0] + ":" + c[1] : c;
      }).join(", ");
      fieldBox.appendChild(row);
    }

    function fillFields(fields) {
      if (!fieldBox) { return; }
      fieldBox.innerHTML = "";
      fields.forEach(addFieldRow);
    }

    function readFields() {
      var fields = [];
      fieldBox.querySelectorAll("[data-field]").forEach(function (row) {
        var f = { name: row.querySelector("[data-f='name']").value.trim(),
                  label: row.querySelector("[data-f='label']").value.trim(),
                  type: row.querySelector("[data-f='type']").value };
        if (row.querySelector("[data-f='required']").checked) { f.required = true; }
        if (f.type === "choice") {
          f.choices = row.querySelector("[data-f='choices']").value.split(/[,，、]+/).map(function (c) {
            return c.trim();
          }).filter(Boolean).map(function (c) {
            var i = c.search(/[:：]/);
            return i > 0 ? [c.slice(0, i).trim(), c.slice(i + 1).trim()] : c;
          });
        }
        fields.push(f);
      });
      return fields;
    }

    function writeFields() {
      var cfg = cfgOf(true);
      var fields = readFields();
      if (fields.length) { cfg.fields = fields; } else { delete cfg.fields; }
      if (Object.keys(cfg).length === 0) { delete config[current.id]; }
      write();
    }

    if (fieldBox) {
      document.getElementById("kam-p-field-add").addEventListener("click", function () {
        if (!current) { return; }
        addFieldRow({});
      });
      fieldBox.addEventListener("click", function (event) {
        var remove = event.target.closest("[data-field-remove]");
        if (!remove || !current) { return; }
        remove.closest("[data-field]").remove();
        writeFields();
      });
    }

    function parse(input) {
      var v = input.value.trim();
      if (v === "") { return undefined; }
      switch (input.dataset.type) {
        case "int": return parseInt(v, 10);
        case "num": return parseFloat(v);
        case "list": return v.split(/[\s,，、]+/).filter(Boolean);
        case "json":
          try { return JSON.parse(v); } catch (e) { input.classList.add("is-invalid"); throw e; }
        default: return v;
      }
    }

    panel.addEventListener("change", function (event) {
      var input = event.target;
      if (!current) { return; }
      if (input.id === "kam-p-condition") {
        var moddle = modeler.get("moddle");
        var text = input.value.trim();
        modeler.get("modeling").updateProperties(current, {
          conditionExpression: text ? moddle.create("bpmn:FormalExpression", { body: text }) : undefined
        });
        return;
      }
      if (input.closest("#kam-p-fields")) {
        event.stopPropagation();
        writeFields();
        return;
      }
      if (input.closest("#kam-p-anyof")) {
        event.stopPropagation();
        if (input.dataset.s === "kind") { showSource(input.closest("[data-source]")); }
        writeSources();
        return;
      }
      var cfg = cfgOf(true);
      if (input.id === "kam-p-service-type") {
        if (input.value === "webhook") {
          delete cfg.connector; delete cfg.params;
          cfg.webhook = cfg.webhook || { url: "", secret: "", timeout_seconds: 5, retries: 3 };
        } else {
          delete cfg.webhook;
          cfg.connector = document.getElementById("kam-p-connector").value;
        }
      } else if (input.closest("#kam-p-actions")) {
        var chosen = [];
        var all = true;
        panel.querySelectorAll("#kam-p-actions input").forEach(function (box) {
          if (box.checked || box.value === "approve") { chosen.push(box.value); } else { all = false; }
        });
        if (all) { delete cfg.actions; } else { cfg.actions = chosen; }
      } else if (input.dataset.key) {
        input.classList.remove("is-invalid");
        var value;
        try { value = parse(input); } catch (e) { return; }
        if (input.dataset.key === "approver.kind") { cfg.approver = value === "any_of" ? { of: [] } : {}; }
        if (input.dataset.key === "escalate_to.kind" && !value) { delete cfg.escalate_to; }
        set(cfg, input.dataset.key, value);
      }
      if (Object.keys(cfg).length === 0) { delete config[current.id]; }
      write();
      fill();
    });

    textarea.addEventListener("input", function () {
      try {
        config = JSON.parse(textarea.value || "{}") || {};
        jsonError.textContent = "";
        if (current) { fill(); }
      } catch (e) {
        jsonError.textContent = jsonError.dataset.error;
      }
    });

    document.getElementById("kam-designer-advanced").addEventListener("change", function (event) {
      document.getElementById("kam-designer-json").classList.toggle("d-none", !event.target.checked);
    });

    var eventBus = modeler.get("eventBus");
    eventBus.on("selection.changed", function (event) {
      current = event.newSelection.length === 1 ? event.newSelection[0] : null;
      fill();
    });
    eventBus.on("shape.remove", function (event) {
      if (event.element && config[event.element.id]) {
        delete config[event.element.id];
        write();
      }
    });
    eventBus.on("element.changed", function (event) {
      if (current && event.element === current) { title.textContent = (current.businessObject.name ? current.businessObject.name + " · " : "") + current.id; }
    });
    fill();
  };
})();
