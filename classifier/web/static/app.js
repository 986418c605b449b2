/* The review page's keyboard shortcuts and the model page's retrain status. Plain JavaScript, no build. */
(function () {
  "use strict";

  function onDocumentPage(form) {
    var dirty = false;
    var warnedLeave = false;
    var leaving = false;   // the reviewer pressed n/p/q twice: leave without asking again
    var dirtyNote = document.getElementById("dirty");

    function markDirty() {
      dirty = true;
      if (dirtyNote) { dirtyNote.hidden = false; dirtyNote.textContent = "unsaved changes"; }
    }
    form.addEventListener("change", markDirty);

    function inputs(name) {
      return Array.prototype.slice.call(form.querySelectorAll('input[name="' + name + '"]'));
    }
    function setRadio(name, value) {
      inputs(name).forEach(function (el) { el.checked = (el.value === value); });
      markDirty();
    }
    function valueRadios(name) {
      return inputs(name).filter(function (el) { return el.value !== ""; });
    }
    function predicted(task) {
      return form.getAttribute("data-predicted-" + task.replace(/_/g, "-")) || "";
    }
    function acceptAll() {
      setRadio("role", predicted("role"));
      var phases = predicted("phases").split(";").filter(Boolean);
      inputs("phases").forEach(function (el) { el.checked = phases.indexOf(el.value) >= 0; });
      setRadio("boundary_spanner", predicted("boundary_spanner"));
      markDirty();
    }
    function clearAll() {
      setRadio("role", "");
      inputs("phases").forEach(function (el) { el.checked = false; });
      setRadio("boundary_spanner", "");
    }
    function leave(id) {
      var link = document.getElementById(id);
      if (!link) { return; }
      if (dirty && !warnedLeave) {
        warnedLeave = true;
        if (dirtyNote) { dirtyNote.hidden = false; dirtyNote.textContent = "unsaved changes: press s to save, or the same key again to leave without saving"; }
        return;
      }
      leaving = true;
      window.location.href = link.href;
    }

    // closing the tab or following a link with unsaved changes asks first
    window.addEventListener("beforeunload", function (ev) {
      if (dirty && !leaving) { ev.preventDefault(); ev.returnValue = ""; }
    });

    var accept = document.getElementById("accept-all");
    if (accept) { accept.addEventListener("click", acceptAll); }
    form.addEventListener("submit", function () { dirty = false; });

    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      var t = ev.target;
      var typing = t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
        (t.tagName === "INPUT" && (t.type === "text" || t.type === "search")));
      if (typing) {
        if (ev.key === "Escape") { t.blur(); }
        return;
      }
      var key = ev.key;
      var roles = valueRadios("role");
      var phases = inputs("phases");
      var handled = true;
      if (key === "a" && accept) { acceptAll(); }
      else if (key >= "1" && key <= "3" && roles[Number(key) - 1]) { setRadio("role", roles[Number(key) - 1].value); }
      else if (key >= "4" && key <= "7" && phases[Number(key) - 4]) {
        var box = phases[Number(key) - 4]; box.checked = !box.checked; markDirty();
      }
      else if (key === "t") { setRadio("boundary_spanner", "true"); }
      else if (key === "f") { setRadio("boundary_spanner", "false"); }
      else if (key === "u") { clearAll(); }
      else if (key === "s") { dirty = false; if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); } }
      else if (key === "n") { leave("next-link"); }
      else if (key === "p") { leave("prev-link"); }
      else if (key === "q") { leave("queue-link"); }
      else if (key === "?") { var k = document.getElementById("keys"); if (k) { k.open = !k.open; } }
      else { handled = false; }
      if (handled) { ev.preventDefault(); }
    });
  }

  function onModelPage(status) {
    if (status.getAttribute("data-state") !== "running") { return; }
    var timer = window.setInterval(function () {
      fetch("/model/status", { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          status.textContent = s.state + ": " + s.message;
          status.setAttribute("data-state", s.state);
          if (s.state !== "running") { window.clearInterval(timer); window.location.reload(); }
        })
        .catch(function () { /* the server is gone: leave the last status on screen */ });
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("label-form");
    if (form) { onDocumentPage(form); }
    var status = document.getElementById("retrain-status");
    if (status) { onModelPage(status); }
  });
}());
