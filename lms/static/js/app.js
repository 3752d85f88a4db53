// Progressive enhancement only: every flow works without this file.
(function () {
  "use strict";
  // confirmation for destructive buttons
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-confirm]");
    if (btn && !window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // live Markdown preview in the lesson editor (rendered and sanitised by the server)
  var endpoint = document.getElementById("preview-endpoint");
  if (!endpoint) { return; }
  var url = endpoint.getAttribute("data-url");
  var form = document.querySelector("form.lesson-editor");
  var token = form && form.querySelector("input[name=csrf_token]");
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var target = document.getElementById(area.getAttribute("data-preview"));
    var timer = null;
    function refresh() {
      var body = new URLSearchParams();
      body.set("csrf_token", token ? token.value : "");
      body.set("text", area.value);
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { target.innerHTML = html; })
        .catch(function () { /* keep the last preview */ });
    }
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
    refresh();
  });
})();
