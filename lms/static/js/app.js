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
// Exams: save each answer as it is given, and show the time left (the server owns the clock).
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var url = form.getAttribute("data-answer-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("save-status");
  function responseOf(fs) {
    var qtype = fs.getAttribute("data-qtype"), pos = fs.getAttribute("data-position"), name = "q" + pos;
    if (qtype === "multichoice") {
      var boxes = fs.querySelectorAll("input[name='" + name + "']");
      var picked = [];
      boxes.forEach(function (b) { if (b.checked) { picked.push(b.value); } });
      return boxes.length && boxes[0].type === "radio" ? (picked[0] || "") : picked;
    }
    if (qtype === "truefalse") {
      var c = fs.querySelector("input[name='" + name + "']:checked");
      return c ? c.value : "";
    }
    if (qtype === "match") {
      var out = {};
      fs.querySelectorAll("select").forEach(function (s, i) { if (s.value) { out[String(i)] = s.value; } });
      return out;
    }
    var field = fs.querySelector("[name='" + name + "']");
    return field ? field.value : "";
  }
  function send(fs) {
    var note = fs.querySelector(".saved-at");
    note.textContent = form.getAttribute("data-saving");
    fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ position: Number(fs.getAttribute("data-position")), response: responseOf(fs) }) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (res.ok && res.body.saved) { note.textContent = form.getAttribute("data-saved"); status.textContent = ""; }
        else { note.textContent = ""; status.textContent = res.body.error || ""; if (res.body.closed) { window.location.reload(); } }
      })
      .catch(function () { note.textContent = form.getAttribute("data-offline"); });
  }
  var timers = {};
  form.querySelectorAll("fieldset.question").forEach(function (fs) {
    var pos = fs.getAttribute("data-position");
    fs.addEventListener("change", function () { send(fs); });
    fs.addEventListener("input", function (ev) {
      if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") {
        clearTimeout(timers[pos]); timers[pos] = setTimeout(function () { send(fs); }, 800);
      }
    });
  });
  var cd = document.getElementById("countdown");
  if (cd) {
    var deadline = Date.parse(cd.getAttribute("data-deadline"));
    var tick = function () {
      var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      cd.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 0) { window.location.reload(); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
