// Small progressive enhancements; every page works without them.
document.addEventListener("htmx:configRequest", () => {});
