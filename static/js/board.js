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
  // The page's language (Django's JavaScript catalog, loaded before this script).
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\(\w+\)s/g, function (match) { return String(obj[match.slice(2, -2)]); });
  };

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

  // ---- lanes: folded or open (the operator's choice outlives a refresh), filtered -----
  var laneKey = "pb-lanes:" + columnsUrl;
  var laneChoices = {};
  try { laneChoices = JSON.parse(window.sessionStorage.getItem(laneKey) || "{}") || {}; } catch (e) { laneChoices = {}; }
  var filterInput = document.getElementById("board-filter");
  var filterResult = document.getElementById("board-filter-result");
  var pendingRefusal = null;

  function setCollapsed(lane, collapsed) {
    lane.classList.toggle("collapsed", collapsed);
    var toggle = lane.querySelector(".lane-toggle");
    if (toggle) { toggle.setAttribute("aria-expanded", collapsed ? "false" : "true"); }
  }

  // A choice holds while the server's default for that lane stays what it was: a quiet
  // lane the operator opened stays open; a lane that gets work to make opens again.
  function applyLaneChoices() {
    var lanes = board.querySelectorAll(".lane");
    for (var i = 0; i < lanes.length; i++) {
      var choice = laneChoices[lanes[i].dataset.lane];
      if (choice && choice.base === lanes[i].dataset.default) {
        setCollapsed(lanes[i], choice.chosen === "collapsed");
        if (choice.chosen === "open") { loadLane(lanes[i]); }
      }
    }
  }

  // A folded lane comes without its cards (a long board stays light): fetched on opening.
  var lanesLoading = 0;

  function loadLane(lane) {
    if (!lane.dataset.deferred || lane.dataset.loading) { return; }
    lane.dataset.loading = "true";
    lanesLoading += 1;
    var url = board.dataset.laneUrl.replace(/0\/$/, lane.dataset.lane + "/");
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.redirected || response.status === 401 || response.status === 403) { throw new Error("session"); }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.text();
    }).then(function (html) {
      var old = document.getElementById(lane.id);
      if (!old || !old.dataset.deferred) { return; }  // a live change came meanwhile
      var holder = document.createElement("template");
      holder.innerHTML = html.trim();
      var fresh = holder.content.firstElementChild;
      old.replaceWith(fresh);
      setCollapsed(fresh, false);
      window.htmx.process(fresh);
      setUpDragAndDrop();
      updateAges();
      applyFilter();
    }).catch(function (error) {
      if (error && error.message === "session") { toLogin(); }
    }).then(function () {
      delete lane.dataset.loading;
      lanesLoading -= 1;
      if (lanesLoading === 0 && pendingRefusal) { showRefusal(); }
    });
  }

  function toggleLane(lane) {
    var collapsed = !lane.classList.contains("collapsed");
    setCollapsed(lane, collapsed);
    if (!collapsed) { loadLane(lane); }
    laneChoices[lane.dataset.lane] = { base: lane.dataset.default, chosen: collapsed ? "collapsed" : "open" };
    try { window.sessionStorage.setItem(laneKey, JSON.stringify(laneChoices)); } catch (e) { /* private mode */ }
  }

  board.addEventListener("click", function (evt) {
    var toggle = evt.target.closest && evt.target.closest(".lane-toggle");
    if (toggle) { toggleLane(toggle.closest(".lane")); }
  });

  function applyFilter() {
    if (!filterInput) { return; }
    var wanted = filterInput.value.trim().toLowerCase();
    var lanes = board.querySelectorAll(".lane");
    var shown = 0;
    for (var i = 0; i < lanes.length; i++) {
      var text = (lanes[i].dataset.sku + " " + lanes[i].dataset.name).toLowerCase();
      var match = !wanted || text.indexOf(wanted) >= 0;
      lanes[i].hidden = !match;
      if (match) { shown += 1; }
    }
    filterResult.textContent = wanted ? shown + " / " + lanes.length : "";
  }

  if (filterInput) {
    filterInput.addEventListener("input", function () {
      applyFilter();
      var url = new URL(window.location.href);
      if (filterInput.value.trim()) { url.searchParams.set("product", filterInput.value.trim()); } else { url.searchParams.delete("product"); }
      window.history.replaceState(null, "", url.toString());
    });
  }

  // Lanes in the order the server ranked them (most urgent first).
  function reorderLanes(order) {
    var holder = document.getElementById("board-lanes");
    if (!holder || !order) { return; }
    var now = Array.prototype.map.call(holder.children, function (lane) { return Number(lane.dataset.lane); });
    if (now.join(",") === order.join(",")) { return; }
    order.forEach(function (id) {
      var lane = document.getElementById("lane-section-" + id);
      if (lane) { holder.appendChild(lane); }
    });
  }

  // A refused move's reason, drawn on the card (or work order) it concerns.
  function showRefusal() {
    var refusal = pendingRefusal;
    pendingRefusal = null;
    if (!refusal) { return false; }
    var target = document.getElementById(refusal.order ? "order-" + refusal.order : "card-" + refusal.card);
    if (!target && lanesLoading > 0) { pendingRefusal = refusal; return false; }  // its lane is coming
    if (!target) { showAlert(refusal.message); return false; }
    var lane = target.closest(".lane");
    if (lane && lane.classList.contains("collapsed")) { setCollapsed(lane, false); }
    var note = document.createElement("p");
    note.className = "refusal";
    note.setAttribute("role", "alert");
    note.textContent = refusal.message;
    target.appendChild(note);
    target.scrollIntoView({ block: "nearest" });
    return true;
  }

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
    if (minutes < 1) { return gettext("under 1 min"); }
    if (minutes < 60) { return interpolate(gettext("%(minutes)s min"), { minutes: minutes }, true); }
    var hours = Math.floor(minutes / 60);
    if (hours < 24) {
      return interpolate(gettext("%(hours)s h %(minutes)s min"), { hours: hours, minutes: minutes % 60 }, true);
    }
    return interpolate(gettext("%(days)s d %(hours)s h"), { days: Math.floor(hours / 24), hours: hours % 24 }, true);
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
          if (button) { dragConfirmed = true; button.click(); dragConfirmed = false; } else { refresh(); }
        }
      }));
    }
  }

  // ---- after every new columns fragment -------------------------------------
  function columnsSwapped(focusId) {
    applyLaneChoices();
    applyFilter();
    setUpDragAndDrop();
    updateAges();
    markNewSignals();
    var target = focusId && document.getElementById(focusId);
    if (!target && focusCardAfterSwap) { target = document.getElementById("card-" + focusCardAfterSwap); }
    focusCardAfterSwap = null;
    if (target) { target.focus({ preventScroll: false }); }
    showRefusal();
    showUndo();
  }

  // ---- refresh: the board catches up with the server -------------------------
  function moveInFlight() { return !!board.querySelector(".htmx-request"); }

  function flushRefresh() {
    if (refreshAgain) { refreshAgain = false; refresh(); } else { applyPending(); }
  }

  function refresh() {
    if (dragging || refreshing || moveInFlight() || (dialog && dialog.open) || (emptyDialog && emptyDialog.open)) {
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
      if (liveState.dataset.state === "offline") { setLiveState("polling", gettext("Back online · checking every 15 s")); }
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
        toLogin();  // back to this board once logged in
      } else {
        setLiveState("offline", gettext("Offline · retrying"));
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
    return dragging || refreshing || moveInFlight() || !!(dialog && dialog.open) || !!(emptyDialog && emptyDialog.open);
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
    reorderLanes(change.order);
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
    var card = evt.detail.elt.closest && evt.detail.elt.closest(".card, .order");
    if (!card) { return; }
    clearAlert();
    focusCardAfterSwap = null;
    if (card.dataset.card) { focusCardAfterSwap = card.dataset.card; }
    card.classList.add("is-moving");
  });

  // ---- an expired session: log in, come back to this board, and be told what was lost --
  var LOST_MOVE_KEY = "pb-lost-move:" + columnsUrl;

  function toLogin() {
    var here = window.location.pathname + window.location.search;
    window.location.assign(board.dataset.loginUrl + "?next=" + encodeURIComponent(here));
  }

  function sessionEnded(xhr) {
    return xhr.status === 401 || xhr.status === 403 ||
      (xhr.responseURL && xhr.responseURL.indexOf(board.dataset.loginUrl) >= 0);
  }

  try {
    var lost = JSON.parse(window.sessionStorage.getItem(LOST_MOVE_KEY) || "null");
    window.sessionStorage.removeItem(LOST_MOVE_KEY);
    if (lost) { pendingRefusal = { card: lost.card, order: lost.order, message: board.dataset.sessionLost }; }
  } catch (e) { /* no storage: nothing to tell */ }

  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    if (sessionEnded(evt.detail.xhr)) {  // the move was not made: say so after the login
      evt.detail.shouldSwap = false;
      var from = (evt.detail.requestConfig && evt.detail.requestConfig.elt) || evt.detail.elt;
      var elt = from && from.closest && from.closest(".card, .order");
      try {
        window.sessionStorage.setItem(LOST_MOVE_KEY, JSON.stringify({
          card: elt && elt.dataset.card, order: elt && elt.dataset.order
        }));
      } catch (e) { /* no storage */ }
      toLogin();
      return;
    }
    // A refused move still answers the columns as they are: show them.
    var status = evt.detail.xhr.status;
    if (status === 400 || status === 404 || status === 409 || status === 412) {
      if (!evt.detail.xhr.responseText) {  // nothing to show (the card is gone): say why here
        evt.detail.shouldSwap = false;
        showRefusal();
        return;
      }
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
    var card = evt.detail.elt.closest && evt.detail.elt.closest(".card, .order");
    if (card) { card.classList.remove("is-moving"); }
  });

  document.body.addEventListener("htmx:sendError", function () {
    showAlert(gettext("No connection: the move is kept on this tablet (see the list above the board) and sent once the connection is back."));
    setLiveState("offline", gettext("Offline · retrying"));
    refresh();
  });

  document.body.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr.status >= 500) {
      showAlert(gettext("The server could not make that move. Nothing changed; try again in a moment."));
      refresh();
    }
  });

  document.body.addEventListener("pb-moved", function (evt) {
    announce(evt.detail.message);
    if (evt.detail.undo) { pendingUndo = Object.assign({ card: evt.detail.card }, evt.detail.undo); }
  });

  document.body.addEventListener("pb-move-refused", function (evt) {
    var detail = evt.detail;
    if (detail.code === "wip_limit" && dialog && dialog.showModal) {
      openWipDialog(detail);
    } else {
      pendingRefusal = detail;  // drawn on the card once the columns as they are swap in
    }
  });

  // ---- keys: a focused card moves with a letter; arrows go from card to card ---------
  var KEY_MOVES = { e: "empty", s: "in_process", f: "full", o: "in_use" };

  document.addEventListener("keydown", function (evt) {
    if (evt.ctrlKey || evt.metaKey || evt.altKey) { return; }
    var typing = evt.target.closest && evt.target.closest("input, textarea, select, dialog");
    if (evt.key === "/" && !typing && filterInput) { evt.preventDefault(); filterInput.focus(); return; }
    var card = !typing && evt.target.classList && evt.target.classList.contains("card") ? evt.target : null;
    if (!card) { return; }
    var to = KEY_MOVES[evt.key.toLowerCase()];
    if (to) {
      var button = document.getElementById("move-" + card.dataset.card + "-" + to);
      if (button) { evt.preventDefault(); button.click(); }
      return;
    }
    if (evt.key === "Enter") {
      var link = card.querySelector("a.card-no");
      if (link) { evt.preventDefault(); link.click(); }
      return;
    }
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      var cards = Array.prototype.filter.call(board.querySelectorAll(".card"), function (c) { return c.offsetParent !== null; });
      var next = cards[cards.indexOf(card) + (evt.key === "ArrowDown" ? 1 : -1)];
      if (next) { evt.preventDefault(); next.focus(); }
    }
  });

  // ---- new work is seen: a new signal is highlighted for a while (and may sound) ------
  var NEW_SIGNAL_MS = 5 * 60000;
  var soundToggle = document.getElementById("sound-toggle");
  var themeToggle = document.getElementById("theme-toggle");
  var seenSignals = null;
  var soundOn = false;
  try { soundOn = window.localStorage.getItem("pb-sound") === "on"; } catch (e) { soundOn = false; }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    var audio = new Context();
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.15;
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  }

  function markNewSignals() {
    var now = Date.now();
    var fresh = false;
    var seen = {};
    var cards = board.querySelectorAll(".card.status-empty");
    for (var i = 0; i < cards.length; i++) {
      var time = cards[i].querySelector("time[data-since]");
      var since = time ? Date.parse(time.getAttribute("datetime")) : NaN;
      cards[i].classList.toggle("is-new", !isNaN(since) && now - since < NEW_SIGNAL_MS);
      seen[cards[i].dataset.card] = true;
      if (seenSignals && !seenSignals[cards[i].dataset.card]) { fresh = true; }
    }
    seenSignals = seen;
    if (fresh && soundOn) { beep(); }
  }

  function setPressed(button, on) { if (button) { button.setAttribute("aria-pressed", on ? "true" : "false"); } }
  setPressed(soundToggle, soundOn);
  if (soundToggle) {
    soundToggle.addEventListener("click", function () {
      soundOn = !soundOn;
      setPressed(soundToggle, soundOn);
      try { window.localStorage.setItem("pb-sound", soundOn ? "on" : "off"); } catch (e) { /* private mode */ }
      if (soundOn) { beep(); }
    });
  }

  // ---- dark theme: the system's choice, or the operator's ----------------------------
  function applyTheme(theme) {
    if (theme) { document.documentElement.dataset.theme = theme; } else { delete document.documentElement.dataset.theme; }
    var dark = theme === "dark" || (!theme && window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
    setPressed(themeToggle, dark);
  }
  var savedTheme = null;
  try { savedTheme = window.localStorage.getItem("pb-theme"); } catch (e) { savedTheme = null; }
  applyTheme(savedTheme);
  if (themeToggle) {
    themeToggle.addEventListener("click", function () {
      var theme = themeToggle.getAttribute("aria-pressed") === "true" ? "light" : "dark";
      try { window.localStorage.setItem("pb-theme", theme); } catch (e) { /* private mode */ }
      applyTheme(theme);
    });
  }

  // ---- "Mark empty" of a full container asks first; a drag is explicit enough ---------
  var emptyDialog = document.getElementById("empty-dialog");
  var pendingEmpty = null;
  var dragConfirmed = false;

  document.body.addEventListener("htmx:confirm", function (evt) {
    var button = evt.detail.elt;
    var card = button.closest && button.closest(".card");
    if (!card || !button.classList.contains("move-empty") || !emptyDialog || !emptyDialog.showModal) { return; }
    if (!card.classList.contains("status-full") && !card.classList.contains("status-in_use")) { return; }
    if (dragConfirmed) { dragConfirmed = false; return; }
    evt.preventDefault();
    pendingEmpty = { issue: evt.detail.issueRequest, card: card.dataset.card };
    var title = card.querySelector(".card-title");
    document.getElementById("empty-message").textContent =
      emptyDialog.dataset.message.replace("{card}", title ? title.textContent.replace(/\s+/g, " ").trim() : "");
    emptyDialog.showModal();
    document.getElementById("empty-confirm").focus();
  });

  function closeEmptyDialog() {
    var card = pendingEmpty && document.getElementById("card-" + pendingEmpty.card);
    pendingEmpty = null;
    if (emptyDialog.open) { emptyDialog.close(); }
    if (card) { card.focus(); }
    flushRefresh();
  }

  if (emptyDialog) {
    document.getElementById("empty-cancel").addEventListener("click", closeEmptyDialog);
    emptyDialog.addEventListener("cancel", function () { pendingEmpty = null; });
    emptyDialog.addEventListener("close", flushRefresh);
    document.getElementById("empty-form").addEventListener("submit", function (evt) {
      evt.preventDefault();
      var move = pendingEmpty;
      pendingEmpty = null;
      emptyDialog.close();
      if (move) { move.issue(true); }
    });
  }

  // ---- undo: whoever marked a container empty or started it may put it back, for a short time
  var pendingUndo = null;

  function showUndo() {
    var undo = pendingUndo;
    pendingUndo = null;
    var card = undo && document.getElementById("card-" + undo.card);
    var template = document.getElementById("undo-template");
    if (!card || !template) { return; }
    var note = template.content.firstElementChild.cloneNode(true);
    var button = note.querySelector("button");
    var text = note.querySelector(".undo-text");
    if (text && undo.text) { text.textContent = undo.text; }
    button.id = "undo-" + undo.card;
    button.addEventListener("click", function () {
      focusCardAfterSwap = undo.card;
      window.htmx.ajax("POST", undo.url, {
        source: card, target: "#board-columns", swap: "outerHTML", values: { event: undo.event }
      });
    });
    card.appendChild(note);
    window.setTimeout(function () { if (note.parentNode) { note.parentNode.removeChild(note); } }, undo.seconds * 1000);
  }

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
    if (!window.EventSource) { setLiveState("polling", gettext("Checking every 15 s")); return; }
    source = new window.EventSource(eventsUrl);
    source.addEventListener("ready", function () {
      setLiveState("live", gettext("Live"));
      refresh();  // catch up on anything missed while disconnected
    });
    source.addEventListener("changed", refresh);
    source.addEventListener("lanes", function (evt) { onChange(JSON.parse(evt.data)); });
    source.onerror = function () {
      if (source.readyState === window.EventSource.CLOSED) {
        // The server said no stream here (e.g. no ASGI server): polling carries the board.
        source = null;
        setLiveState("polling", gettext("Checking every 15 s"));
        window.setTimeout(connect, SSE_RETRY_AFTER_CLOSE_MS);
      } else {
        setLiveState("reconnecting", gettext("Reconnecting… (checking every 15 s)"));
      }
    };
  }

  window.setInterval(refresh, POLL_MS);
  window.setInterval(function () { updateAges(); markNewSignals(); }, 30000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); }
  });
  window.addEventListener("online", refresh);
  document.body.addEventListener("pb-queue-replayed", refresh);  // offline-queue.js

  columnsSwapped(null);
  connect();
})();
