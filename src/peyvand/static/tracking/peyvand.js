/* Peyvand click-stream snippet: no dependencies, first-party id, batched sends.
 *
 *   <script async src=".../peyvand.js" data-site="KEY" data-endpoint=".../collect/KEY"></script>
 *   peyvand('page')                      a page view (sent on load unless data-auto="off")
 *   peyvand('track', name, {..})         a custom event
 *   peyvand('product', {sku: ..})        a product view; also [data-peyvand-product='{json}']
 *   peyvand('cart', {sku: .., quantity}) an add-to-cart; also clicks on [data-peyvand-cart]
 *   peyvand('identify', token)           a token the CRM issued for this visitor
 *
 * Events wait in a queue and leave in batches (every few seconds, at 20 events, and when
 * the page is hidden) by sendBeacon or fetch keepalive, as text/plain: a simple request,
 * no CORS preflight. Calls made before the script loads are kept by the stub and replayed.
 */
(function (w, d) {
  "use strict";
  var me = d.currentScript || d.querySelector("script[data-site][src*='peyvand.js']");
  if (!me || w.__peyvandLoaded) return;
  w.__peyvandLoaded = true;
  var endpoint = me.getAttribute("data-endpoint");
  var KEY = "peyvand_aid", FLUSH_MS = 3000, MAX_QUEUE = 20, MAX_BATCH = 500;
  var queue = [], timer = null;

  function newId() {
    var bytes = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function readCookie() {
    var m = d.cookie.match(/(?:^|; )peyvand_aid=([A-Za-z0-9_-]{8,64})/);
    return m ? m[1] : null;
  }
  function anonymousId() {
    var id = null;
    try { id = w.localStorage.getItem(KEY); } catch (e) { /* storage blocked */ }
    id = id || readCookie() || newId();
    try { w.localStorage.setItem(KEY, id); } catch (e) { /* storage blocked */ }
    d.cookie = KEY + "=" + id + "; path=/; max-age=" + 60 * 60 * 24 * 395 + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
    return id;
  }
  var aid = anonymousId();

  function send(events) {
    var body = JSON.stringify({
      anonymous_id: aid,
      events: events,
      sent_at: new Date().toISOString(),
      webdriver: !!navigator.webdriver
    });
    var blob = new Blob([body], { type: "text/plain" });
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, blob)) return;
    if (w.fetch) {
      w.fetch(endpoint, { method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: { "Content-Type": "text/plain" } }).catch(function () { /* dropped */ });
    }
  }
  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (queue.length) send(queue.splice(0, MAX_BATCH));
  }
  function push(event) {
    event.occurred_at = new Date().toISOString();
    queue.push(event);
    if (queue.length >= MAX_QUEUE || event.type === "identify") flush();
    else if (!timer) timer = setTimeout(flush, FLUSH_MS);
  }
  function page() {
    push({ type: "page_view", url: location.href, referrer: d.referrer || "" });
  }
  function props(value) {
    return value && typeof value === "object" ? value : {};
  }
  var commands = {
    page: page,
    track: function (name, p) { push({ type: "custom", name: String(name || ""), url: location.href, properties: props(p) }); },
    product: function (p) { push({ type: "product_view", url: location.href, properties: props(p) }); },
    cart: function (p) { push({ type: "add_to_cart", url: location.href, properties: props(p) }); },
    identify: function (token) { if (token) push({ type: "identify", token: String(token) }); },
    flush: flush
  };
  function call(args) {
    var fn = commands[args[0]];
    if (fn) fn.apply(null, Array.prototype.slice.call(args, 1));
  }
  function data(el, name) {
    try { return JSON.parse(el.getAttribute(name) || "{}"); } catch (e) { return {}; }
  }

  var waiting = (w.peyvand && w.peyvand.q) || [];
  w.peyvand = function () { call(arguments); };
  // A tracked link in a message put the recipient's identify token in the landing URL
  // (pv_id): hand it back, and take it out of the address bar before the page view records
  // the URL, so it is neither stored nor bookmarked.
  var landing = (location.search.match(/[?&]pv_id=([^&#]+)/) || [])[1];
  if (landing) {
    commands.identify(decodeURIComponent(landing));
    if (w.history && w.history.replaceState) {
      var clean = location.href.replace(/([?&])pv_id=[^&#]*&?/, "$1").replace(/[?&](#|$)/, "$1");
      w.history.replaceState(w.history.state, "", clean);
    }
  }
  if (me.getAttribute("data-auto") !== "off") page();
  Array.prototype.forEach.call(d.querySelectorAll("[data-peyvand-product]"), function (el) {
    commands.product(data(el, "data-peyvand-product"));
  });
  d.addEventListener("click", function (e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-peyvand-cart]") : null;
    if (el) commands.cart(data(el, "data-peyvand-cart"));
  });
  for (var i = 0; i < waiting.length; i++) call(waiting[i]);
  d.addEventListener("visibilitychange", function () { if (d.visibilityState === "hidden") flush(); });
  w.addEventListener("pagehide", flush);
})(window, document);
