{% load static %}// The field app's service worker: keeps the page and its assets so it opens without a
// connection. Reads go to the network first and fall back to the copy; writes are never
// cached (the page queues them in IndexedDB and syncs them itself).
const CACHE = "{{ cache_name }}";
const SHELL = [
  "{% url 'service:order_mobile' %}",
  "{% url 'service:order_mobile_data' %}",
  "{% url 'service:order_mobile_manifest' %}",
  "{% static 'peyvand/css/peyvand.css' %}",
  "{% static 'peyvand/css/field.css' %}",
  "{% static 'peyvand/js/field.js' %}",
  "{% static 'peyvand/js/peyvand.js' %}",
  "{% static 'peyvand/vendor/htmx.min.js' %}",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && SHELL.includes(new URL(request.url).pathname)) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || Response.error())),
  );
});
