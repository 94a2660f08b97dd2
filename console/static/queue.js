// The analysts' queue refreshes itself: every data-refresh seconds it fetches its own URL (the
// filters are in the query, so they stay) and swaps in the new alerts and table. The fetch is
// marked X-Console-Refresh, which does not keep the session alive: an idle console still signs
// out, and the next refresh then opens the sign-in page. No inline script (CSP 'self').
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) {
    return;
  }
  var seconds = Number(live.getAttribute("data-refresh")) || 10;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
    if (fresh) {
      live.replaceWith(document.importNode(fresh, true));
      live = document.getElementById("live");
    }
  }

  function refresh() {
    fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "X-Console-Refresh": "1" },
    })
      .then(function (response) {
        if (response.redirected && new URL(response.url).pathname === "/login") {
          window.location.assign("/login");
          return;
        }
        if (response.ok) {
          return response.text().then(swap);
        }
      })
      .catch(function () {}) // the console unreachable a moment: try again next time
      .then(function () {
        window.setTimeout(refresh, seconds * 1000);
      });
  }

  window.setTimeout(refresh, seconds * 1000);
})();
