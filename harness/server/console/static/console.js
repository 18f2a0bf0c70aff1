// The console's only script: live updates over server-sent events, and the disclosure buttons of deliveries.
// Pages work without it (every action is a plain form); with it, open pages follow the calls as they happen.
(function () {
  "use strict";

  // Disclosure buttons show and hide the row they control (a delivery's request and response).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.disclose");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    setOpen(button, open);
  });

  function setOpen(button, open) {
    var target = document.getElementById(button.getAttribute("aria-controls"));
    button.setAttribute("aria-expanded", String(open));
    if (target) target.hidden = !open;
  }

  var main = document.querySelector("main[data-live-view]");
  if (!main || !window.EventSource) return;
  var bar = main.querySelector(".live");
  var status = document.getElementById("live-status");
  var toggle = document.getElementById("live-toggle");
  var source = null;
  var last = {}; // element id -> the HTML last put there, so an unchanged fragment is not swapped again
  bar.hidden = false;

  function say(text) {
    status.textContent = text;
  }

  function connect() {
    var url = "/_console/events?view=" + encodeURIComponent(main.dataset.liveView) +
      "&since=" + encodeURIComponent(main.dataset.liveSince || "");
    source = new EventSource(url);
    source.addEventListener("open", function () {
      say("Live: updates appear as they happen.");
    });
    source.addEventListener("error", function () {
      say("Live updates interrupted; reconnecting…");
    });
    source.addEventListener("update", function (event) {
      var data = JSON.parse(event.data);
      main.dataset.liveSince = data.since;
      Object.keys(data.fragments).forEach(function (id) {
        swap(id, data.fragments[id]);
      });
      say("Live: updated at " + new Date(data.at * 1000).toLocaleTimeString() + ".");
    });
  }

  function disconnect() {
    if (source) source.close();
    source = null;
  }

  // Replace an element's content, keeping what the reader had open and where their keyboard focus was.
  function swap(id, html) {
    var target = document.getElementById(id);
    if (!target || last[id] === html) return;
    last[id] = html;
    var opened = Array.prototype.map.call(
      target.querySelectorAll('button.disclose[aria-expanded="true"]'),
      function (button) { return button.getAttribute("aria-controls"); }
    );
    var focused = document.activeElement;
    var focusKey = null;
    if (focused && focused !== target && target.contains(focused)) {
      focusKey = focused.getAttribute("href") || focused.getAttribute("aria-controls") || focused.id || null;
    }
    target.innerHTML = html;
    opened.forEach(function (controls) {
      var button = target.querySelector('button.disclose[aria-controls="' + CSS.escape(controls) + '"]');
      if (button) setOpen(button, true);
    });
    if (focusKey) {
      var again = target.querySelector(
        '[href="' + CSS.escape(focusKey) + '"], [aria-controls="' + CSS.escape(focusKey) + '"], #' + CSS.escape(focusKey)
      );
      if (again) again.focus();
    }
  }

  toggle.addEventListener("click", function () {
    var paused = toggle.getAttribute("aria-pressed") === "true";
    toggle.setAttribute("aria-pressed", String(!paused));
    toggle.textContent = paused ? "Pause live updates" : "Resume live updates";
    if (paused) {
      connect();
    } else {
      disconnect();
      say("Live updates paused.");
    }
  });

  window.addEventListener("pagehide", disconnect);
  connect();
})();
