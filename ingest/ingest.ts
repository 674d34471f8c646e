/**
 * The ingest service: subscribes to every device's vitals, events and status (persistent session,
 * QoS 1), validates each message with the protocol module, and stores it durably (queue on disk;
 * alarms in the alert store) BEFORE the broker gets its PUBACK. The writer then drains the queue into
 * InfluxDB. MQTT.js reads the next packet only when handleMessage calls back, so a full queue holds
 * the stream: back-pressure instead of loss.
 */
import mqtt, { type MqttClient, type IPublishPacket } from 'mqtt';
import type { IPoint } from 'influx';
import { join } from 'node:path';
import { allDevicesFilter, liveValuesTopic, patientAlertsTopic, type Channel } from '../devices/topics.ts';
import { ALARM_EVENT_TYPES, type VitalSample } from '../devices/payloads.ts';
import { parseDeviceMessage, type DeviceMessage } from '../devices/protocol.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';
import { privateDir } from '../common/private-files.ts';
import { patientName, type PatientDirectory, type PeopleDirectory, type SettingsDirectory } from '../web/directory.ts';
import { isStaff } from '../common/people-rules.ts';
import type { AlertView } from '../common/alert-api.ts';
import { AlertService, type AlertServiceOptions } from './alert-service.ts';
import { CallInvitations } from './notify/call-invitations.ts';
import { AppointmentInvitations } from './notify/appointment-invitations.ts';
import { cachedRules } from './rules/patient-rules.ts';
import type { NotificationChannel } from './notify/channel.ts';
import { DurableQueue } from './queue.ts';
import { AlertStore } from './alerts.ts';
import { SeqWindow } from './dedupe.ts';
import { BatchWriter } from './writer.ts';
import { LiveValuesCoalescer } from './live-values.ts';
import { createInflux, type InfluxAccess } from './influx-client.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import { eventPoint, statusPoint, vitalsPoint, type Identity } from './schema.ts';

export interface IngestOptions {
  readonly mqttUrl: string;
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  readonly influxUrl: string;
  /** Credentials and the certificate to trust, when the URL alone is not enough. */
  readonly influxAccess?: InfluxAccess;
  /** Folder for the durable queue and the alert store. */
  readonly dir: string;
  readonly registry: PatientDirectory;
  readonly batchSize: number;
  readonly batchMs: number;
  readonly bufferCapacity: number;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** The people to notify and escalate to (the registry's directory). */
  readonly people: PeopleDirectory;
  readonly channels?: readonly NotificationChannel[];
  /** The web pages' public URL, for the links in notifications. */
  readonly webUrl?: string;
  /** Each patient's alert settings, chosen by clinicians (defaults otherwise). */
  readonly settings?: SettingsDirectory;
  /** Rules, re-notification and escalation settings (defaults otherwise). */
  readonly alertOptions?: Partial<Pick<AlertServiceOptions, 'rulesFor' | 'renotifyMs' | 'escalationRepeatMs'>>;
  /** Longest wait of a stored reading before it leaves for the web service's live display (ingest/live-values.ts). */
  readonly liveIntervalMs?: number;
}

export class Ingest {
  readonly metrics: IngestMetrics = createIngestMetrics();
  readonly queue: DurableQueue;
  readonly alerts: AlertStore;
  readonly alertService: AlertService;
  readonly callInvitations: CallInvitations;
  readonly appointmentInvitations: AppointmentInvitations;
  readonly #o: IngestOptions;
  readonly #writer: BatchWriter;
  readonly #seen = new SeqWindow();
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  #clients: MqttClient[] = [];
  /** The connection of readings and presence, on which live values leave too. */
  #readingsClient: MqttClient | undefined;
  readonly #live: LiveValuesCoalescer;
  /** The connection of falls and SOS, on which alert changes leave too. */
  #alarmClient: MqttClient | undefined;
  #closed = false;

