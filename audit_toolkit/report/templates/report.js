(function () {
  "use strict";
  // Fold case and Vietnamese diacritics so "nguyen" finds "Nguyễn".
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d").toLowerCase();
  }
  function cellValue(row, i) {
    var cell = row.cells[i];
    if (!cell) return "";
    var v = cell.getAttribute("data-sort");
    return v !== null ? v : cell.textContent.trim();
  }
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      th.classList.add("sortable");
      th.setAttribute("tabindex", "0");
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var numeric = th.classList.contains("num");
        rows.sort(function (a, b) {
          var x = cellValue(a, i), y = cellValue(b, i), r;
          if (numeric) { r = (parseFloat(x) || 0) - (parseFloat(y) || 0); }
          else { r = x.localeCompare(y, document.documentElement.lang || "vi", { numeric: true }); }
          return asc ? r : -r;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }
  function makeFilterable(tools) {
    var table = document.getElementById(tools.getAttribute("data-table"));
    var input = tools.querySelector("input[type=search]");
    var counter = tools.querySelector("[data-counter]");
    if (!table || !input) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (r) { return fold(r.textContent); });
    var template = counter ? counter.getAttribute("data-template") : "";
    function update() {
      var q = fold(input.value.trim());
      var shown = 0;
      rows.forEach(function (row, k) {
        var hit = !q || texts[k].indexOf(q) !== -1;
        row.hidden = !hit;
        if (hit) shown += 1;
      });
      if (counter) counter.textContent = template.replace("{shown}", shown).replace("{total}", rows.length);
    }
    input.addEventListener("input", update);
    tools.hidden = false;
    update();
  }
  document.querySelectorAll("table.sortable-table").forEach(makeSortable);
  document.querySelectorAll(".tools[data-table]").forEach(makeFilterable);
  document.querySelectorAll(".js-hint").forEach(function (el) { el.hidden = true; });
})();
