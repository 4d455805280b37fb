/* "Add an issue": clone the formset's empty form and bump TOTAL_FORMS.
   window.sanbufuFormset.add(prefix) is also used by draft.js to rebuild rows. */
(function () {
  "use strict";

  function add(prefix) {
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var rows = document.getElementById(prefix + "-rows");
    if (!total || !template || !rows) return null;
    var index = parseInt(total.value, 10) || 0;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    return row;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) return;
    event.preventDefault();
    var row = add(button.getAttribute("data-formset-add"));
    if (row) {
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      row.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  /* "Remove": tick the row's DELETE box and hide the row; the server skips it. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-remove]");
    if (!button) return;
    event.preventDefault();
    var row = button.closest("fieldset");
    var box = row.querySelector('input[name$="-DELETE"]');
    if (box) box.checked = true;
    row.hidden = true;
    row.dispatchEvent(new Event("input", { bubbles: true }));
  });

  /* With script, each row has a Remove button in place of its "Remove this issue" box, and
     the rows still there are numbered 1, 2, 3 (问题 1, 问题 2…) after every change. */
  function enhance(root) {
    // Only what changes is written: each write would wake the observer below again.
    root.querySelectorAll("[data-formset-remove][hidden]").forEach(function (button) {
      button.hidden = false;
      var field = button.closest("fieldset").querySelector(".field-DELETE");
      if (field && !field.hidden) field.hidden = true;
    });
    var n = 0;
    root.querySelectorAll("fieldset:not([hidden]) [data-row-number]").forEach(function (span) {
      if (span.closest("template")) return;
      n += 1;
      if (span.textContent !== String(n)) span.textContent = String(n);
    });
  }
  enhance(document);
  new MutationObserver(function () { enhance(document); }).observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["hidden"],
  });

  window.sanbufuFormset = { add: add };
})();

/* After the server sends the form back with errors, put the cursor on the first one. */
(function () {
  "use strict";
  var first = document.querySelector(
    ".has-error input:not([type=hidden]), .has-error select, .has-error textarea"
  );
  if (first) {
    first.focus();
    first.scrollIntoView({ block: "center" });
  }
})();
