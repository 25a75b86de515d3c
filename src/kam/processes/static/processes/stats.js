// 流程监控: per-step task counts and overdue counts (bars) and average handling hours (line).
(function () {
  "use strict";
  var el = document.getElementById("kam-node-stats-chart");
  var source = document.getElementById("kam-node-stats-data");
  if (!el || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  if (!data.labels.length) { el.textContent = el.dataset.empty; el.classList.add("text-body-secondary"); return; }
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [data.names.tasks, data.names.overdue, data.names.avg_hours] },
    grid: { left: 48, right: 48, bottom: 80 },
    xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30, interval: 0 } },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", name: data.names.avg_hours }],
    series: [
      { name: data.names.tasks, type: "bar", data: data.tasks },
      { name: data.names.overdue, type: "bar", data: data.overdue, itemStyle: { color: "#dc3545" } },
      { name: data.names.avg_hours, type: "line", yAxisIndex: 1, data: data.avg_hours }
    ]
  });
  el.dataset.ready = "1";
  window.addEventListener("resize", function () { chart.resize(); });
})();
