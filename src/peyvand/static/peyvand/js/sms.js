// The SMS compose box's live segment counter; the same rules as channels/sms/segments.py.
(() => {
  const BASIC = new Set(Array.from(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"));
  const EXTENSION = new Set(Array.from("\f^{}\\[~]|€"));
  const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";

  function count(text) {
    const chars = Array.from(text);
    const gsm = chars.every((ch) => BASIC.has(ch) || EXTENSION.has(ch));
    const sizes = chars.map((ch) => (gsm ? (EXTENSION.has(ch) ? 2 : 1) : (ch.codePointAt(0) > 0xffff ? 2 : 1)));
    const units = sizes.reduce((a, b) => a + b, 0);
    const [single, part] = gsm ? [160, 153] : [70, 67];
    if (units <= single) return { gsm, units, segments: units ? 1 : 0, remaining: single - units };
    let parts = 1;
    let used = 0;
    for (const size of sizes) {
      if (used + size > part) { parts += 1; used = 0; }
      used += size;
    }
    return { gsm, units, segments: parts, remaining: part - used };
  }

  function show(box, out) {
    const result = count(box.value.trim());
    const fa = out.dataset.fa === "1";
    const digits = (n) => (fa ? String(n).replace(/\d/g, (d) => PERSIAN[d]) : String(n));
    out.textContent = out.dataset.template
      .replace("{chars}", digits(result.units))
      .replace("{segments}", digits(result.segments))
      .replace("{left}", digits(result.remaining))
      .replace("{encoding}", result.gsm ? out.dataset.gsm : out.dataset.ucs);
    out.dataset.segments = String(result.segments);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const box of document.querySelectorAll("textarea[data-sms-counter]")) {
      const out = document.getElementById(box.dataset.smsCounter);
      if (!out) continue;
      box.addEventListener("input", () => show(box, out));
      show(box, out);
    }
  });
})();
