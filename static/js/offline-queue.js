/* Offline queue for the shop floor: board moves and scans made while the tablet has no
   connection are kept on this device (localStorage) and sent again, in the order they
   were made, once it is back. Every such request carries an Idempotency-Key from its
   first try, and its replays send the same key: the server applies it once, even when
   the first try did arrive and only its answer was lost.

   Which requests: htmx POSTs from inside an element with data-offline-queue="label"
   (the scan form) and card moves (/cards/<id>/move/). The panel #offline-queue lists
   what waits and what the server refused when it was sent. */
(function () {
  "use strict";
  var QUEUE = "pullboard.offline-queue.v1";
  var REFUSED = "pullboard.offline-refused.v1";
  var KEEP_REFUSED = 20;
  var RETRY_MS = 10000;
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (match) { return String(obj[match.slice(2, -2)]); });
  };
  var sending = false;

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function load(name) {
    try { return JSON.parse(window.localStorage.getItem(name) || "[]"); } catch (e) { return []; }
  }

  function save(name, list) { window.localStorage.setItem(name, JSON.stringify(list)); }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function labelFor(elt, path) {
    var marked = elt && elt.closest && elt.closest("[data-offline-queue]");
    if (marked) { return marked.getAttribute("data-offline-queue"); }
    if (/\/cards\/\d+\/move\/$/.test(path)) { return gettext("Card move"); }
    return null;
  }

  function describe(elt, params) {
    var card = elt && elt.closest && elt.closest(".card");
    var title = card && card.querySelector(".card-title");
    var what = title ? title.textContent.replace(/\s+/g, " ").trim() : (params.get("code") || "");
    var to = params.get("to");
    var button = to && card && card.querySelector(".move-" + to);
    if (button) { what += " → " + button.textContent.replace(/[→\s]+/g, " ").trim(); }
    return what;
  }

  // ---- what the panel shows ---------------------------------------------------
  function item(entry, text) {
    var li = document.createElement("li");
    var time = document.createElement("time");
    var at = new Date(entry.queuedAt);
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString(document.documentElement.lang || undefined);
    var label = document.createElement("strong");
    label.textContent = " " + entry.label + " ";
    li.appendChild(time);
    li.appendChild(label);
    li.appendChild(document.createTextNode(text));
    return li;
  }

  function render() {
    var panel = document.getElementById("offline-queue");
    if (!panel) { return; }
    var queued = load(QUEUE);
    var refused = load(REFUSED);
    var list = document.getElementById("offline-queue-list");
    var refusedList = document.getElementById("offline-refused-list");
    list.textContent = "";
    refusedList.textContent = "";
    queued.forEach(function (entry) { list.appendChild(item(entry, entry.what)); });
    refused.forEach(function (entry) { refusedList.appendChild(item(entry, entry.what + ": " + entry.reason)); });
    var title = document.getElementById("offline-queue-title");
    title.textContent = queued.length
      ? interpolate(gettext("Waiting for the connection: %(count)s"), { count: queued.length }, true)
      : gettext("Nothing waiting to be sent");
    document.getElementById("offline-refused-title").hidden = !refused.length;
    document.getElementById("offline-refused-clear").hidden = !refused.length;
    panel.hidden = !(queued.length || refused.length);
    panel.dataset.queued = String(queued.length);
  }

  // ---- capture: every queued kind of POST gets its key before its first try -------
  document.body.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.verb !== "post" || !labelFor(evt.detail.elt, evt.detail.path)) { return; }
    evt.detail.headers["Idempotency-Key"] = newKey();
  });

  document.body.addEventListener("htmx:sendError", function (evt) {
    var config = evt.detail.requestConfig;
    var label = config && labelFor(config.elt, config.path);
    var key = label && config.headers["Idempotency-Key"];
    if (!key) { return; }
    var params = new URLSearchParams(config.formData);
    params.delete("csrfmiddlewaretoken");  // the token of the moment is sent on replay
    var queued = load(QUEUE);
    queued.push({
      key: key,
      url: config.path,
      body: params.toString(),
      label: label,
      what: describe(config.elt, params),
      queuedAt: Date.now()
    });
    save(QUEUE, queued);
    render();
    document.body.dispatchEvent(new CustomEvent("pb-queued", { detail: { count: queued.length } }));
    // Online but the request failed (an answer lost, a server restarting): try again soon.
    window.setTimeout(replay, RETRY_MS);
  });

  // ---- replay, in order, one at a time ---------------------------------------------
  function reasonOf(response, text) {
    var trigger = response.headers.get("HX-Trigger");
    if (trigger) {
      try {
        var refused = JSON.parse(trigger)["pb-move-refused"];
        if (refused && refused.message) { return refused.message; }
      } catch (e) { /* not JSON: use the body */ }
    }
    var doc = new DOMParser().parseFromString(text, "text/html");
    var shown = doc.querySelector(".scan-result p");
    return (shown ? shown.textContent : doc.body.textContent).replace(/\s+/g, " ").trim().slice(0, 300);
  }

  function finished(entry, refusedReason) {
    var queued = load(QUEUE).filter(function (other) { return other.key !== entry.key; });
    save(QUEUE, queued);
    if (refusedReason !== null) {
      var refused = load(REFUSED);
      refused.unshift({ key: entry.key, label: entry.label, what: entry.what, queuedAt: entry.queuedAt, reason: refusedReason });
      save(REFUSED, refused.slice(0, KEEP_REFUSED));
    }
    render();
  }

  function sendNext() {
    var queued = load(QUEUE);
    if (!queued.length) {
      sending = false;
      document.body.dispatchEvent(new CustomEvent("pb-queue-replayed"));
      return;
    }
    var entry = queued[0];
    window.fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",  // a login redirect means the session ended: keep the entry
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "Idempotency-Key": entry.key,
        "X-CSRFToken": csrfToken()
      },
      body: entry.body
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 0) {
        stop(gettext("Your session has ended: log in again, and what waits is sent."));
        return;
      }
      if (response.status === 409 && response.headers.get("Retry-After")) {
        stop(null);  // the first try is still running on the server: ask again soon
        return;
      }
      if (response.status >= 500) { stop(null); return; }
      return response.text().then(function (text) {
        finished(entry, response.ok ? null : reasonOf(response, text));
        sendNext();
      });
    }, function () { stop(null); });
  }

  function stop(message) {
    sending = false;
    if (message) {
      var hint = document.querySelector("#offline-queue .offline-queue-hint");
      if (hint) { hint.textContent = message; }
    }
    window.setTimeout(replay, RETRY_MS);
  }

  function replay() {
    if (sending || !load(QUEUE).length || navigator.onLine === false) { return; }
    sending = true;
    sendNext();
  }

  var clear = document.getElementById("offline-refused-clear");
  if (clear) {
    clear.addEventListener("click", function () { save(REFUSED, []); render(); });
  }
  window.addEventListener("online", replay);
  window.addEventListener("storage", render);  // another tab of the same board
  window.pbOfflineQueue = { replay: replay, queued: function () { return load(QUEUE); } };
  render();
  replay();
})();
