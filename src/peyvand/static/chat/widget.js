/* Peyvand web chat: one script tag,
     <script src="https://crm.example/static/chat/widget.js" data-key="KEY" data-lang="fa" async></script>
   Optional: data-identity="TOKEN" (a signed token from the CRM for a signed-in visitor).
   Draws a button and a panel in a shadow root (the page's styles stay out), speaks to
   ws(s)://crm/ws/chat/KEY/ and puts every text in with textContent. No CDN, no framework. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-key][src*='chat/widget.js']");
  if (!script || window.__peyvandChat) return;
  window.__peyvandChat = true;
  var STRINGS = {
    en: {open: "Chat with us", close: "Close", title: "Chat", placeholder: "Write a message…", send: "Send",
         offline: "No one is here right now. Leave your email address and we will answer by email.",
         email: "Your email", emailSend: "Send by email", emailed: "Thank you. We will answer by email.",
         typing: "Typing…", you: "You", agent: "Support", reconnecting: "Reconnecting…", failed: "Not sent"},
    fa: {open: "گفتگو با ما", close: "بستن", title: "گفتگو", placeholder: "پیام خود را بنویسید…", send: "ارسال",
         offline: "الان کسی پاسخگو نیست. نشانی ایمیل خود را بگذارید تا با ایمیل پاسخ دهیم.",
         email: "ایمیل شما", emailSend: "ارسال با ایمیل", emailed: "سپاس. با ایمیل پاسخ می‌دهیم.",
         typing: "در حال نوشتن…", you: "شما", agent: "پشتیبانی", reconnecting: "در حال اتصال دوباره…", failed: "فرستاده نشد"}
  };
  var key = script.getAttribute("data-key") || "";
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "fa").slice(0, 2);
  if (!STRINGS[lang]) lang = "fa";
  var t = STRINGS[lang];
  var base = new URL(script.src, location.href);
  var wsUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ws/chat/" + encodeURIComponent(key) + "/";

  function randomId(length) {
    var bytes = new Uint8Array(length);
    crypto.getRandomValues(bytes);
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return Array.prototype.map.call(bytes, function (b) { return alphabet[b % 64]; }).join("");
  }
  var storageKey = "peyvand-chat-" + key;
  var visitor;
  try { visitor = localStorage.getItem(storageKey); } catch (e) { visitor = null; }
  if (!visitor || !/^[A-Za-z0-9_-]{16,64}$/.test(visitor)) {
    visitor = randomId(24);
    try { localStorage.setItem(storageKey, visitor); } catch (e) { /* private mode: one session */ }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) node.textContent = text;
    return node;
  }
  var host = el("div", {id: "peyvand-chat"});
  var root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
  root.appendChild(el("link", {rel: "stylesheet", href: new URL("widget.css", base).href}));
  var box = el("div", {"class": "pv-chat", dir: lang === "fa" ? "rtl" : "ltr", lang: lang});
  var toggle = el("button", {type: "button", "class": "pv-toggle", "aria-expanded": "false", "aria-controls": "pv-panel"}, t.open);
  var panel = el("section", {id: "pv-panel", "class": "pv-panel", role: "dialog", "aria-label": t.title, hidden: ""});
  var head = el("header", {"class": "pv-head"});
  head.appendChild(el("strong", {}, t.title));
  var closeButton = el("button", {type: "button", "class": "pv-close", "aria-label": t.close}, "×");
  head.appendChild(closeButton);
  var log = el("ol", {"class": "pv-log", role: "log", "aria-live": "polite"});
  var status = el("p", {"class": "pv-status", "aria-live": "polite"});
  var form = el("form", {"class": "pv-form"});
  var input = el("textarea", {rows: "2", "aria-label": t.placeholder, placeholder: t.placeholder, maxlength: "4000"});
  form.appendChild(input);
  form.appendChild(el("button", {type: "submit", "class": "pv-send"}, t.send));
  var offline = el("form", {"class": "pv-offline", hidden: ""});
  offline.appendChild(el("p", {}, t.offline));
  var email = el("input", {type: "email", "aria-label": t.email, placeholder: t.email, required: "", dir: "ltr"});
  var offlineText = el("textarea", {rows: "3", "aria-label": t.placeholder, placeholder: t.placeholder, required: "", maxlength: "4000"});
  offline.appendChild(email);
  offline.appendChild(offlineText);
  offline.appendChild(el("button", {type: "submit", "class": "pv-send"}, t.emailSend));
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  panel.appendChild(offline);
  box.appendChild(toggle);
  box.appendChild(panel);
  root.appendChild(box);

  var socket = null, pending = {}, identity = script.getAttribute("data-identity") || "", identified = false;
  var typingTimer = null, lastTyping = 0, queue = [];

  function line(message) {
    var mine = message.direction === "in";
    var item = el("li", {"class": mine ? "pv-mine" : "pv-theirs"});
    if (message.client) item.setAttribute("data-client", message.client);
    if (message.id) item.setAttribute("data-id", String(message.id));
    item.appendChild(el("span", {"class": "pv-who"}, mine ? t.you : (message.author || t.agent)));
    item.appendChild(el("bdi", {"class": "pv-text"}, message.body));
    return item;
  }
  function show(message) {
    if (message.id && root.querySelector("[data-id='" + message.id + "']")) return;
    if (message.client && message.direction === "in") {
      var mine = root.querySelector("[data-client='" + message.client + "']");
      if (mine) { mine.setAttribute("data-id", String(message.id)); return; }
    }
    log.appendChild(line(message));
    log.scrollTop = log.scrollHeight;
  }
  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); else queue.push(frame);
  }
  /* A line is pending until the server acks it, which it does only once the line is
     stored. After a reconnect, or when the server says storing failed, pending lines go
     again with the same id (stored once); what was queued meanwhile goes after them. */
  function resend(id) {
    if (pending[id] && socket && socket.readyState === 1) socket.send(JSON.stringify(pending[id]));
  }
  function connect() {
    socket = new WebSocket(wsUrl + "?visitor=" + encodeURIComponent(visitor) + "&lang=" + lang);
    socket.addEventListener("open", function () {
      status.textContent = "";
      var queued = queue.splice(0);
      Object.keys(pending).forEach(function (id) {
        if (!queued.some(function (frame) { return frame.id === id; })) resend(id);
      });
      queued.forEach(send);
    });
    socket.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "hello") {
        data.messages.forEach(show);
        offline.hidden = data.online || data.messages.length > 0;
        form.hidden = !offline.hidden;
      } else if (data.type === "message") {
        status.textContent = "";
        show(data);
      } else if (data.type === "ack") {
        delete pending[data.client];
        var mine = root.querySelector("[data-client='" + data.client + "']");
        if (mine) { mine.setAttribute("data-id", String(data.id)); mine.classList.remove("pv-failed"); }
        if (identity && !identified) { identified = true; send({type: "identify", token: identity}); }
      } else if (data.type === "typing") {
        status.textContent = t.typing;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(function () { status.textContent = ""; }, 4000);
      } else if (data.type === "emailed") {
        offline.hidden = true;
        form.hidden = false;
        status.textContent = t.emailed;
      } else if (data.type === "error") {
        status.textContent = data.message;
        if (data.client) {
          var failed = root.querySelector("[data-client='" + data.client + "']");
          if (failed) failed.classList.add("pv-failed");
          if (data.retry) setTimeout(function () { resend(data.client); }, 2000);
          else delete pending[data.client];
        }
      }
    });
    socket.addEventListener("close", function () {
      status.textContent = t.reconnecting;
      setTimeout(connect, 3000);
    });
  }
  function openPanel(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      if (!socket) connect();
      (form.hidden ? email : input).focus();
    }
  }
  toggle.addEventListener("click", function () { openPanel(panel.hidden); });
  closeButton.addEventListener("click", function () { openPanel(false); toggle.focus(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = input.value.trim();
    if (!body) return;
    var id = randomId(12);
    pending[id] = {type: "message", id: id, body: body, page: location.href};
    log.appendChild(line({direction: "in", body: body, client: id}));
    log.scrollTop = log.scrollHeight;
    input.value = "";
    send(pending[id]);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 2000) { lastTyping = now; send({type: "typing"}); }
  });
  offline.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = offlineText.value.trim();
    if (!body || !email.value.trim()) return;
    var id = randomId(12);
    log.appendChild(line({direction: "in", body: body, client: id}));
    offlineText.value = "";
    send({type: "email", id: id, email: email.value.trim(), body: body});
  });
  window.peyvandChat = {
    open: function () { openPanel(true); },
    identify: function (token) { identity = token; identified = true; send({type: "identify", token: token}); }
  };
  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
