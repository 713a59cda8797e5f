// The technician's field app: orders kept in IndexedDB, every change queued there first
// and sent when there is a connection. Each order's queued changes carry the version the
// phone last had; the server applies them only on that version, otherwise it answers with
// the office's values, which are shown beside the technician's until they choose.
// Everything user-written is put in the page with textContent, never as HTML.
(function () {
  "use strict";

  const root = document.querySelector("[data-field-app]");
  if (!root) {
    return;
  }
  const T = JSON.parse(document.getElementById("field-strings").textContent);
  const ordersBox = root.querySelector("[data-orders]");
  const conflictsBox = root.querySelector("[data-conflicts]");
  const connection = root.querySelector("[data-connection]");
  const pendingBox = root.querySelector("[data-pending]");
  // The database is per user: a shared phone must not show one technician another's queue.
  const DB_NAME = "peyvand-field-" + root.dataset.user;
  let db = null;
  let syncing = false;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const database = request.result;
        database.createObjectStore("orders", { keyPath: "id" });
        database.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        database.createObjectStore("conflicts", { keyPath: "order" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function tx(stores, mode, work) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(stores, mode);
      let result;
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      result = work(transaction);
    });
  }

  function all(store) {
    return new Promise((resolve, reject) => {
      const request = db.transaction(store).objectStore(store).getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") {
        node.textContent = value;
      } else {
        node.setAttribute(key, value);
      }
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  function field(label, input) {
    const id = "f-" + newId();
    input.id = id;
    return el("div", { class: "field-input" }, [el("label", { for: id, text: label }), input]);
  }

  function when(iso) {
    try {
      return new Date(iso).toLocaleString(document.documentElement.lang === "fa" ? "fa-IR" : "en-GB");
    } catch (error) {
      return iso;
    }
  }

  // --- local changes ------------------------------------------------------------------

  function applyLocally(order, change) {
    if (change.type === "time") {
      order.time.push({ minutes: change.minutes, note: change.note });
      if (order.status === "scheduled") {
        order.status = "in_progress";
      }
    } else if (change.type === "material") {
      order.lines.push({
        description: change.description,
        quantity: String(change.quantity),
        unit_cost: String(change.unit_cost),
        currency: order.currency,
      });
    } else if (change.type === "notes") {
      order.work_notes = change.text;
    } else if (change.type === "status") {
      order.status = change.status;
    }
  }

  async function queue(order, change) {
    change.id = newId();
    applyLocally(order, change);
    await tx(["orders", "outbox"], "readwrite", (transaction) => {
      transaction.objectStore("orders").put(order);
      transaction.objectStore("outbox").add({ order: order.id, base_version: order.version, change });
    });
    await render();
    sync();
  }

  // --- sync ---------------------------------------------------------------------------

  async function sync() {
    if (syncing || !navigator.onLine) {
      return;
    }
    syncing = true;
    try {
      const [outbox, conflicts] = await Promise.all([all("outbox"), all("conflicts")]);
      const blocked = new Set(conflicts.map((c) => c.order));
      const byOrder = new Map();
      outbox.forEach((item) => {
        if (!blocked.has(item.order)) {
          if (!byOrder.has(item.order)) {
            byOrder.set(item.order, []);
          }
          byOrder.get(item.order).push(item);
        }
      });
      for (const [orderId, items] of byOrder) {
        await sendBatch(orderId, items);
      }
    } catch (error) {
      // No connection after all: everything stays queued for the next attempt.
    } finally {
      syncing = false;
      await render();
    }
  }

  async function sendBatch(orderId, items) {
    const response = await fetch(root.dataset.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify({
        order: orderId,
        base_version: items[0].base_version,
        batch_id: items[0].change.id + ":" + items.length,
        changes: items.map((item) => item.change),
      }),
    });
    const answer = await response.json();
    const seqs = items.map((item) => item.seq);
    if (answer.result === "applied") {
      await tx(["orders", "outbox"], "readwrite", (transaction) => {
        seqs.forEach((seq) => transaction.objectStore("outbox").delete(seq));
        transaction.objectStore("orders").put(answer.order);
      });
    } else if (answer.result === "conflict" || answer.result === "rejected") {
      await tx(["conflicts"], "readwrite", (transaction) => {
        transaction.objectStore("conflicts").put({
          order: orderId,
          result: answer.result,
          office: answer.order,
          conflicts: answer.conflicts || [],
          errors: answer.errors || [],
        });
      });
    } else if (answer.result === "missing") {
      await tx(["orders", "outbox"], "readwrite", (transaction) => {
        seqs.forEach((seq) => transaction.objectStore("outbox").delete(seq));
        transaction.objectStore("orders").delete(orderId);
      });
    }
  }

  async function keepMine(conflict) {
    // Send the same changes again, now on the office's version.
    const outbox = await all("outbox");
    await tx(["outbox", "conflicts"], "readwrite", (transaction) => {
      outbox
        .filter((item) => item.order === conflict.order)
        .forEach((item) => {
          item.base_version = conflict.office.version;
          transaction.objectStore("outbox").put(item);
        });
      transaction.objectStore("conflicts").delete(conflict.order);
    });
    await sync();
  }

  async function useOffice(conflict) {
    const outbox = await all("outbox");
    await tx(["orders", "outbox", "conflicts"], "readwrite", (transaction) => {
      outbox
        .filter((item) => item.order === conflict.order)
        .forEach((item) => transaction.objectStore("outbox").delete(item.seq));
      transaction.objectStore("conflicts").delete(conflict.order);
      transaction.objectStore("orders").put(conflict.office);
    });
    await render();
  }

  async function refresh() {
    if (!navigator.onLine) {
      return;
    }
    try {
      const response = await fetch(root.dataset.ordersUrl, { credentials: "same-origin" });
      if (!response.ok) {
        return;
      }
      const data = await response.json();
      const outbox = await all("outbox");
      const waiting = new Set(outbox.map((item) => item.order));
      const current = await all("orders");
      await tx(["orders"], "readwrite", (transaction) => {
        const store = transaction.objectStore("orders");
        const fresh = new Set(data.orders.map((order) => order.id));
        current.filter((order) => !fresh.has(order.id) && !waiting.has(order.id)).forEach((order) => store.delete(order.id));
        // An order with queued changes keeps the phone's copy (and the version they are based on).
        data.orders.filter((order) => !waiting.has(order.id)).forEach((order) => store.put(order));
      });
    } catch (error) {
      // Offline: the stored copy stays.
    }
  }

  // --- rendering ----------------------------------------------------------------------

  function orderCard(order) {
    const card = el("article", { class: "card field-order", "data-order": String(order.id) });
    card.append(el("h2", {}, ["#" + order.id + " ", el("bdi", { text: order.title })]));
    card.append(
      el("dl", { class: "facts" }, [
        el("div", {}, [el("dt", { text: T.customer }), el("dd", {}, [el("bdi", { text: order.customer })])]),
        el("div", {}, [el("dt", { text: T.visit }), el("dd", { text: when(order.window_start) })]),
        el("div", {}, [el("dt", { text: T.status }), el("dd", { "data-status": "", text: statusLabel(order) })]),
      ]),
    );
    if (order.description) {
      card.append(el("p", { class: "prewrap", text: order.description }));
    }
    card.append(el("h3", { text: T.time }));
    card.append(el("ul", { "data-time": "" }, order.time.map((t) => el("li", { text: t.minutes + " " + T.minutes + (t.note ? " · " + t.note : "") }))));
    card.append(el("h3", { text: T.materials }));
    card.append(el("ul", { "data-lines": "" }, order.lines.map((l) => el("li", { text: l.quantity + " × " + l.description + " (" + l.unit_cost + " " + l.currency + ")" }))));
    if (order.status !== "signed_off" && order.status !== "cancelled") {
      card.append(timeForm(order), materialForm(order), notesForm(order), statusButtons(order));
    }
    return card;
  }

  function statusLabel(order) {
    return T["status_" + order.status] || order.status;
  }

  function errorLine(form) {
    let line = form.querySelector(".field-error");
    if (!line) {
      line = el("p", { class: "field-error", role: "alert" });
      form.append(line);
    }
    return line;
  }

  function timeForm(order) {
    const minutes = el("input", { type: "number", min: "1", max: "1440", name: "minutes", inputmode: "numeric" });
    const note = el("input", { type: "text", name: "note", maxlength: "255" });
    const form = el("form", { class: "compact-form", "data-form": "time" }, [
      field(T.minutes, minutes),
      field(T.note, note),
      el("button", { type: "submit", text: T.record_time }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = parseInt(minutes.value, 10);
      if (!(value >= 1 && value <= 1440)) {
        errorLine(form).textContent = T.bad_minutes;
        return;
      }
      const change = { type: "time", minutes: value, note: note.value };
      form.reset();
      queue(order, change);
    });
    return form;
  }

  function materialForm(order) {
    const description = el("input", { type: "text", name: "description", maxlength: "255" });
    const quantity = el("input", { type: "number", min: "0", step: "any", name: "quantity", inputmode: "decimal" });
    const cost = el("input", { type: "number", min: "0", step: "any", name: "unit_cost", inputmode: "decimal" });
    const form = el("form", { class: "compact-form", "data-form": "material" }, [
      field(T.description, description),
      field(T.quantity, quantity),
      field(T.unit_cost + " (" + order.currency + ")", cost),
      el("button", { type: "submit", text: T.add_material }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const qty = Number(quantity.value);
      if (!description.value.trim()) {
        errorLine(form).textContent = T.bad_description;
        return;
      }
      if (!(qty > 0)) {
        errorLine(form).textContent = T.bad_quantity;
        return;
      }
      const change = {
        type: "material",
        description: description.value.trim(),
        quantity: quantity.value,
        unit_cost: cost.value || "0",
        currency: order.currency,
      };
      form.reset();
      queue(order, change);
    });
    return form;
  }

  function notesForm(order) {
    const text = el("textarea", { name: "work_notes", rows: "3" });
    text.defaultValue = order.work_notes || "";
    const form = el("form", { class: "compact-form", "data-form": "notes" }, [
      field(T.work_notes, text),
      el("button", { type: "submit", text: T.save_notes }),
    ]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      queue(order, { type: "notes", text: text.value });
    });
    return form;
  }

  function statusButtons(order) {
    const box = el("p", { class: "inline-actions" });
    if (order.status === "scheduled") {
      const start = el("button", { type: "button", "data-action": "start", text: T.start });
      start.addEventListener("click", () => queue(order, { type: "status", status: "in_progress" }));
      box.append(start);
    }
    if (order.status === "in_progress") {
      const close = el("button", { type: "button", class: "primary", "data-action": "close", text: T.close });
      close.addEventListener("click", () => queue(order, { type: "status", status: "done" }));
      box.append(close);
    }
    if (order.status === "done") {
      const name = el("input", { type: "text", name: "signed_by", maxlength: "200" });
      const form = el("form", { class: "compact-form", "data-form": "signoff" }, [
        field(T.signed_by, name),
        el("button", { type: "submit", class: "primary", text: T.sign_off }),
      ]);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!name.value.trim()) {
          errorLine(form).textContent = T.bad_name;
          return;
        }
        queue(order, { type: "signoff", name: name.value.trim(), signature: name.value.trim(), kind: "typed" });
      });
      box.append(form);
    }
    return box;
  }

  function conflictCard(conflict, title) {
    const card = el("div", { class: "card field-conflict", role: "alert", "data-conflict": String(conflict.order) });
    card.append(el("h2", { text: fmt(T.conflict_title, { title }) }));
    if (conflict.result === "rejected") {
      card.append(el("p", { text: fmt(T.rejected, { errors: conflict.errors.join(" ") }) }));
    } else {
      card.append(el("p", { text: T.conflict_help }));
      const rows = conflict.conflicts.map((c) =>
        el("tr", {}, [
          el("th", { scope: "row", text: T[c.field + "_field"] || c.field }),
          el("td", { "data-office": "", text: c.office }),
          el("td", { "data-theirs": "", text: c.theirs }),
        ]),
      );
      card.append(
        el("table", {}, [
          el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: T.field }), el("th", { scope: "col", text: T.office }), el("th", { scope: "col", text: T.theirs })])]),
          el("tbody", {}, rows),
        ]),
      );
      const keep = el("button", { type: "button", class: "primary", "data-action": "keep-mine", text: T.keep_mine });
      keep.addEventListener("click", () => keepMine(conflict));
      card.append(keep, " ");
    }
    const drop = el("button", { type: "button", "data-action": "use-office", text: conflict.result === "rejected" ? T.discard : T.use_office });
    drop.addEventListener("click", () => useOffice(conflict));
    card.append(drop);
    return card;
  }

  function draftKey(input) {
    const card = input.closest("[data-order]");
    const form = input.closest("[data-form]");
    return (card ? card.dataset.order : "") + "/" + (form ? form.dataset.form : "") + "/" + input.name;
  }

  async function render() {
    const [orders, outbox, conflicts] = await Promise.all([all("orders"), all("outbox"), all("conflicts")]);
    orders.sort((a, b) => (a.window_start < b.window_start ? -1 : 1));
    const titles = new Map(orders.map((order) => [order.id, order.title]));
    conflictsBox.replaceChildren(...conflicts.map((c) => conflictCard(c, titles.get(c.order) || (c.office && c.office.title) || "")));
    conflictsBox.hidden = conflicts.length === 0;
    // A sync or another form's change re-renders the cards while the technician may be
    // typing in one: what they typed, and where the cursor is, survive the redraw.
    const drafts = new Map();
    ordersBox.querySelectorAll("[data-form] [name]").forEach((input) => {
      // Only what the technician changed: an untouched field takes the fresh value.
      if (input.value !== input.defaultValue) {
        drafts.set(draftKey(input), input.value);
      }
    });
    const focused = ordersBox.contains(document.activeElement) ? draftKey(document.activeElement) : null;
    ordersBox.replaceChildren(...(orders.length ? orders.map(orderCard) : [el("p", { class: "empty", text: T.empty })]));
    ordersBox.querySelectorAll("[data-form] [name]").forEach((input) => {
      const key = draftKey(input);
      if (drafts.has(key)) {
        input.value = drafts.get(key);
      }
      if (key === focused) {
        input.focus();
      }
    });
    connection.textContent = navigator.onLine ? T.online : T.offline;
    connection.classList.toggle("overdue", !navigator.onLine);
    pendingBox.textContent = outbox.length ? fmt(T.pending, { count: outbox.length }) : T.synced;
    pendingBox.dataset.count = String(outbox.length);
  }

  async function start() {
    db = await openDb();
    await render();
    await refresh();
    await render();
    await sync();
  }

  window.addEventListener("online", async () => {
    await sync();
    await refresh();
    await render();
  });
  window.addEventListener("offline", render);
  root.querySelector("[data-sync]").addEventListener("click", async () => {
    await sync();
    await refresh();
    await render();
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.workerUrl, { scope: root.dataset.scope }).catch(() => {});
  }
  start();
})();
