/* Scan page: a USB scanner types the code and Enter. Keep the field ready for the next
   scan, say what the next scan will do, and give each result its own sound and colour
   (rising double beep: applied; low buzz: refused; one short beep: a repeat). */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var gettext = window.gettext || function (text) { return text; };
  var input = form.querySelector("input[name=code]");
  var sound = document.getElementById("scan-sound");
  var SOUND_KEY = "pullboard.scan-sound";
  var audio = null;

  function ready() { input.focus(); }

  // ---- what the next scan does -----------------------------------------------------
  function showMode() {
    var chosen = form.querySelector("input[name=mode]:checked");
    if (chosen) { document.getElementById("scan-next-text").textContent = chosen.dataset.effect; }
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=mode]"), function (radio) {
    radio.addEventListener("change", function () { showMode(); input.focus(); });
  });

  // ---- sound -----------------------------------------------------------------------
  if (sound) {
    sound.checked = window.localStorage.getItem(SOUND_KEY) !== "off";
    sound.addEventListener("change", function () {
      window.localStorage.setItem(SOUND_KEY, sound.checked ? "on" : "off");
      input.focus();
    });
  }

  function tone(frequency, start, length, type) {
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.type = type;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.2, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + length);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(audio.currentTime + start);
    oscillator.stop(audio.currentTime + start + length);
  }

  function play(outcome) {
    if (!sound || !sound.checked) { return; }
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) { return; }
    try {
      audio = audio || new AudioContext();
      if (outcome === "ok") {
        tone(880, 0, 0.12, "sine");
        tone(1320, 0.14, 0.16, "sine");
      } else if (outcome === "refused") {
        tone(180, 0, 0.5, "square");
      } else if (outcome === "repeat") {
        tone(660, 0, 0.12, "sine");
      }
    } catch (e) { /* no audio device: the colour still says it */ }
  }

  // ---- results -----------------------------------------------------------------------
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    // Refused scans answer 4xx with the explanation: show it.
    if (evt.detail.xhr.status >= 400 && evt.detail.xhr.status < 500) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterSettle", function (evt) {
    var result = document.getElementById("scan-result");
    var path = evt.detail.pathInfo && evt.detail.pathInfo.requestPath;
    if (!result || path !== form.getAttribute("hx-post")) { return; }
    play(result.dataset.outcome);
    var reason = document.getElementById("scan-override-reason");
    if (reason) { reason.focus(); } else { ready(); }
  });
  // Clear the field as the scan leaves (its value is already taken), not when the
  // answer comes: by then the scanner may be typing the next code.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.detail.elt === form) { input.value = ""; }
  });
  document.body.addEventListener("pb-queued", function (evt) {
    var result = document.getElementById("scan-result");
    result.hidden = false;
    result.className = "scan-result scan-repeat";
    result.setAttribute("role", "status");
    result.dataset.outcome = "queued";
    result.textContent = "";
    var title = document.createElement("h2");
    title.textContent = gettext("No connection: the scan is kept on this device");
    var text = document.createElement("p");
    text.textContent = gettext("It is sent, once, as soon as the connection is back. Go on scanning.");
    result.appendChild(title);
    result.appendChild(text);
    play("repeat");
    ready();
  });
  // A scanner types into whatever has focus: bring it back to the field.
  document.addEventListener("keydown", function (evt) {
    if (document.activeElement === document.body && evt.key.length === 1) { input.focus(); }
  });
  showMode();
  input.value = "";
  ready();
})();
