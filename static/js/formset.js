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
