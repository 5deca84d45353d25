// response_mode=form_post (OAuth 2.0 Form Post Response Mode): send the hidden form to the client
// at once. A file, not an inline handler, so the page keeps a CSP without 'unsafe-inline'.
document.forms[0].submit();
