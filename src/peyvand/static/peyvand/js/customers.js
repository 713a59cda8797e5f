// Customer form: "add another contact point" clones the formset's empty form.
// Without JavaScript the two spare rows the server renders still work.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".cu-add-contact");
  const template = document.getElementById("cu-contact-template");
  const rows = document.getElementById("cu-contact-rows");
  if (!button || !template || !rows) return;
  const prefix = button.dataset.prefix;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
  button.hidden = false;
  button.addEventListener("click", () => {
    const index = Number(total.value);
    if (max && index >= Number(max.value)) return;
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const added = rows.lastElementChild;
    const value = added && added.querySelector("input[name$='-value']");
    if (value) value.focus();
  });
});
