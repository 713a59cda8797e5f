/* The inbox's live side: one socket to ws/inbox/ per page. On a conversation it shows new
   messages, the visitor typing and who else has the conversation open; on the list it
   offers a refresh when something new arrives. Text goes in with textContent only. */
(function () {
  "use strict";
  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + "/ws/inbox/";
  }
  function dedupe(thread) {
    var seen = {};
    thread.querySelectorAll("li[id^='msg-']").forEach(function (item) {
      if (seen[item.id]) item.remove(); else seen[item.id] = true;
    });
  }
  function messageItem(message, layout) {
    var li = document.createElement("li");
    li.id = "msg-" + message.id;
    li.className = "inbox-msg inbox-msg-" + (message.direction === "in" ? "inbound" : "outbound");
    var meta = document.createElement("div");
    meta.className = "inbox-msg-meta";
    var author = document.createElement("bdi");
    author.textContent = message.author && message.author !== "visitor" ? message.author : layout.dataset.visitor;
    meta.appendChild(author);
    var when = document.createElement("time");
    when.dateTime = message.at;
    when.textContent = " · " + new Date(message.at).toLocaleTimeString(document.documentElement.lang);
    meta.appendChild(when);
    var body = document.createElement("div");
    body.className = "inbox-msg-body";
    var text = document.createElement("bdi");
    text.textContent = message.body;
    body.appendChild(text);
    li.appendChild(meta);
    li.appendChild(body);
    return li;
  }
  function start() {
    var layout = document.querySelector(".inbox-layout[data-conversation]");
    var list = document.querySelector("[data-inbox-list]");
    if (!layout && !list) return;
    var conversation = layout ? Number(layout.dataset.conversation) : 0;
    var me = layout ? Number(layout.dataset.me) : 0;
    var thread = document.getElementById("thread");
    var typing = document.getElementById("inbox-typing");
    var collision = document.getElementById("inbox-collision");
    var typingTimer = null;
    var socket;
    function connect() {
      socket = new WebSocket(socketUrl());
      socket.addEventListener("open", function () {
        if (conversation) socket.send(JSON.stringify({type: "watch", conversation: conversation}));
      });
      socket.addEventListener("message", function (event) {
        var data = JSON.parse(event.data);
        if (data.type === "message" && data.conversation === conversation && thread) {
          if (!document.getElementById("msg-" + data.id)) thread.appendChild(messageItem(data, layout));
          if (typing) typing.textContent = "";
        } else if (data.type === "typing" && data.conversation === conversation && typing) {
          typing.textContent = (data.who === "visitor" ? layout.dataset.visitor : data.who) + " " + layout.dataset.typing;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
        } else if (data.type === "presence" && data.conversation === conversation && collision) {
          var others = data.viewers.filter(function (v) { return v.id !== me; });
          collision.hidden = others.length === 0;
          collision.textContent = collision.dataset.template + " " + others.map(function (v) { return v.name; }).join("، ");
        } else if (data.type === "activity" && list) {
          var live = document.getElementById("inbox-live");
          if (live) live.hidden = false;
          if (window.htmx) window.htmx.trigger(list, "inbox-refresh");
        }
      });
      socket.addEventListener("close", function () { setTimeout(connect, 3000); });
    }
    connect();
    setInterval(function () {
      if (socket && socket.readyState === 1) socket.send(JSON.stringify({type: "ping"}));
    }, 30000);
    var form = document.getElementById("reply-form");
    if (form) {
      var box = form.querySelector("textarea");
      var lastTyping = 0;
      box.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 2000 && socket.readyState === 1) {
          lastTyping = now;
          socket.send(JSON.stringify({type: "typing", conversation: conversation}));
        }
      });
      form.addEventListener("htmx:afterRequest", function (event) {
        var errors = document.getElementById("reply-errors");
        if (event.detail.successful) { form.reset(); errors.textContent = ""; dedupe(thread); }
        else if (event.detail.xhr) { errors.innerHTML = ""; var p = document.createElement("p"); p.className = "errors"; p.textContent = event.detail.xhr.responseText.replace(/<[^>]*>/g, " ").trim(); errors.appendChild(p); }
      });
      var picker = document.querySelector("[data-canned-picker]");
      if (picker) picker.addEventListener("change", function () {
        if (picker.value) { box.value = box.value ? box.value + "\n" + picker.value : picker.value; box.focus(); }
        picker.value = "";
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
