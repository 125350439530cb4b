import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxStore } from '../outbox/contract.js';

/**
 * The bot's Prometheus metrics. Labels are channels and reasons only: no user, chat, text or
 * question ever becomes a label.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly turns = new Counter({
    name: 'puente_turns_total',
    help: 'Conversation turns committed, by channel',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  readonly repliesSent = new Counter({
    name: 'puente_replies_sent_total',
    help: 'Outgoing messages the platform accepted, by channel',
    labelNames: ['channel'],
    registers: [this.registry],
  });
  readonly sendFailures = new Counter({
    name: 'puente_send_failures_total',
    help: 'Sends that failed (and were retried or given up on), by channel and reason',
    labelNames: ['channel', 'reason'],
    registers: [this.registry],
  });
  readonly deliveryFailures = new Counter({
    name: 'puente_delivery_failures_total',
    help: 'Sent messages the platform later reported as not delivered, by channel and error code',
    labelNames: ['channel', 'code'],
    registers: [this.registry],
  });
  readonly unanswered = new Counter({
    name: 'puente_unanswered_total',
    help: 'Questions the bot had no answer for',
    registers: [this.registry],
  });
  readonly safetyCards = new Counter({
    name: 'puente_safety_cards_total',
    help: 'Emergency cards shown',
    registers: [this.registry],
  });
  readonly turnDuration = new Histogram({
    name: 'puente_turn_duration_seconds',
    help: 'Time of a turn, from the update to its commit',
    labelNames: ['channel'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(outbox: OutboxStore, now: () => number = Date.now) {
    const stats = () => outbox.stats(now());
    new Gauge({
      name: 'puente_outbox_backlog',
      help: 'Messages waiting in the outbox',
      registers: [this.registry],
      async collect() {
        try {
          this.set((await stats()).backlog);
        } catch {
          // The store is down: the gauge keeps its last value and /health says why.
        }
      },
    });
    new Gauge({
      name: 'puente_outbox_held',
      help: 'Messages held in the outbox until the person writes again, by reason',
      labelNames: ['reason'],
      registers: [this.registry],
      async collect() {
        try {
          this.reset();
          for (const { reason, count } of await outbox.heldCounts()) this.set({ reason }, count);
        } catch {
          // As above.
        }
      },
    });
    new Gauge({
      name: 'puente_outbox_oldest_pending_seconds',
      help: 'Age of the oldest message waiting in the outbox',
      registers: [this.registry],
      async collect() {
        try {
          this.set(((await stats()).oldestPendingMs ?? 0) / 1000);
        } catch {
          // As above.
        }
      },
    });
  }
}
