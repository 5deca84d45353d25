// The console's navigation on a narrow screen: a "Menu" button shows and hides it.
// Loaded in <head> so the page is marked before its first paint; without JavaScript the button stays
// hidden and the navigation is shown, stacked (static/css/console.css).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".nav-toggle[aria-controls]");
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    setOpen(button, false);
    button.addEventListener("click", function () {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes an open menu and gives focus back to its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(button, false);
        button.focus();
      }
    });
  });
})();
