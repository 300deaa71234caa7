/* Pullboard shop-floor board.
 *
 * The server is the source of truth: every change ends in markup the server rendered
 * being swapped in. A move here and a poll swap the whole columns fragment; the live
 * stream sends the swimlanes a change touched, which are swapped in when the board
 * holds the fingerprint they were computed from (else the board fetches its columns).
 * Moves go through each card's buttons (htmx); dragging a card onto a column just
 * presses the matching button, so both paths are one.
 */
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board || !window.htmx) { return; }

  var POLL_MS = 15000;
  var SSE_RETRY_AFTER_CLOSE_MS = 60000;
  var columnsUrl = board.dataset.columnsUrl;
  var eventsUrl = board.dataset.eventsUrl;
  var alertBox = document.getElementById("board-alert");
  var statusBox = document.getElementById("board-status");
  var liveState = document.getElementById("live-state");
  var dialog = document.getElementById("wip-dialog");
  var dragging = false;
  var refreshing = false;
  var refreshAgain = false;
  var focusCardAfterSwap = null;
  var wipMove = null;
  var sortables = [];

  function columns() { return document.getElementById("board-columns"); }

  // ---- messages ------------------------------------------------------------
  function announce(message) {
    statusBox.textContent = "";
    window.setTimeout(function () { statusBox.textContent = message; }, 50);
  }

  function showAlert(message) {
    alertBox.querySelector(".alert-text").textContent = message;
    alertBox.hidden = false;
  }

  function clearAlert() { alertBox.hidden = true; }

  document.getElementById("board-alert-close").addEventListener("click", clearAlert);

  function setLiveState(state, text) {
    liveState.dataset.state = state;
    liveState.querySelector(".live-text").textContent = text;
  }

  // ---- time in status ------------------------------------------------------
  function ageText(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) { return "under 1 min"; }
    if (minutes < 60) { return minutes + " min"; }
    var hours = Math.floor(minutes / 60);
    if (hours < 24) { return hours + " h " + (minutes % 60) + " min"; }
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function updateAges() {
    var now = Date.now();
    var times = board.querySelectorAll("time[data-since]");
    for (var i = 0; i < times.length; i++) {
      var since = Date.parse(times[i].getAttribute("datetime"));
      if (!isNaN(since)) { times[i].textContent = ageText(Math.max(0, now - since)); }
    }
  }

  // ---- drag and drop (SortableJS, mouse and touch) --------------------------
  function allowedTargets(card) { return (card.dataset.allowed || "").split(" "); }

  function markDropTargets(card, on) {
    var lane = card.closest(".lane");
    if (!lane) { return; }
    var targets = allowedTargets(card);
    var cells = lane.querySelectorAll(".cell");
    for (var i = 0; i < cells.length; i++) {
      cells[i].classList.toggle("drop-ok", on && targets.indexOf(cells[i].dataset.status) >= 0);
    }
  }

  function setUpDragAndDrop() {
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    if (!window.Sortable || !columns()) { return; }
    var cells = columns().querySelectorAll(".cell");
    for (var i = 0; i < cells.length; i++) {
      sortables.push(new window.Sortable(cells[i], {
        group: {
          name: "lane-" + cells[i].dataset.lane,
          pull: true,
          put: function (to, from, dragged) {
            return allowedTargets(dragged).indexOf(to.el.dataset.status) >= 0;
          }
        },
        sort: false,
        draggable: ".card.can-move",
        filter: "button",
        preventOnFilter: false,
        forceFallback: true,       // one code path for mouse, pen and touch
        fallbackOnBody: true,
        fallbackTolerance: 4,
        delay: 150,                // a finger can still scroll the board
        delayOnTouchOnly: true,
        touchStartThreshold: 6,
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        dragClass: "card-dragging",
        onStart: function (evt) {
          dragging = true;
          clearAlert();
          board.classList.add("is-dragging");
          markDropTargets(evt.item, true);
        },
        onEnd: function (evt) {
          dragging = false;
          board.classList.remove("is-dragging");
          markDropTargets(evt.item, false);
          if (evt.to === evt.from) { flushRefresh(); return; }
          var button = document.getElementById("move-" + evt.item.dataset.card + "-" + evt.to.dataset.status);
          if (button) { button.click(); } else { refresh(); }
        }
      }));
    }
  }

  // ---- after every new columns fragment -------------------------------------
  function columnsSwapped(focusId) {
    setUpDragAndDrop();
    updateAges();
    var target = focusId && document.getElementById(focusId);
    if (!target && focusCardAfterSwap) { target = document.getElementById("card-" + focusCardAfterSwap); }
    focusCardAfterSwap = null;
    if (target) { target.focus({ preventScroll: false }); }
  }

  // ---- refresh: the board catches up with the server -------------------------
  function moveInFlight() { return !!board.querySelector(".htmx-request"); }

  function flushRefresh() {
    if (refreshAgain) { refreshAgain = false; refresh(); } else { applyPending(); }
  }

  function refresh() {
    if (dragging || refreshing || moveInFlight() || (dialog && dialog.open)) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    board.classList.add("is-refreshing");
    var current = columns();
    fetch(columnsUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "If-None-Match": '"' + (current ? current.dataset.etag : "") + '"' }
    }).then(function (response) {
      if (response.redirected || response.status === 401 || response.status === 403) {
        throw new Error("session");
      }
      if (response.status === 304) { return null; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.text();
    }).then(function (html) {
      if (liveState.dataset.state === "offline") { setLiveState("polling", "Back online · checking every 15 s"); }
      if (html === null) { return; }
      if (dragging || moveInFlight()) { refreshAgain = true; return; }
      var active = document.activeElement;
      var focusId = active && active.id && columns().contains(active) ? active.id : null;
      var holder = document.createElement("template");
      holder.innerHTML = html.trim();
      var fresh = holder.content.firstElementChild;
      columns().replaceWith(fresh);
      window.htmx.process(fresh);
      columnsSwapped(focusId);
    }).catch(function (error) {
      if (error && error.message === "session") {
        showAlert("Your session has ended. Reload the page and log in again.");
      } else {
        setLiveState("offline", "Offline · retrying");
      }
    }).then(function () {
      refreshing = false;
      board.classList.remove("is-refreshing");
      flushRefresh();
    });
  }

  // ---- a change from the live stream: the swimlanes it touched ---------------------
  function parse(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  function busy() {
    return dragging || refreshing || moveInFlight() || !!(dialog && dialog.open);
  }

  // Swap in a change's lanes; false when the board does not hold the change's base.
  function applyChange(change) {
    var current = columns();
    if (!current) { return false; }
    if (current.dataset.etag === change.etag) { return true; }  // already there
    var head = current.querySelector("#board-head");
    var lanes = change.lanes.map(function (lane) {
      return { old: document.getElementById("lane-section-" + lane.id), html: lane.html };
    });
    if (change.base !== current.dataset.etag || !head || lanes.some(function (lane) { return !lane.old; })) {
      return false;
    }
    var active = document.activeElement;
    var focusId = active && active.id && current.contains(active) ? active.id : null;
    head.replaceWith(parse(change.head));
    lanes.forEach(function (lane) {
      var fresh = parse(lane.html);
      lane.old.replaceWith(fresh);
      window.htmx.process(fresh);
    });
    current.dataset.etag = change.etag;
    current.classList.toggle("wip-at-limit", !!change.wip_over);
    columnsSwapped(focusId);
    return true;
  }

  // Changes that came while the board was busy (a drag, a move, a fetch), in order.
  var pendingChanges = [];
  var MAX_PENDING = 50;

  function onChange(change) {
    if (busy()) {
      if (pendingChanges.length < MAX_PENDING) { pendingChanges.push(change); } else { refreshAgain = true; }
      return;
    }
    if (!applyChange(change)) { refresh(); }  // not the board it was made from: fetch it
  }

  function applyPending() {
    if (busy() || !pendingChanges.length) { return; }
    var changes = pendingChanges;
    pendingChanges = [];
    var behind = changes.some(function (change) { return !applyChange(change); });
    if (behind) { refresh(); }
  }

  // ---- moves through htmx ------------------------------------------------------
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var card = evt.detail.elt.closest && evt.detail.elt.closest(".card");
    if (!card) { return; }
    clearAlert();
    focusCardAfterSwap = card.dataset.card;
    card.classList.add("is-moving");
  });

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    // A refused move still answers the columns as they are: show them.
    var status = evt.detail.xhr.status;
    if (status === 400 || status === 409 || status === 412) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "board-columns") {
      columnsSwapped(null);
      flushRefresh();
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var card = evt.detail.elt.closest && evt.detail.elt.closest(".card");
    if (card) { card.classList.remove("is-moving"); }
  });

  document.body.addEventListener("htmx:sendError", function () {
    showAlert("No connection: the move is kept on this tablet (see the list above the board) and sent once the connection is back.");
    setLiveState("offline", "Offline · retrying");
    refresh();
  });

  document.body.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr.status >= 500) {
      showAlert("The server could not make that move. Nothing changed; try again in a moment.");
      refresh();
    }
  });

  document.body.addEventListener("pb-moved", function (evt) {
    announce(evt.detail.message);
  });

  document.body.addEventListener("pb-move-refused", function (evt) {
    var detail = evt.detail;
    if (detail.code === "wip_limit" && dialog && dialog.showModal) {
      openWipDialog(detail);
    } else {
      showAlert(detail.message);
    }
  });

  // ---- WIP override: an accessible dialog asks for the reason -------------------
  function openWipDialog(detail) {
    wipMove = detail;
    document.getElementById("wip-message").textContent = detail.message;
    document.getElementById("wip-reason").value = "";
    dialog.showModal();
    document.getElementById("wip-reason").focus();
  }

  function closeWipDialog() {
    var card = wipMove && document.getElementById("card-" + wipMove.card);
    wipMove = null;
    if (dialog.open) { dialog.close(); }
    if (card) { card.focus(); }
    flushRefresh();
  }

  if (dialog) {
    document.getElementById("wip-cancel").addEventListener("click", closeWipDialog);
    dialog.addEventListener("cancel", function () { wipMove = null; });
    dialog.addEventListener("close", flushRefresh);
    document.getElementById("wip-form").addEventListener("submit", function (evt) {
      evt.preventDefault();
      var reason = document.getElementById("wip-reason").value.trim();
      if (!reason) { document.getElementById("wip-reason").focus(); return; }
      var card = wipMove && document.getElementById("card-" + wipMove.card);
      var move = wipMove;
      wipMove = null;
      dialog.close();
      if (!card || !move) { return; }
      focusCardAfterSwap = move.card;
      window.htmx.ajax("POST", card.dataset.moveUrl, {
        source: card,
        target: "#board-columns",
        swap: "outerHTML",
        values: { to: move.to, version: card.dataset.version, wip_override_reason: reason }
      });
    });
  }

  // ---- live hints (server-sent events) with a polling fallback -------------------
  var source = null;

  function connect() {
    if (!window.EventSource) { setLiveState("polling", "Checking every 15 s"); return; }
    source = new window.EventSource(eventsUrl);
    source.addEventListener("ready", function () {
      setLiveState("live", "Live");
      refresh();  // catch up on anything missed while disconnected
    });
    source.addEventListener("changed", refresh);
    source.addEventListener("lanes", function (evt) { onChange(JSON.parse(evt.data)); });
    source.onerror = function () {
      if (source.readyState === window.EventSource.CLOSED) {
        // The server said no stream here (e.g. no ASGI server): polling carries the board.
        source = null;
        setLiveState("polling", "Checking every 15 s");
        window.setTimeout(connect, SSE_RETRY_AFTER_CLOSE_MS);
      } else {
        setLiveState("reconnecting", "Reconnecting… (checking every 15 s)");
      }
    };
  }

  window.setInterval(refresh, POLL_MS);
  window.setInterval(updateAges, 30000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); }
  });
  window.addEventListener("online", refresh);
  document.body.addEventListener("pb-queue-replayed", refresh);  // offline-queue.js

  columnsSwapped(null);
  connect();
})();
