// Screen pop: an incoming call shows the matching customer on every agent page.
(() => {
  let retry = 1000;

  function popup(data) {
    let box = document.getElementById("call-pop");
    if (!box) {
      box = document.createElement("aside");
      box.id = "call-pop";
      box.className = "call-pop";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = data.title;
    const name = document.createElement("p");
    name.className = "call-pop-name";
    const bdi = document.createElement("bdi");
    bdi.textContent = data.name;
    name.appendChild(bdi);
    const number = document.createElement("p");
    number.className = "call-pop-number ltr";
    number.textContent = data.number;
    const link = document.createElement("a");
    link.className = "button primary";
    link.href = data.url;
    link.textContent = data.link;
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = data.close;
    close.addEventListener("click", () => box.remove());
    box.append(title, name, number, link, " ", close);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/voice/`);
    socket.addEventListener("open", () => { retry = 1000; document.body.dataset.voice = "connected"; });
    socket.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.type === "call") popup(data);
    });
    socket.addEventListener("close", (event) => {
      document.body.dataset.voice = "closed";
      if (event.code === 4401) return;
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  document.addEventListener("DOMContentLoaded", connect);
})();
