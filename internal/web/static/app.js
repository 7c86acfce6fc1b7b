// opsdesk: small progressive enhancements. Every page works without this.
(function () {
  "use strict";
  var fmt = null;
  try {
    fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      { dateStyle: "medium", timeStyle: "medium" });
  } catch (e) { fmt = null; }
  function local(d) { return fmt ? fmt.format(d) : d.toLocaleString(); }
  function zone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }

  // Times are written by the server in the viewer's zone, with the zone's
  // name. <time data-local-only> asks for the browser's own time next to
  // it, with the browser's zone name.
  document.querySelectorAll("time[data-local-only]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) { return; }
    var z = zone();
    el.textContent = local(d) + (z ? " (" + z + ")" : "");
  });

  // Character counter for textareas with data-max (counts code points, as
  // the server does).
  document.querySelectorAll("textarea[data-max]").forEach(function (ta) {
    var max = parseInt(ta.getAttribute("data-max"), 10);
    var out = document.getElementById(ta.id + "-count");
    if (!out || !max) { return; }
    function update() {
      var n = Array.from(ta.value.replace(/\r\n/g, "\n").trim()).length;
      out.textContent = n + " / " + max;
      out.classList.toggle("over", n > max);
    }
    ta.addEventListener("input", update);
    update();
  });

  // Forms marked data-once cannot be sent twice by a double click; coming
  // back to the page (history) enables them again.
  var once = document.querySelectorAll("form[data-once]");
  once.forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) {
        setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
  window.addEventListener("pageshow", function () {
    once.forEach(function (f) {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });
})();
