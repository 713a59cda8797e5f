// The sign-off form's drawing pad: drawing fills the signature field with a PNG data URL
// and selects "drawn"; typing in the field selects "typed".
(function () {
  "use strict";

  document.querySelectorAll("[data-signature-form]").forEach((form) => {
    const pad = form.querySelector("[data-signature-pad]");
    const field = form.querySelector("[name=signature]");
    const kind = (value) => {
      const radio = form.querySelector("[name=kind][value=" + value + "]");
      if (radio) {
        radio.checked = true;
      }
    };
    const ctx = pad.getContext("2d");
    let drawing = false;
    let drawn = false;
    const point = (event) => {
      const box = pad.getBoundingClientRect();
      return [((event.clientX - box.left) * pad.width) / box.width, ((event.clientY - box.top) * pad.height) / box.height];
    };
    pad.addEventListener("pointerdown", (event) => {
      drawing = true;
      pad.setPointerCapture(event.pointerId);
      ctx.lineWidth = 2;
      ctx.lineCap = "round";
      ctx.beginPath();
      ctx.moveTo(...point(event));
    });
    pad.addEventListener("pointermove", (event) => {
      if (drawing) {
        ctx.lineTo(...point(event));
        ctx.stroke();
        drawn = true;
      }
    });
    pad.addEventListener("pointerup", () => {
      drawing = false;
      if (drawn) {
        field.value = pad.toDataURL("image/png");
        kind("drawn");
      }
    });
    field.addEventListener("input", () => kind("typed"));
    form.querySelector("[data-signature-clear]").addEventListener("click", () => {
      ctx.clearRect(0, 0, pad.width, pad.height);
      drawn = false;
      field.value = "";
      kind("typed");
    });
  });
})();
