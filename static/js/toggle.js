// App settings: show "Refresh token behavior" only while Refresh Token is ticked, and its grace period only
// while tokens rotate (a persistent token is never rotated, so it has no grace period). A grace period with
// an error stays shown. Without JavaScript everything is shown and the notes say when it applies.
(function () {
  var box = document.querySelector("input[name=grant_types][value=refresh_token]");
  var section = document.getElementById("refresh-token-behavior");
  if (!box || !section) return;
  var leeway = document.getElementById("id_leeway");
  var grace = leeway && leeway.closest(".field");
  var rotations = section.querySelectorAll("input[name=rotation_type]");
  function sync() {
    section.hidden = !box.checked;
    if (!grace) return;
    var persistent = section.querySelector("input[name=rotation_type][value=STATIC]:checked");
    grace.hidden = Boolean(persistent) && !grace.classList.contains("has-error");
  }
  box.addEventListener("change", sync);
  rotations.forEach(function (radio) { radio.addEventListener("change", sync); });
  sync();
})();
