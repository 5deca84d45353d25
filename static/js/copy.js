// Copy-to-clipboard for <button data-copy="#element-id" hidden>. The buttons stay hidden without
// JavaScript (the value is still there to select); this script shows them and copies on click.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  if (navigator.clipboard) button.hidden = false;
});
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});
