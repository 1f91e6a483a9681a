// The DevTools virtual authenticator (WebAuthn domain of the Chrome DevTools
// protocol), attached to one page of a playwright-core browser.
import type { Page } from 'playwright-core';
import type { Browser } from './browser.ts';

/** `synced` makes its credentials backup-eligible (a synced passkey, amr swk); otherwise a USB security key (hwk). */
export async function virtualAuthenticator(browser: Browser, page: Page, synced: boolean) {
  const cdp = await browser.context.newCDPSession(page);
  const send = cdp.send.bind(cdp) as (method: string, params?: object) => Promise<Record<string, unknown>>;
  await send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: synced ? 'internal' : 'usb',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      defaultBackupEligibility: synced,
      defaultBackupState: synced,
    },
  });
  return {
    /** how many credentials it holds */
    async credentials(): Promise<number> {
      return ((await send('WebAuthn.getCredentials', { authenticatorId })).credentials as unknown[]).length;
    },
  };
}
