// Keyboard-first helpers. Everything works without this file; it only saves keystrokes.
(function () {
  "use strict";
  // Ctrl+Enter submits the form being edited.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var form = e.target.closest && e.target.closest("form");
      if (form) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.submit(); }
    }
    // "/" focuses the search box when not typing.
    if (e.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) {
      var s = document.getElementById("search");
      if (s) { e.preventDefault(); s.focus(); }
    }
  });

  // Mark fields named in the error list and focus the first one.
  var errors = document.querySelectorAll("#form-errors a[href^='#']");
  errors.forEach(function (a, i) {
    var el = document.getElementById(a.getAttribute("href").slice(1));
    if (el) { el.setAttribute("aria-invalid", "true"); if (i === 0) el.focus(); }
  });

  // While the officer types who came and what about, show earlier petitions that may be the
  // same person or the same matter. Posted: names and ID numbers stay out of URLs.
  var similarBox = document.getElementById("similar");
  var timer = null;
  function lookup() {
    var id = document.getElementById("p0_id_number");
    if (!id || !similarBox) return;
    var form = similarBox.closest("form") || document;
    var body = new URLSearchParams();
    ["p0_id_number", "p0_name", "p0_phone", "p0_address", "summary", "requests", "accused_unit_id"].forEach(function (n) {
      var el = document.getElementById(n);
      if (el && el.value.trim()) body.set(n, el.value.trim());
    });
    var csrf = form.querySelector("input[name=_csrf]") || document.querySelector("input[name=_csrf]");
    if (![...body.keys()].length || !csrf) { similarBox.innerHTML = ""; return; }
    body.set("_csrf", csrf.value);
    fetch("/fragments/similar", { method: "POST", credentials: "same-origin", body: body })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { similarBox.innerHTML = html; });
  }
  document.querySelectorAll("[data-similar]").forEach(function (el) {
    el.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 250); });
  });
  if (similarBox) {
    similarBox.addEventListener("click", function (e) {
      var id = e.target.getAttribute && e.target.getAttribute("data-repeat-of");
      if (id) {
        document.getElementById("repeat_of").value = id;
        var reason = document.getElementById("repeat_reason");
        reason.focus();
      }
    });
  }

  // Region search by name or code into the datalist.
  document.querySelectorAll("[data-region-search]").forEach(function (el) {
    var list = document.getElementById(el.getAttribute("list"));
    var t = null;
    el.addEventListener("input", function () {
      clearTimeout(t);
      var v = el.value.trim();
      if (v.length < 1 || /^\d{6}$/.test(v)) return;
      t = setTimeout(function () {
        fetch("/api/v1/regions?q=" + encodeURIComponent(v), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.innerHTML = "";
            items.forEach(function (r) {
              var o = document.createElement("option");
              o.value = r.code; o.textContent = r.full_name; list.appendChild(o);
            });
          });
      }, 200);
    });
  });

  // Decision form: show only the reasons of the chosen decision.
  var decision = document.getElementById("decision-form");
  if (decision) {
    var reason = document.getElementById("reason");
    function sync() {
      var chosen = decision.querySelector("input[name=acceptance]:checked");
      var first = null;
      Array.prototype.forEach.call(reason.options, function (o) {
        var show = chosen && o.getAttribute("data-for") === chosen.value;
        o.hidden = !show; o.disabled = !show;
        if (show && !first) first = o;
      });
      if (first && reason.selectedOptions[0] && reason.selectedOptions[0].disabled) first.selected = true;
      if (first && !reason.selectedOptions.length) first.selected = true;
    }
    decision.addEventListener("change", sync);
    sync();
  }
})();
