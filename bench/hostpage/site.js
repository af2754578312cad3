// What a typical small site runs on load: a menu toggle, a table of contents built from
// the headings, lazy images, a cookie notice and a price formatter. Same in both variants.
(function () {
  "use strict";
  var d = document;
  var toggle = d.querySelector(".nav-toggle");
  if (toggle) toggle.addEventListener("click", function () {
    var nav = d.querySelector(".nav");
    nav.style.display = nav.style.display === "flex" ? "" : "flex";
  });
  var toc = d.querySelector(".toc ol");
  d.querySelectorAll("article h2").forEach(function (h, i) {
    h.id = h.id || "s" + (i + 1);
    var li = d.createElement("li");
    var a = d.createElement("a");
    a.href = "#" + h.id;
    a.textContent = h.textContent;
    li.appendChild(a);
    toc.appendChild(li);
  });
  var fmt = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR" });
  d.querySelectorAll(".price[data-cents]").forEach(function (el) {
    el.textContent = fmt.format(Number(el.getAttribute("data-cents")) / 100);
  });
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { e.target.src = e.target.getAttribute("data-src"); io.unobserve(e.target); }
      });
    });
    d.querySelectorAll("img[data-src]").forEach(function (img) { io.observe(img); });
  }
  var cookie = d.querySelector(".cookie");
  try {
    if (!localStorage.getItem("cookie-ok")) cookie.hidden = false;
  } catch (e) { cookie.hidden = false; }
  cookie.querySelector("button").addEventListener("click", function () {
    cookie.hidden = true;
    try { localStorage.setItem("cookie-ok", "1"); } catch (e) {}
  });
})();
