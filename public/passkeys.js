// The browser's side of passkeys (WebAuthn), called by the app (app/src/webauthn.rs).
// The server sends WebAuthn options in their JSON form (base64url fields, as webauthn-rs
// writes them); the browser turns them into its objects with
// PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON, and the
// authenticator's answer back into JSON with credential.toJSON(). Answers travel as JSON text.
(() => {
  'use strict';
  // The autofill (conditional) request waiting on the sign-in page: a button press or a
  // new request replaces it (only one WebAuthn request may run at a time).
  let waiting = null;
  // A request the person is answering (a button's): autofill must not start over it.
  let modalOpen = false;

  function supported() {
    return typeof window.PublicKeyCredential === 'function'
      && typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
      && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';
  }

  function stopWaiting() {
    if (waiting) {
      waiting.abort();
      waiting = null;
    }
  }

  /** Registers a passkey: options JSON text in, the new credential's JSON text out. */
  async function create(optionsJson) {
    stopWaiting();
    const options = JSON.parse(optionsJson);
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.publicKey);
    modalOpen = true;
    try {
      const credential = await navigator.credentials.create({ publicKey });
      return JSON.stringify(credential.toJSON());
    } finally {
      modalOpen = false;
    }
  }

  /**
   * Signs with a passkey: options JSON text in, the assertion's JSON text out. `conditional`:
   * wait for the person to pick a passkey in the autofill of a `webauthn` field.
   */
  async function get(optionsJson, conditional) {
    if (conditional && modalOpen) throw new DOMException('another passkey request is open', 'AbortError');
    stopWaiting();
    const options = JSON.parse(optionsJson);
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
    const controller = new AbortController();
    const request = { publicKey, signal: controller.signal };
    if (conditional) {
      request.mediation = 'conditional';
      waiting = controller;
    } else {
      modalOpen = true;
    }
    try {
      const credential = await navigator.credentials.get(request);
      return JSON.stringify(credential.toJSON());
    } finally {
      if (waiting === controller) waiting = null;
      if (!conditional) modalOpen = false;
    }
  }

  /** Whether the browser offers passkeys in autofill (conditional mediation). */
  async function conditionalAvailable() {
    return supported()
      && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function'
      && await PublicKeyCredential.isConditionalMediationAvailable();
  }

  window.tenantryPasskeys = { supported, create, get, conditionalAvailable, stopWaiting };
})();
