// The monthly report form (templates/rounds/_report_form.html): shows the year's
// cumulative figure as the month's figure is typed. The server checks the figures; this
// only spares a round trip. Amounts are added in fen (integers), never as floats.
(function () {
  "use strict";

  function toFen(text) {
    var match = /^\s*(\d+)(?:[.,](\d{0,2}))?\s*$/.exec(text || "");
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function fromFen(fen) {
    var whole = Math.floor(fen / 100);
    var rest = fen % 100;
    var text = String(whole);
    if (rest) text += "." + (rest < 10 ? "0" : "") + String(rest).replace(/0$/, "");
    return text;
  }

  function bind(root) {
    var output = root.querySelector("#cumulative-total");
    var shown = root.querySelector("[data-before]");
    if (!output || !shown || output.dataset.bound) return;
    var input = document.getElementById(output.getAttribute("for"));
    var before = toFen(shown.dataset.before.replace(/,/g, ""));
    if (!input || before === null) return;
    output.dataset.bound = "1";
    input.addEventListener("input", function () {
      var month = toFen(input.value);
      output.textContent = fromFen(before + (month === null ? 0 : month));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bind(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    bind(event.target);
  });
})();
