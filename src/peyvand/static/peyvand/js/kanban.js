// The pipeline board: drag a card onto another column, or submit its "Move to" form, and
// the board is redrawn from the server's answer. Without this script the form still posts.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function announce(text) {
    const status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  async function move(card, stageId) {
    const board = document.getElementById("board");
    if (!board || !card || !card.dataset.moveUrl) return;
    const body = new FormData();
    body.append("stage", stageId);
    board.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(card.dataset.moveUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      });
      const text = await response.text();
      if (!response.ok) {
        announce(text || board.dataset.error);
        return;
      }
      board.outerHTML = text;
      const moved = document.querySelector("#board [data-moved]");
      if (moved) {
        moved.focus();
        announce(moved.dataset.movedText || "");
      }
    } catch (error) {
      announce(board.dataset.error);
    } finally {
      const current = document.getElementById("board");
      if (current) current.removeAttribute("aria-busy");
    }
  }

  function columnOf(target) {
    return target instanceof Element ? target.closest(".board-column") : null;
  }

  document.addEventListener("dragstart", function (event) {
    const card = event.target instanceof Element ? event.target.closest(".kanban-card[draggable=true]") : null;
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.id);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", function (event) {
    if (event.target instanceof Element) event.target.classList.remove("dragging");
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });

  document.addEventListener("dragover", function (event) {
    const column = columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    const column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (event) {
    const column = columnOf(event.target);
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = document.getElementById(event.dataTransfer.getData("text/plain"));
    if (!card || columnOf(card) === column) return;
    move(card, column.dataset.stage);
  });

  document.addEventListener("submit", function (event) {
    const form = event.target instanceof Element ? event.target.closest(".move-form") : null;
    if (!form) return;
    event.preventDefault();
    move(form.closest(".kanban-card"), form.elements.stage.value);
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Back from the no-script form or the detail page: put the focus on the card again.
    if (location.hash.startsWith("#opportunity-")) {
      const card = document.getElementById(location.hash.slice(1));
      if (card) card.focus();
    }
  });
})();
