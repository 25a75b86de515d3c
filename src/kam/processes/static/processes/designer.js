// The process designer: bpmn-js modeler; "save" posts the XML and node configuration as JSON.
(function () {
  "use strict";
  var script = document.currentScript;
  var container = document.getElementById("kam-bpmn-modeler");
  if (!container || !window.BpmnJS) { return; }
  var modeler = new window.BpmnJS({ container: container, keyboard: { bindTo: document } });
  window.kamModeler = modeler;
  var xml = JSON.parse(document.getElementById("kam-designer-xml").textContent);
  var box = document.getElementById("kam-designer-message");
  var show = function (text, tone) {
    box.textContent = text;
    box.className = "alert alert-" + tone;
  };
  modeler.importXML(xml).then(function () {
    modeler.get("canvas").zoom("fit-viewport");
    if (window.kamNodePanel) { window.kamNodePanel(modeler); }
    container.dataset.ready = "1";
  }).catch(function (err) { show(String(err), "danger"); });

  var button = document.getElementById("kam-designer-save");
  if (!button) { return; }
  button.addEventListener("click", function () {
    modeler.saveXML({ format: true }).then(function (result) {
      return fetch(script.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": script.dataset.csrf },
        body: JSON.stringify({
          xml: result.xml,
          node_config: document.getElementById("kam-designer-config").value,
          name: document.getElementById("kam-designer-name").value,
          category: document.getElementById("kam-designer-category").value
        })
      });
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (res) {
      if (res.ok) {
        show(res.data.message, "success");
        box.dataset.url = res.data.url;
      } else {
        var lines = [];
        Object.keys(res.data.errors || {}).forEach(function (k) { lines = lines.concat(res.data.errors[k]); });
        show(lines.join(" ") || script.dataset.error, "danger");
      }
    }).catch(function () { show(script.dataset.error, "danger"); });
  });
})();
