// Markup fixture: a results view must show this function's source as text, never as HTML.

/** Wraps a message in the maintenance banner markup. */
function renderUnsafeBanner(message, markup = '<img src=x onerror="document.body.dataset.pwned=1"></div><script>document.body.dataset.pwned=2</script>') {
  return '<div class="banner">' + markup + message + '</div>';
}

module.exports = { renderUnsafeBanner };
