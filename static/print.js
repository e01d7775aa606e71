// Optional: a "print" link prints the page. Without scripts the browser's own print menu does the same.
document.querySelectorAll("[data-print]").forEach(function (link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.print();
  });
});
