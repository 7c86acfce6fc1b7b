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

  // <time data-local>UTC text</time>: show the browser's local time, keep
  // UTC in the tooltip.
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (isNaN(d.getTime())) { return; }
    el.title = el.textContent;
    el.textContent = local(d);
  });
  // <time data-local-only>: local time with the zone name.
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

  // The console menu scrolls sideways when it does not fit (phones, or
  // more sections than room): keep the current section in view and fade
  // the edge that has more behind it.
  var nav = document.querySelector(".top .nav");
  if (nav) {
    var hints = function () {
      var more = nav.scrollWidth - nav.clientWidth;
      nav.classList.toggle("more-left", more > 1 && nav.scrollLeft > 1);
      nav.classList.toggle("more-right", more > 1 && nav.scrollLeft < more - 1);
    };
    var current = nav.querySelector("a[aria-current]");
    if (current && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
    }
    nav.addEventListener("scroll", hints, { passive: true });
    window.addEventListener("resize", hints);
    hints();
  }

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
