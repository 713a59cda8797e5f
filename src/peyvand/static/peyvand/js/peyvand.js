// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:configRequest", () => {});

// On a phone a table.responsive shows one card per row with its header row hidden; copy each
// column heading onto its cells (data-label, shown by peyvand.css) so values keep their names.
function labelResponsiveTables(root) {
  const scope = root && root.querySelectorAll ? root : document;
  const tables = Array.from(scope.querySelectorAll("table.responsive"));
  if (scope.matches && scope.matches("table.responsive")) tables.push(scope);
  for (const table of tables) {
    const headings = [];
    for (const th of table.querySelectorAll("thead tr:last-child th")) {
      const span = Number(th.getAttribute("colspan") || 1);
      for (let i = 0; i < span; i += 1) headings.push(th.textContent.trim());
    }
    for (const row of table.querySelectorAll("tbody tr")) {
      let column = 0;
      for (const cell of row.children) {
        const label = headings[column];
        if (cell.tagName === "TD" && column > 0 && label && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", label);
        }
        column += Number(cell.getAttribute("colspan") || 1);
      }
    }
  }
}

document.addEventListener("DOMContentLoaded", () => labelResponsiveTables(document));
document.addEventListener("htmx:load", (event) => labelResponsiveTables(event.target));

// Charts (peyvand.core.charts) offer their figures as PNG (the SVG drawn on a canvas) and
// CSV (the raw numbers behind the table); the buttons stay hidden without this script.
function download(name, blob) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// A spreadsheet must not run a label as a formula (same rule as the server's exports).
function csvCell(text, raw) {
  let value = String(text);
  if (!raw && /^[=+\-@\t\r]/.test(value)) value = "'" + value;
  return /[",\n\r]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
}

function chartCsv(figure) {
  const table = figure.querySelector(".chart-data table");
  const lines = [];
  for (const row of table.querySelectorAll("tr")) {
    const cells = Array.from(row.children).map((cell) =>
      cell.hasAttribute("data-value")
        ? csvCell(cell.getAttribute("data-value"), true)
        : csvCell(cell.textContent.trim(), false),
    );
    lines.push(cells.join(","));
  }
  // The byte-order mark makes spreadsheets read Persian text as UTF-8.
  return new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
}

function chartPng(figure, done) {
  const svg = figure.querySelector("svg.chart-svg");
  const box = svg.viewBox.baseVal;
  const scale = 2;
  const source = new XMLSerializer().serializeToString(svg);
  const image = new Image();
  image.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = box.width * scale;
    canvas.height = box.height * scale;
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(done, "image/png");
  };
  image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(source);
}

function enableChartExports(root) {
  const scope = root && root.querySelectorAll ? root : document;
  for (const bar of scope.querySelectorAll(".chart-export[hidden]")) bar.hidden = false;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest ? event.target.closest("[data-chart-export]") : null;
  if (!button) return;
  const figure = button.closest("figure.chart");
  const name = figure.getAttribute("data-chart-file") || "chart";
  if (button.getAttribute("data-chart-export") === "csv") {
    download(name + ".csv", chartCsv(figure));
  } else {
    chartPng(figure, (blob) => download(name + ".png", blob));
  }
});
document.addEventListener("DOMContentLoaded", () => enableChartExports(document));
document.addEventListener("htmx:load", (event) => enableChartExports(event.target));

// The main menu's sections behave as menus: one open at a time, closed by a click elsewhere
// or Escape (which gives focus back to the section's heading).
document.addEventListener("click", (event) => {
  for (const group of document.querySelectorAll(".navgroup[open]")) {
    if (!group.contains(event.target)) group.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const group = document.activeElement && document.activeElement.closest(".navgroup[open]");
  if (group) {
    group.open = false;
    group.querySelector("summary").focus();
  }
});
document.addEventListener(
  "toggle",
  (event) => {
    const opened = event.target;
    if (!opened.matches || !opened.matches(".navgroup") || !opened.open) return;
    for (const group of document.querySelectorAll(".navgroup[open]")) {
      if (group !== opened) group.open = false;
    }
  },
  true,
);
