/* Forecast detail: the last buckets of demand, the forecast in force after them and the
   model's 80 % interval, from the page's #forecast-data JSON block. Chart.js is served by the app (static/vendor). */
(function () {
  "use strict";
  const source = document.getElementById("forecast-data");
  const canvas = document.getElementById("forecast-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const pad = function (values, before, after) {
    return new Array(before).fill(null).concat(values, new Array(after).fill(null));
  };
  const labels = data.history_days.concat(data.forecast_days);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: labels,
      datasets: [
        {
          label: "Demand",
          data: pad(data.history, 0, data.forecast.length),
          borderColor: "#111",
          backgroundColor: "#111",
          pointRadius: 0,
        },
        {
          label: "80 % interval (low)",
          data: pad(data.lower || [], data.history.length, 0),
          borderColor: "rgba(11, 87, 208, 0.25)",
          pointRadius: 0,
          fill: false,
        },
        {
          label: "80 % interval (high)",
          data: pad(data.upper || [], data.history.length, 0),
          borderColor: "rgba(11, 87, 208, 0.25)",
          backgroundColor: "rgba(11, 87, 208, 0.12)",
          pointRadius: 0,
          fill: "-1",
        },
        {
          label: "Forecast (" + data.method + ")",
          data: pad(data.forecast, data.history.length, 0),
          borderColor: "#0b57d0",
          backgroundColor: "#0b57d0",
          borderDash: [6, 4],
          pointRadius: 0,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, title: { display: true, text: "units per " + (data.unit || "day") } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
})();
