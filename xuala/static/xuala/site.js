// Behaviour every page shares, kept out of the markup so the Content-Security-Policy can
// forbid inline script: the language menu changes the language as soon as one is chosen.
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
