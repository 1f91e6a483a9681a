// Passkey buttons: fetch the WebAuthn options, let the browser create or use
// the credential, and post the result with the form it sits in.
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;
  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    var button = form.querySelector('[data-passkey-start]');
    var note = form.querySelector('.passkey-needs-js');
    if (!button) return;
    if (note) note.hidden = true;
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      fetch(form.getAttribute('data-options'), { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) throw new Error('options ' + response.status);
          return response.json();
        })
        .then(function (optionsJSON) {
          return form.getAttribute('data-passkey') === 'register'
            ? webauthn.startRegistration({ optionsJSON: optionsJSON })
            : webauthn.startAuthentication({ optionsJSON: optionsJSON });
        })
        .then(function (result) {
          form.querySelector('input[name=response]').value = JSON.stringify(result);
          var name = form.querySelector('input[name=name]');
          if (name && !name.value) name.value = result.authenticatorAttachment === 'cross-platform' ? 'Security key' : 'Passkey';
          form.submit();
        })
        .catch(function (error) {
          button.disabled = false;
          var message = form.querySelector('.passkey-error');
          if (!message) {
            message = document.createElement('p');
            message.className = 'error-message passkey-error';
            message.setAttribute('role', 'alert');
            form.insertBefore(message, button);
          }
          message.textContent = form.getAttribute('data-error') || 'The passkey could not be used.';
          if (window.console) console.warn('passkey:', error && error.message);
        });
    });
  });
})();
