/* Keep a draft of a form in localStorage so a dropped connection or a reload loses nothing.
   <form data-draft="key">: saved on every input, restored on load (adding formset rows as
   needed), left alone when the server re-renders the form with errors (data-draft-bound).
   Any element with data-draft-clear="key" (the page shown after a successful save)
   removes the draft. */
(function () {
  "use strict";

  var SKIP = { csrfmiddlewaretoken: true };

  function store() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  function snapshot(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      // A chosen photo cannot be kept in a draft (nor put back into a file input).
      if (!el.name || SKIP[el.name] || el.type === "submit" || el.type === "button") return;
      if (el.type === "file") return;
      data[el.name] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
    });
    return data;
  }

  function restore(form, data) {
    // Rebuild formset rows first so that their fields exist.
    Object.keys(data).forEach(function (name) {
      var match = /^(.+)-TOTAL_FORMS$/.exec(name);
      if (!match || !window.sanbufuFormset) return;
      var total = form.elements[name];
      var wanted = parseInt(data[name], 10) || 0;
      while (total && (parseInt(total.value, 10) || 0) < wanted) {
        if (!window.sanbufuFormset.add(match[1])) break;
      }
    });
    Object.keys(data).forEach(function (name) {
      if (/-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/.test(name)) return;
      var el = form.elements[name];
      if (!el || el.length > 1 && !el.tagName || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") el.checked = !!data[name];
      else el.value = data[name];
    });
  }

  function isEmpty(data) {
    return !Object.keys(data).some(function (name) {
      if (/_FORMS$/.test(name)) return false;
      return data[name] === true || (typeof data[name] === "string" && data[name].trim() !== "");
    });
  }

  var storage = store();
  if (!storage) return;

  document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
    storage.removeItem(el.getAttribute("data-draft-clear"));
  });

  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = form.getAttribute("data-draft");
    var note = form.querySelector("[data-draft-note]");
    var initial = JSON.stringify(snapshot(form));
    var saved = storage.getItem(key);
    if (saved && !form.hasAttribute("data-draft-bound")) {
      try {
        var data = JSON.parse(saved);
        if (JSON.stringify(data) !== initial && !isEmpty(data)) {
          restore(form, data);
          if (note) note.hidden = false;
        }
      } catch (e) {
        storage.removeItem(key);
      }
    }

    function save() {
      try {
        storage.setItem(key, JSON.stringify(snapshot(form)));
      } catch (e) {
        /* Storage full or disabled: the form still works without a draft. */
      }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    var discard = form.querySelector("[data-draft-discard]");
    if (discard) {
      discard.addEventListener("click", function () {
        storage.removeItem(key);
        window.location.reload();
      });
    }
  });
})();