  constructor(options: IngestOptions) {
    this.#o = options;
    privateDir(options.dir);
    this.queue = new DurableQueue(join(options.dir, 'queue.db'), options.bufferCapacity);
    this.alerts = new AlertStore(join(options.dir, 'alerts.db'));
    this.#warn = rateLimitedWarn(options.logger);
    this.#writer = new BatchWriter({
      queue: this.queue,
      influx: createInflux(options.influxUrl, options.influxAccess),
      batchSize: options.batchSize,
      maxDelayMs: options.batchMs,
      logger: options.logger,
      metrics: this.metrics,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.metrics.queueDepth.set(this.queue.size);
    this.#live = new LiveValuesCoalescer({
      publish: (payload) => this.#publishLive(payload),
      ...(options.liveIntervalMs !== undefined ? { intervalMs: options.liveIntervalMs } : {}),
    });
    const webUrl = (options.webUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
    this.callInvitations = new CallInvitations({
      people: options.people,
      channels: options.channels ?? [],
      patientName: (id, lang) => patientName(options.registry, id, lang),
      familyUrl: `${webUrl}/family/`,
      logger: options.logger.child({ component: 'call-invitations' }),
    });
    this.appointmentInvitations = new AppointmentInvitations({
      people: options.people,
      channels: options.channels ?? [],
      patientName: (id, lang) => patientName(options.registry, id, lang),
      familyUrl: `${webUrl}/family/`,
      logger: options.logger.child({ component: 'appointment-invitations' }),
    });
    this.alertService = new AlertService({
      dir: options.dir,
      people: options.people,
      channels: options.channels ?? [],
      patientIds: () => options.registry.patientIds(),
      patientName: (id, lang) => patientName(options.registry, id, lang),
      // A member of the care team follows alerts in the console (the family page is for relatives).
      linkFor: (alert, person) =>
        isStaff(person.role) ? `${webUrl}/console/#/patient/${alert.patientId}` : `${webUrl}/family/?alert=${alert.id}`,
      publish: (alert) => this.#publishAlert(alert),
      logger: options.logger.child({ component: 'alerts' }),
      onDelivery: (channel, ok) => this.metrics.notifications.inc({ channel, result: ok ? 'sent' : 'failed' }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.settings
        ? {
            rulesFor: cachedRules(options.settings, (patientId, error) =>
              this.#warn(
                `settings:${patientId}`,
                { patientId, error: error.message },
                'patient settings unusable; default rules apply',
              ),
            ),
          }
        : {}),
      ...options.alertOptions,
    });
  }

  readonly #now = (): number => (this.#o.clock ?? Date.now)();

  /**
   * Starts draining what is queued and connects to the broker; resolves on the first CONNACKs.
   *
   * Two connections (two persistent sessions): readings and presence on one, device events (falls,
   * SOS) and our alert changes on the other. MQTT.js hands a connection's messages over one at a
   * time, and the broker writes each connection in order: on a single connection, a fall waited
   * behind every reading already sent to us, for as long as a backlog of readings takes to store.
   */
  async start(): Promise<void> {
    this.#writer.start();
    this.alertService.start();
    if (this.queue.size > 0)
      this.#o.logger.info({ queued: this.queue.size }, 'replaying readings queued before the restart');
    const readings = this.#connect(this.#o.clientId, ['vitals', 'status'], ['events']);
    const alarms = this.#connect(`${this.#o.clientId}-alarms`, ['events'], []);
    this.#clients = [readings.client, alarms.client];
    this.#readingsClient = readings.client;
    this.#alarmClient = alarms.client;
    await Promise.all([readings.connected, alarms.connected]);
  }

  #connect(
    clientId: string,
    channels: readonly Channel[],
    notHere: readonly Channel[],
  ): { client: MqttClient; connected: Promise<void> } {
    const client = mqtt.connect(this.#o.mqttUrl, {
      protocolVersion: 4,
      clientId,
      username: this.#o.username,
      password: this.#o.password,
      clean: false, // the broker keeps QoS 1 messages for us while we are away
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
    });
    client.handleMessage = (packet, done) => {
      // The PUBACK (and with it the next message) waits for the next turn of the event loop. MQTT.js
      // otherwise runs a whole socket read of messages on process.nextTick and promise jobs, which
      // come before any I/O: under a steady stream the InfluxDB writer's requests waited ~1 s per
      // batch (80 ms once the stream stopped) and the queue grew at 36,000 points/s while 2,400 were
      // written. Yielding here lets the writer's I/O in between messages (npm run bench -- --parts ingest).
      this.#handle(packet).then(
        () => setImmediate(done),
        (error: unknown) => {
          // Not acknowledged: drop the connection so the broker redelivers from our session.
          this.#o.logger.error(
            { error: String(error), clientId },
            'could not store a message; reconnecting without acknowledging it',
          );
          client.stream.destroy();
        },
      );
    };
    client.on('error', (error) =>
      this.#warn(`mqtt-error:${clientId}`, { error: error.message, clientId }, 'MQTT error'),
    );
    client.on('offline', () => this.#warn(`mqtt-offline:${clientId}`, { clientId }, 'broker unreachable; retrying'));
    const connected = new Promise<void>((resolve) => {
      client.on('connect', () => {
        // Subscribing again is harmless and repairs a session the broker lost; a channel moved to the
        // other connection (an earlier version had one) is dropped from this session.
        if (notHere.length > 0) client.unsubscribe(notHere.map(allDevicesFilter));
        client.subscribe(channels.map(allDevicesFilter), { qos: 1 }, (error) => {
          if (error) this.#o.logger.error({ error: error.message, clientId }, 'subscribe failed');
        });
        this.#o.logger.info({ url: this.#o.mqttUrl, clientId }, 'connected to broker');
        resolve();
      });
    });
    return { client, connected };
  }

  /** Disconnects (unacknowledged messages stay with the broker), lets the writer finish its batch. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live.close();
    await Promise.all(
      this.#clients.map((client) => new Promise<void>((resolve) => client.end(false, {}, () => resolve()))),
    );
    await this.#writer.stop();
    await this.alertService.stop();
    this.queue.close();
    this.alerts.close();
  }

  async #handle(packet: IPublishPacket): Promise<void> {
    const now = this.#now();
    const parsed = parseDeviceMessage(packet.topic, Buffer.from(packet.payload), { now });
    if (!parsed.ok) {
      this.metrics.rejected.inc({ code: parsed.error.code });
      this.#warn(
        `rejected:${parsed.error.code}:${packet.topic}`,
        { topic: packet.topic, code: parsed.error.code, reason: parsed.error.reason },
        'message rejected',
      );
      return;
    }
    const message = parsed.value;
    this.metrics.messages.inc({ channel: message.channel });
    const patient = this.#o.registry.patientOf(message.deviceId);
    if (!patient) {
      this.metrics.rejected.inc({ code: 'unknown_device' });
      this.#warn(
        `unknown:${message.deviceId}`,
        { deviceId: message.deviceId },
        'message from a device that is not in the registry (revoked or deleted?); not stored',
      );
      return;
    }
    const { points, seqs, samples } = this.#pointsOf(message, { device: message.deviceId, patient }, now);
    if (points.length === 0) return;
    if (this.queue.size + points.length > this.queue.capacity) {
      this.metrics.backpressure.inc();
      this.#warn(
        'backpressure',
        { queued: this.queue.size },
        'queue full: holding the broker until InfluxDB catches up',
      );
      await this.queue.waitForRoom(points.length);
    }
    this.queue.append(points);
    if (message.channel !== 'status') for (const seq of seqs) this.#seen.add(message.deviceId, message.channel, seq);
    this.metrics.pointsQueued.inc(points.length);
    this.metrics.queueDepth.set(this.queue.size);
    this.#writer.notify();
    this.#live.add(patient, message.deviceId, samples, now);
    this.#rules(message, patient, samples);
  }

  /**
   * The alert engine's turn. A fall or SOS is in the durable alert store when this returns (before
   * the PUBACK); if that fails the message is not acknowledged and comes again. A rule failing on
   * vitals is logged and does not hold the stream.
   */
  #rules(message: DeviceMessage, patient: string, samples: readonly VitalSample[]): void {
    switch (message.channel) {
      case 'events':
        this.alertService.event(patient, message.event);
        return;
      case 'status':
        this.alertService.presence(patient, message.status === 'online');
        return;
      case 'info': // what a device says about itself raises nothing (the ingest does not subscribe to it)
        return;
      case 'vitals':
        try {
          this.alertService.vitals(patient, samples);
        } catch (error) {
          this.#warn('rules-failed', { error: String(error), patientId: patient }, 'alert rules failed on vitals');
        }
        return;
      default:
        assertNever(message);
    }
  }

  #publishAlert(alert: AlertView): void {
    // QoS 1, queued by MQTT.js while the broker is away; the web service also catches up over HTTP.
    this.#alarmClient?.publish(patientAlertsTopic(alert.patientId), JSON.stringify(alert), { qos: 1 }, (error) => {
      if (error) this.#warn('alert-publish', { error: error.message }, 'could not publish an alert change');
    });
  }

  /**
   * Live values go at QoS 0 on the readings connection: each message is superseded by the next ones
   * and the pages load the last hour over HTTP, so neither the broker nor the web service keeps or
   * acknowledges them; while the broker is away they are dropped, not queued (the web service shows
   * the readings that follow).
   */
  #publishLive(payload: Buffer): void {
    const client = this.#readingsClient;
    if (!client?.connected) return this.metrics.liveMessages.inc({ result: 'dropped' });
    this.metrics.liveMessages.inc({ result: 'published' });
    client.publish(liveValuesTopic(), payload, { qos: 0 }, (error) => {
      if (error) this.#warn('live-publish', { error: error.message }, 'could not publish live values');
    });
  }

  /** The points to store for a message, and the seqs they carry (remembered once stored). */
  #pointsOf(
    message: DeviceMessage,
    id: Identity,
    now: number,
  ): { points: IPoint[]; seqs: number[]; samples: VitalSample[] } {
    switch (message.channel) {
      case 'vitals': {
        const fresh = message.samples.filter((s) => !this.#seen.has(id.device, 'vitals', s.seq));
        if (fresh.length < message.samples.length) this.metrics.duplicates.inc(message.samples.length - fresh.length);
        return {
          points: fresh.map((s) => vitalsPoint(id, s, message.backfill)),
          seqs: fresh.map((s) => s.seq),
          samples: fresh,
        };
      }
      case 'events': {
        const { event } = message;
        if (this.#seen.has(id.device, 'events', event.seq)) {
          this.metrics.duplicates.inc();
          return { points: [], seqs: [], samples: [] };
        }
        if (ALARM_EVENT_TYPES.has(event.type) && this.alerts.record(id, event, now)) {
          this.metrics.alerts.inc({ type: event.type });
          this.#o.logger.warn(
            { deviceId: id.device, patientId: id.patient, type: event.type, seq: event.seq, ts: event.ts },
            'alarm received and stored',
          );
        }
        return { points: [eventPoint(id, event)], seqs: [event.seq], samples: [] };
      }
      case 'status':
        return { points: [statusPoint(id, message.status === 'online', now)], seqs: [], samples: [] };
      case 'info': // the web service shows it; it is not a time series
        return { points: [], seqs: [], samples: [] };
      default:
        return assertNever(message);
    }
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected message ${JSON.stringify(value)}`);
}
