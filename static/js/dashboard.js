/* Pullboard dashboards: draws the charts from the page's #dashboard-data JSON block.
   Chart.js, hammer.js and chartjs-plugin-zoom are served by the app (static/vendor). */
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const palette = ["#0b57d0", "#b3261e", "#146c2e", "#8a5300", "#6d28d9", "#0e7490"];
  const zoom = {
    zoom: { wheel: { enabled: true }, pinch: { enabled: true }, mode: "x" },
    pan: { enabled: true, mode: "x" },
  };
  const charts = {};
  window.pullboardCharts = charts;

  function base(extra) {
    return Object.assign(
      {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { zoom: zoom, legend: { position: "bottom" } },
      },
      extra || {}
    );
  }

  function line(labels, series) {
    return {
      type: "line",
      data: {
        labels: labels,
        datasets: series.map(function (s, i) {
          return {
            label: s.label,
            data: s.data,
            borderColor: palette[i % palette.length],
            backgroundColor: palette[i % palette.length],
            pointRadius: 0,
            borderWidth: 2,
            stepped: s.stepped || false,
            borderDash: s.dash || [],
          };
        }),
      },
      options: base(),
    };
  }

  function xy(series, xLabel, yLabel) {
    return {
      type: "scatter",
      data: {
        datasets: series.map(function (s, i) {
          return {
            label: s.label,
            data: s.data,
            showLine: s.showLine !== false,
            borderColor: palette[i % palette.length],
            backgroundColor: palette[i % palette.length],
            pointRadius: s.pointRadius || 0,
            borderWidth: 2,
            borderDash: s.dash || [],
          };
        }),
      },
      options: base({
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", title: { display: true, text: xLabel } },
          y: { title: { display: true, text: yLabel } },
        },
      }),
    };
  }

  function pairs(xs, ys) {
    return xs.map(function (x, i) { return { x: x, y: ys[i] }; });
  }

  const builders = {
    cfd: function () {
      const c = data.cfd;
      return line(c.days, [
        { label: "Demanded", data: c.demanded },
        { label: "Signalled", data: c.signalled },
        { label: "Released", data: c.released },
        { label: "Completed", data: c.completed },
      ]);
    },
    levels: function () {
      const l = data.levels;
      return line(l.days, [
        { label: "Inventory", data: l.inventory, stepped: true },
        { label: "WIP", data: l.wip, stepped: true },
        { label: "Backordered that day", data: l.backordered },
      ]);
    },
    leadtime: function () {
      const h = data.lead_time_hist;
      const labels = h.labels;
      return {
        type: "bar",
        data: { labels: labels, datasets: [{ label: "Work orders", data: h.counts, backgroundColor: palette[0] }] },
        options: base({ scales: { x: { title: { display: true, text: "days" } } } }),
      };
    },
    little: function () {
      const l = data.little;
      return xy(
        [
          { label: "Best case", data: pairs(l.wip, l.best_th) },
          { label: "Practical worst case", data: pairs(l.wip, l.pwc_th), dash: [6, 4] },
          { label: "Worst case", data: pairs(l.wip, l.worst_th), dash: [2, 3] },
        ].concat(l.measured ? [
          { label: "Measured", data: [{ x: l.measured.wip, y: l.measured.th }], showLine: false, pointRadius: 7 },
        ] : []),
        "WIP (units)",
        "throughput (units/day)"
      );
    },
  };

  function comparison(key) {
    return function () {
      const c = data.comparison || data;
      return line(
        c.days,
        c.policies.map(function (p) { return { label: p.label, data: p[key], stepped: true }; })
      );
    };
  }
  builders["compare-fg"] = comparison("fg_inventory");
  builders["compare-wip"] = comparison("wip");
  builders["compare-bo"] = comparison("backorders");

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const build = builders[canvas.dataset.chart];
    if (!build) return;
    charts[canvas.dataset.chart] = new Chart(canvas, build());
    canvas.addEventListener("dblclick", function () { charts[canvas.dataset.chart].resetZoom(); });
  });
})();
