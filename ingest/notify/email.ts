/** E-mail over SMTP (nodemailer): plain text and a minimal HTML part with the action link. */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Delivery, Notification, NotificationChannel, Recipient } from './channel.ts';

export interface EmailOptions {
  /** e.g. smtp://user:pass@mail.example.org:587 (STARTTLS when the server offers it) or smtps://... */
  readonly url: string;
  readonly from: string;
}

export class EmailChannel implements NotificationChannel {
  readonly name = 'email';
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(options: EmailOptions) {
    this.#transport = nodemailer.createTransport(options.url);
    this.#from = options.from;
  }

  async send(to: Recipient, message: Notification): Promise<Delivery[]> {
    const address = to.person.email;
    if (!address) return [];
    try {
      await this.#transport.sendMail({
        from: this.#from,
        to: { name: to.person.name, address },
        subject: message.title,
        text: `${message.body}\n\n${message.url}\n`,
        html: `<p>${escapeHtml(message.body)}</p><p><a href="${escapeHtml(message.url)}">${escapeHtml(message.url)}</a></p>`,
        priority: message.urgent ? 'high' : 'normal',
        headers: message.alertId === undefined ? {} : { 'X-Vigie-Alert': String(message.alertId) },
        attachments: message.calendar
          ? [
              {
                filename: 'consultation.ics',
                content: message.calendar.content,
                contentType: `text/calendar; charset=utf-8; method=${message.calendar.method}`,
              },
            ]
          : [],
      });
      return [{ address, ok: true }];
    } catch (error) {
      // 5xx answers are permanent (mailbox unknown...); connection problems and 4xx are retried.
      const code = (error as { responseCode?: number }).responseCode;
      return [{ address, ok: false, permanent: code !== undefined && code >= 500, error: (error as Error).message }];
    }
  }

  close(): void {
    this.#transport.close();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
