// Tells the server the browser's time zone in the "tz" cookie, so times
// show in it; without JavaScript they stay in UTC. A changed zone reloads
// the page once to show it.
(function () {
  "use strict";
  var tz;
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!tz || tz.length > 64) return;
  var m = document.cookie.match(/(?:^|; )tz=([^;]*)/);
  if (m && decodeURIComponent(m[1]) === tz) return;
  document.cookie = "tz=" + encodeURIComponent(tz) + "; path=/; max-age=31536000; SameSite=Lax";
  if (navigator.cookieEnabled && document.cookie.indexOf("tz=") >= 0) location.reload();
})();

// Refreshes the main region every few seconds while the tab is visible,
// without reloading the page (so scroll position and focus stay put).
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !main.dataset.refresh || !window.fetch || !window.DOMParser) return;
  var every = Number(main.dataset.refresh) * 1000;
  function busy() {
    var a = document.activeElement;
    return a && (a.tagName === "INPUT" || a.tagName === "SELECT" || a.tagName === "TEXTAREA");
  }
  function refresh() {
    if (document.hidden || busy()) return;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (resp.redirected || !resp.ok) { if (resp.redirected) location.reload(); return null; }
        return resp.text();
      })
      .then(function (html) {
        if (!html) return;
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (next) main.innerHTML = next.innerHTML;
      })
      .catch(function () { /* offline for a moment; try again next tick */ });
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
