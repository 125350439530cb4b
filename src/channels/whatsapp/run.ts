import type { App } from '../../runtime/app.js';
import type { RunningChannel } from '../channel.js';

export async function startWhatsApp(app: App): Promise<RunningChannel> {
  app.log.error('the WhatsApp channel is not available in this version');
  return { name: 'whatsapp', stop: async () => undefined };
}
