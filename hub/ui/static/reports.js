/* The statistics tab of the reports page: passages in, out and denied per day (vendored Chart.js). */
"use strict";

(function drawStatistics() {
  const canvas = document.getElementById("stat-chart");
  const chart = Page.chart;
  if (!canvas || !chart || typeof Chart === "undefined") return;
  const colours = ["#3b82f6", "#19a37d", "#e5484d"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: chart.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: colours[i % colours.length] })),
    },
    options: {
      animation: false,
      responsive: true,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  canvas.dataset.drawn = "true";
})();
