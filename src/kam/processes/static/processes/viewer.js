// The instance page's diagram: bpmn-js viewer, current steps highlighted, completed steps marked.
(function () {
  "use strict";
  var el = document.getElementById("kam-bpmn-viewer");
  if (!el || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: el });
  fetch(el.dataset.xmlUrl, { credentials: "same-origin" })
    .then(function (r) { return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport");
      var mark = function (ids, cls) {
        (ids || "").split(",").filter(Boolean).forEach(function (id) {
          try { canvas.addMarker(id, cls); } catch (e) { /* element not in the diagram */ }
        });
      };
      mark(el.dataset.done, "kam-done");
      mark(el.dataset.current, "kam-current");
      el.dataset.ready = "1";
    })
    .catch(function () { el.textContent = el.dataset.error; });
})();
