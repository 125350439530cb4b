import { CampaignSchema, formatPayload, type Payload } from '../engine/payload.js';

export type LinkRequest = Payload;
export type Links = {
  flow: string;
  lang: string;
  campaign: string | null;
  payload: string;
  telegram: string | null;
  whatsapp: string | null;
};

/**
 * The links a community leader shares: both carry the same payload, so they open the same
 * flow in the same language and count towards the same campaign.
 */
export function buildLinks(
  req: LinkRequest,
  where: { telegramBot?: string; whatsappNumber?: string },
): Links {
  if (req.campaign !== null) CampaignSchema.parse(req.campaign);
  const payload = formatPayload(req);
  return {
    flow: req.flow,
    lang: req.lang,
    campaign: req.campaign,
    payload,
    telegram: where.telegramBot
      ? `https://t.me/${where.telegramBot.replace(/^@/, '')}?start=${payload}`
      : null,
    whatsapp: where.whatsappNumber
      ? `https://wa.me/${where.whatsappNumber}?text=${encodeURIComponent(payload)}`
      : null,
  };
}
