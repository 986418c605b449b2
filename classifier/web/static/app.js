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
    function predicted(task) {
      return form.getAttribute("data-predicted-" + task.replace(/_/g, "-")) || "";
    }
    // the tasks, as the schema lists them: the screening task (data-screening), then the charting tasks
    // (data-tasks); checkboxes = a task with several values
    var tasks = ((form.getAttribute("data-screening") || "") + " " + (form.getAttribute("data-tasks") || ""))
      .split(" ").filter(Boolean);
    function isMulti(task) {
      var boxes = inputs(task);
      return boxes.length > 0 && boxes[0].type === "checkbox";
    }
    function acceptAll() {
      tasks.forEach(function (task) {
        if (isMulti(task)) {
          var chosen = predicted(task).split(";").filter(Boolean);
          inputs(task).forEach(function (el) { el.checked = chosen.indexOf(el.value) >= 0; });
        } else {
          setRadio(task, predicted(task));
        }
      });
      markDirty();
    }
    function clearAll() {
      tasks.forEach(function (task) {
        if (isMulti(task)) { inputs(task).forEach(function (el) { el.checked = false; }); }
        else { setRadio(task, ""); }
      });
      markDirty();
    }
    function valueInput(key) {
      // the form input whose data-key is this key (written from the schema by the server)
      var all = Array.prototype.slice.call(form.querySelectorAll("input[data-key]"));
      return all.filter(function (el) { return el.getAttribute("data-key") === key; })[0] || null;
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
      var target = key ? valueInput(key) : null;
      var handled = true;
      if (key === "a" && accept) { acceptAll(); }
      else if (target && target.type === "checkbox") { target.checked = !target.checked; markDirty(); }
      else if (target) { setRadio(target.name, target.value); }
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
