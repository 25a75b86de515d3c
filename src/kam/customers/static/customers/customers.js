// R-CUST-1: choosing 总部客户 sets the level to 钻石级客户 (the server applies the rule too).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("[data-headquarters]") || !box.checked) return;
  var level = box.form && box.form.querySelector("[data-diamond]");
  if (level) level.value = level.getAttribute("data-diamond");
});
