/* As the cadre types an issue's title, show the open issues like it nearby
   (GET /api/v1/issues/similar/, same category and town, last 30 days). Only a hint: on saving,
   the server offers the same issues again, to add this report to one instead of raising a new
   one (一事一件). */
(function () {
  "use strict";

  var placesNode = document.getElementById("posting-places");
  var places = placesNode ? JSON.parse(placesNode.textContent) : {};
  var timers = new WeakMap();
  var asked = new WeakMap();

  function render(box, items) {
    var list = box.querySelector("ul");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/issues/" + encodeURIComponent(item.id) + "/";
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "#" + item.id + " " + item.title;
      li.appendChild(link);
      list.appendChild(li);
    });
    box.hidden = items.length === 0;
  }

  function check(row) {
    var box = row.querySelector("[data-similar]");
    var posting = document.getElementById("id_posting");
    var title = row.querySelector('[name$="-title"]');
    var category = row.querySelector('[name$="-category"]');
    if (!box || !posting || !title || !category) return;
    var division = places[posting.value];
    var text = title.value.trim();
    if (!division || !category.value || text.length < 4) {
      box.hidden = true;
      return;
    }
    var query = new URLSearchParams({ division: division, category: category.value, title: text });
    var url = box.getAttribute("data-url") + "?" + query.toString();
    asked.set(row, url);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : []; })
      .then(function (items) {
        if (asked.get(row) === url) render(box, Array.isArray(items) ? items : []);
      })
      .catch(function () { box.hidden = true; });
  }

  function later(row) {
    clearTimeout(timers.get(row));
    timers.set(row, setTimeout(function () { check(row); }, 400));
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches('[name$="-title"], [name$="-category"], #id_posting')) return;
    if (event.target.id === "id_posting") {
      document.querySelectorAll(".issue-row").forEach(later);
      return;
    }
    var row = event.target.closest(".issue-row");
    if (row) later(row);
  });
})();
