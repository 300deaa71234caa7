/* Scan page: a USB scanner types the code and Enter. Keep the field ready for the next scan. */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var input = form.querySelector("input[name=code]");

  function ready() {
    input.value = "";
    input.focus();
  }

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    // Refused scans answer 4xx with the explanation: show it.
    if (evt.detail.xhr.status >= 400 && evt.detail.xhr.status < 500) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.elt === form) { ready(); }
  });
  document.body.addEventListener("htmx:sendError", function () {
    var result = document.getElementById("scan-result");
    result.hidden = false;
    result.className = "scan-result scan-error";
    result.setAttribute("role", "alert");
    result.innerHTML = "";
    var title = document.createElement("h2");
    title.textContent = "Not applied: no connection";
    var text = document.createElement("p");
    text.textContent = "The scan did not reach the server. Scan the card again when the connection is back.";
    result.appendChild(title);
    result.appendChild(text);
  });
  // A scanner types into whatever has focus: bring it back to the field.
  document.addEventListener("keydown", function (evt) {
    if (document.activeElement === document.body && evt.key.length === 1) { input.focus(); }
  });
  ready();
})();
