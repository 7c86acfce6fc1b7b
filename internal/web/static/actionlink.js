// opsdesk: the one-tap link page submits its form once by itself, so that
// a tap on the link in an SMS or email is all it takes. The server never
// acts on the GET (mail scanners fetch links); without JavaScript the
// button does the same. Coming back to the page (history) does not submit
// it again.
(function () {
  "use strict";
  var f = document.querySelector("form[data-autosubmit]");
  if (!f || document.visibilityState === "hidden") { return; }
  var key = "opsdesk-link:" + location.pathname;
  try {
    if (sessionStorage.getItem(key)) { return; }
    sessionStorage.setItem(key, "1");
  } catch (e) { /* storage off: submit anyway */ }
  var b = f.querySelector("button[type=submit]");
  if (b) { b.disabled = true; }
  f.submit();
})();
