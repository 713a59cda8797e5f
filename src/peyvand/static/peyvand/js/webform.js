/* Peyvand web-to-lead: adds the campaign (utm_*) parameters of the page's address and the
   referring page to every Peyvand form on the page, as hidden fields. The form works
   without this script; it only loses the campaign data. No dependencies, no network. */
(function () {
  "use strict";
  var NAMES = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  function add(form, name, value) {
    if (!value || form.elements.namedItem(name)) return;
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value.slice(0, name === "referrer" ? 500 : 100);
    form.appendChild(input);
  }
  function decorate() {
    var params = new URLSearchParams(window.location.search);
    var forms = document.querySelectorAll('form[action*="/api/v1/public/forms/"]');
    for (var i = 0; i < forms.length; i++) {
      for (var j = 0; j < NAMES.length; j++) add(forms[i], NAMES[j], params.get(NAMES[j]));
      add(forms[i], "referrer", document.referrer || window.location.href);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", decorate);
  else decorate();
})();
