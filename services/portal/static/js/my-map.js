// The plan of the exhibitor's own booths: scroll its box so the first own booth is in view (a phone shows part).
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector(".map-scroll");
  const mine = box && box.querySelector(".booth.mine rect");
  if (!mine) return;
  const outer = box.getBoundingClientRect();
  const inner = mine.getBoundingClientRect();
  box.scrollLeft += inner.left - outer.left - (outer.width - inner.width) / 2;
  box.scrollTop += inner.top - outer.top - (outer.height - inner.height) / 2;
});
