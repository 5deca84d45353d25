// App settings: show "Refresh token behavior" only while Refresh Token is ticked. Without
// JavaScript the section is always shown and its note says when it applies.
(function () {
  var box = document.querySelector("input[name=grant_types][value=refresh_token]");
  var section = document.getElementById("refresh-token-behavior");
  if (!box || !section) return;
  function sync() { section.hidden = !box.checked; }
  box.addEventListener("change", sync);
  sync();
})();
