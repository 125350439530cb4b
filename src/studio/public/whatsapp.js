// The WhatsApp tab, for whoever holds the bot's phone: the connection state the bot last wrote
// and, while it waits for a phone, the newest pairing QR code. Polled while the tab is open.
const WA_TEXT = {
  starting: 'Starting WhatsApp Web…',
  qr: 'Waiting for the phone: scan the code below.',
  authenticated: 'The phone is linked; WhatsApp Web is loading the chats…',
  ready: 'Connected: the bot answers on WhatsApp.',
  disconnected: 'Disconnected: the bot is reconnecting.',
  auth_failure: 'The login failed: on the server, delete the WhatsApp session folder and scan a new code.',
  restarting: 'Restarting WhatsApp Web…',
  stopped: 'WhatsApp is stopped: the bot was shut down.',
};
/** The bot confirms a connection every minute; silence for longer means it may not be running. */
const WA_QUIET_MS = 3 * 60_000;

function ago(iso) {
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  return new Date(iso).toLocaleString();
}

async function loadWhatsApp() {
  const wa = await api('/api/whatsapp').catch(() => null);
  if (!wa) return;
  const text = !wa.state
    ? wa.enabled
      ? 'The bot has not started WhatsApp Web yet.'
      : 'WhatsApp Web has not run on this server: set WHATSAPP_ENABLED=1 and start the bot.'
    : (WA_TEXT[wa.state] ?? wa.state);
  $('wa-state').textContent = text;
  $('wa-state').dataset.state = wa.state ?? 'none';
  const quiet = wa.state === 'ready' && Date.now() - Date.parse(wa.at) > WA_QUIET_MS;
  $('wa-when').textContent = wa.at
    ? `Last news from the bot: ${ago(wa.at)}.${quiet ? ' That is a while: check that the bot is running.' : ''}`
    : '';
  $('wa-qr').hidden = wa.qr === null;
  if (wa.qr !== null) {
    const src = `/api/whatsapp/qr.png?v=${wa.qr}`;
    if ($('wa-qr-img').getAttribute('src') !== src) $('wa-qr-img').src = src;
  }
}

setInterval(() => {
  if (!$('tab-whatsapp').hidden) loadWhatsApp();
}, 3_000);
tabLoaders.whatsapp = loadWhatsApp;
