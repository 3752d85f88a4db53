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
  // a question's answer in the shape its type's template declares (data-response): one choice, several, a
  // choice per item to match, or text
  function responseOf(fs) {
    var name = "q" + fs.getAttribute("data-position");
    var shaped = fs.querySelector("[data-response]");
    var shape = shaped ? shaped.getAttribute("data-response") : "text";
    if (shape === "choices") {
      var picked = [];
      fs.querySelectorAll("input[name='" + name + "']").forEach(function (b) { if (b.checked) { picked.push(b.value); } });
      return picked;
    }
    if (shape === "choice") {
      var c = fs.querySelector("input[name='" + name + "']:checked");
      return c ? c.value : "";
    }
    if (shape === "pairs") {
      var out = {};
      fs.querySelectorAll("select").forEach(function (s, i) { if (s.value) { out[String(i)] = s.value; } });
      return out;
    }
    var field = fs.querySelector("[name='" + name + "']");
    return field ? field.value : "";
  }
  // the question navigation: answered and flagged, as the server last confirmed
  var nav = document.getElementById("qnav");
  function mark(pos, answered, flagged) {
    var link = nav && nav.querySelector("[data-nav='" + pos + "']");
    if (!link) { return; }
    if (answered !== null) { link.classList.toggle("answered", answered); }
    if (flagged !== null) { link.classList.toggle("flagged", flagged); }
    link.querySelector(".sr-only").textContent =
      nav.getAttribute(link.classList.contains("answered") ? "data-answered" : "data-unanswered") +
      (link.classList.contains("flagged") ? nav.getAttribute("data-flagged") : "");
  }
  function isAnswer(value) {
    if (Array.isArray(value)) { return value.length > 0; }
    if (value && typeof value === "object") { return Object.keys(value).length > 0; }
    return value !== "" && value !== null && value !== undefined;
  }
  function post(target, payload) {
    return fetch(target, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: JSON.stringify(payload) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }
  // a flag as the server last confirmed it; only the reply to the latest change counts
  var flagSeq = {};
  function sendFlag(fs, box) {
    var pos = fs.getAttribute("data-position"), wanted = box.checked, seq = (flagSeq[pos] || 0) + 1;
    flagSeq[pos] = seq;
    var confirmed = function () { return fs.classList.contains("flagged"); };
    post(form.getAttribute("data-flag-url"), { position: Number(pos), flagged: wanted })
      .then(function (res) {
        if (flagSeq[pos] !== seq) { return; }
        if (res.ok && res.body.saved) { fs.classList.toggle("flagged", res.body.flagged); mark(pos, null, res.body.flagged); status.textContent = ""; }
        else { box.checked = confirmed(); status.textContent = res.body.error || ""; if (res.body.closed) { window.location.reload(); } }
      })
      .catch(function () {
        if (flagSeq[pos] !== seq) { return; }
        box.checked = confirmed(); status.textContent = form.getAttribute("data-flag-offline");
      });
  }
  function send(fs) {
    var note = fs.querySelector(".saved-at");
    var pos = fs.getAttribute("data-position"), response = responseOf(fs);
    note.textContent = form.getAttribute("data-saving");
    post(url, { position: Number(pos), response: response })
      .then(function (res) {
        if (res.ok && res.body.saved) { note.textContent = form.getAttribute("data-saved"); status.textContent = ""; mark(pos, isAnswer(response), null); }
        else { note.textContent = ""; status.textContent = res.body.error || ""; if (res.body.closed) { window.location.reload(); } }
      })
      .catch(function () { note.textContent = form.getAttribute("data-offline"); });
  }
  var timers = {};
  form.querySelectorAll("fieldset.question").forEach(function (fs) {
    var pos = fs.getAttribute("data-position");
    fs.addEventListener("change", function (ev) {
      if (ev.target.hasAttribute("data-flag")) { sendFlag(fs, ev.target); } else { send(fs); }
    });
    fs.addEventListener("input", function (ev) {
      if (ev.target.tagName === "TEXTAREA" || ev.target.type === "text") {
        clearTimeout(timers[pos]); timers[pos] = setTimeout(function () { send(fs); }, 800);
      }
    });
  });
  var cd = document.getElementById("countdown");
  if (cd) {
    // The server owns the clock: the page counts down the seconds it was given, not to the deadline by this
    // computer's clock (which may be wrong), and asks again now and then, and when it is shown after a sleep,
    // so that extra time given meanwhile shows.
    // elapsed time is read from performance.now(), which a change of the computer's clock does not move
    var now = function () { return window.performance.now(); };
    var end = now() + Number(cd.getAttribute("data-left")) * 1000;
    var deadline = cd.getAttribute("data-deadline"), clockUrl = cd.getAttribute("data-clock-url");
    // said once each, five minutes and one minute before the end; not again when the page is loaded anew
    var alertBox = document.getElementById("time-alert");
    var warned = 0, said = 0;
    var recall = function () {
      try { said = Number(window.sessionStorage.getItem("lms-time-warned:" + deadline)) || 0; } catch (e) { said = 0; }
    };
    recall();
    var warn = function (level, text) {
      if (warned >= level) { return; }
      warned = level; cd.classList.add("time-low");
      if (said >= level) { return; }
      said = level; alertBox.textContent = text;
      try { window.sessionStorage.setItem("lms-time-warned:" + deadline, String(level)); } catch (e) { /* private mode: said again next load */ }
    };
    var asking = false, timer = null;
    var tick = function () {
      clearTimeout(timer);
      var left = Math.max(0, Math.ceil((end - now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      cd.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 60) { warn(2, cd.getAttribute("data-one")); } else if (left <= 300) { warn(1, cd.getAttribute("data-five")); }
      if (left <= 0) { sync(true); return; }
      timer = setTimeout(tick, 1000);
    };
    var sync = function (atZero) {
      if (asking) { return; }
      asking = true;
      // a request that hangs is given up after ten seconds, so that the next check (at zero too) is made
      var abort = window.AbortController ? new window.AbortController() : null;
      var giveUp = abort ? setTimeout(function () { abort.abort(); }, 10000) : null;
      fetch(clockUrl, { credentials: "same-origin", cache: "no-store", signal: abort ? abort.signal : undefined })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (c) {
          clearTimeout(giveUp); asking = false;
          if (!c.open || c.left <= 0) { window.location.reload(); return; }
          end = now() + c.left * 1000;
          if (c.deadline !== deadline) {          // the deadline moved (extra time): warnings start afresh
            deadline = c.deadline; warned = 0; recall();
            if (c.left > 300) { cd.classList.remove("time-low"); alertBox.textContent = ""; }
          }
          tick();
        })
        .catch(function () { clearTimeout(giveUp); asking = false; if (atZero || end <= now()) { window.location.reload(); } });
    };
    tick();
    // every minute or so, spread so that a cohort that started together does not ask at the same moment
    var poll = function () { sync(false); setTimeout(poll, 50000 + Math.random() * 20000); };
    setTimeout(poll, 20000 + Math.random() * 40000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { sync(false); } });
    window.addEventListener("online", function () { sync(false); });
    // a page brought back by the Back button counts on from where it was left: ask at once
    window.addEventListener("pageshow", function (ev) { if (ev.persisted) { sync(false); } });
  }
})();
