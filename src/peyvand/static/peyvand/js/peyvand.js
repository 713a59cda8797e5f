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
