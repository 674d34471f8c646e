/**
 * The ingest service: subscribes to every device's vitals, events and status (persistent session,
 * QoS 1), validates each message with the protocol module, and stores it durably (queue on disk;
 * alarms in the alert store) BEFORE the broker gets its PUBACK. The subscriber reads ahead and hands
 * over groups of messages: a group's points are committed at once and its PUBACKs leave together
 * (group-subscriber.ts). The writer then drains the queue into InfluxDB. A full queue holds the
 * group, and with it the socket: back-pressure instead of loss.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { join } from 'node:path';
import { allDevicesFilter, liveValuesTopic, patientAlertsTopic, type Channel } from '../devices/topics.ts';
import { ALARM_EVENT_TYPES, type VitalSample } from '../devices/payloads.ts';
import { acceptedSamplesJson, isDataChannel, parseDeviceMessage, type DeviceMessage } from '../devices/protocol.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';
import { privateDir } from '../common/private-files.ts';
import { inSlices } from '../common/slices.ts';
import { patientName, type PatientDirectory, type PeopleDirectory, type SettingsDirectory } from '../web/directory.ts';
import { isStaff } from '../common/people-rules.ts';
import type { AlertView } from '../common/alert-api.ts';
import { AlertService, type AlertServiceOptions } from './alert-service.ts';
import { CallInvitations } from './notify/call-invitations.ts';
import { AppointmentInvitations } from './notify/appointment-invitations.ts';
import { cachedRules } from './rules/patient-rules.ts';
import type { NotificationChannel } from './notify/channel.ts';
import { DurableQueue } from './queue.ts';
import { GroupSubscriber, type Delivery } from './group-subscriber.ts';
import { AlertStore } from './alerts.ts';
import { SeqWindow, type SeqRing } from './dedupe.ts';
import { BatchWriter } from './writer.ts';
import { LiveValuesCoalescer } from './live-values.ts';
import { partialsOf } from './minute-rollup.ts';
import { createInflux, createLineWriter, type InfluxAccess, type LineWriter } from './influx-client.ts';
import { createIngestMetrics, type IngestMetrics } from './metrics.ts';
import { eventPoint, statusPoint, type Identity } from './schema.ts';
import { pointLine, seriesKey, vitalsLine } from './line-protocol.ts';

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
  /** The most messages stored and acknowledged as one group (1,000 by default). */
  readonly maxGroup?: number;
  /** How long the alert rules of a group run before the event loop reads other sockets (RULES_SLICE_MS). */
  readonly rulesSliceMs?: number;
  /** MQTT keep-alive, in seconds (60 by default). */
  readonly keepaliveSec?: number;
}

/** A message accepted in a group, with what it adds once the group is stored. */
interface Accepted {
  readonly message: DeviceMessage;
  readonly patient: string;
  /** Where its seqs are remembered once stored (none for presence). */
  readonly ring: SeqRing | undefined;
  readonly seqs: readonly number[];
  readonly samples: readonly VitalSample[];
  /** The samples as the JSON text they came in, when they are all stored and it can be reused (live values). */
  readonly json: Uint8Array | undefined;
}

/** Live values waiting in their socket beyond which new ones are dropped (the broker is behind). */
const LIVE_BACKLOG_BYTES = 1 << 20;

/**
 * The alert rules of a group of readings run in slices of about this long (ms), and the event loop
 * reads other sockets between them: a fall on the alarm connection does not wait for the rules of a
 * thousand batched uploads (10,000 readings through NEWS2 and the thresholds). Profiled in the fleet
 * benchmark (pti=on machine, 30 November): 586 tasks of the ingest's event loop took 200 ms or more,
 * and the rules were a third of them.
 */
const RULES_SLICE_MS = 10;

export class Ingest {
  readonly metrics: IngestMetrics = createIngestMetrics();
  readonly queue: DurableQueue;
  readonly alerts: AlertStore;
  readonly alertService: AlertService;
  readonly callInvitations: CallInvitations;
  readonly appointmentInvitations: AppointmentInvitations;
  readonly #o: IngestOptions;
  readonly #writer: BatchWriter;
  readonly #lines: LineWriter;
  readonly #seen = new SeqWindow();
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  #subscribers: GroupSubscriber[] = [];
  /** The connection on which alert changes leave (QoS 1, queued by MQTT.js while the broker is away). */
  #alertClient: MqttClient | undefined;
  /**
   * The connection of live values, apart: under overload the broker reads the ingest's sockets
   * slowly, and alert changes must not queue behind megabytes of live values.
   */
  #liveClient: MqttClient | undefined;
  readonly #live: LiveValuesCoalescer;
  /** Aborts a wait for room in the queue when the service stops. */
  readonly #stopping = new AbortController();
  #closed = false;

  constructor(options: IngestOptions) {
    this.#o = options;
    privateDir(options.dir);
    this.queue = new DurableQueue(join(options.dir, 'queue.db'), options.bufferCapacity);
    this.alerts = new AlertStore(join(options.dir, 'alerts.db'));
    this.#warn = rateLimitedWarn(options.logger);
    this.#lines = createLineWriter(options.influxUrl, options.influxAccess);
    this.#writer = new BatchWriter({
      queue: this.queue,
      influx: createInflux(options.influxUrl, options.influxAccess),
      lines: this.#lines,
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
   * Starts draining what is queued and connects to the broker; resolves once subscribed.
   *
   * Two subscriber connections (two persistent sessions): readings and presence on one, device events
   * (falls, SOS) on the other. The broker writes each connection in order: on a single connection, a
   * fall waited behind every reading already sent to us, for as long as a backlog of readings takes to
   * store. Alert changes leave on a third connection, which only publishes.
   */
  async start(): Promise<void> {
    this.#writer.start();
    this.alertService.start();
    if (this.queue.size > 0)
      this.#o.logger.info({ queued: this.queue.size }, 'replaying readings queued before the restart');
    for (const { file, at, reason } of this.queue.damaged)
      this.#o.logger.error(
        { file, at, reason },
        "part of the queue's log is unreadable (the machine stopped during a write?); what follows it in that file is left out",
      );
    this.#alertClient = this.#publisher(`${this.#o.clientId}-alerts`);
    this.#liveClient = this.#publisher(`${this.#o.clientId}-live`);
    const connected = (client: MqttClient) =>
      new Promise<void>((resolve) => {
        if (client.connected) return resolve();
        client.once('connect', () => resolve());
        this.#stopping.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    // The publishing connections first: the broker hands the subscribers their persistent sessions'
    // messages as soon as they connect, and the live values of those readings are dropped, not queued,
    // while the live connection is not up yet.
    await Promise.all([connected(this.#alertClient), connected(this.#liveClient)]);
    if (this.#closed) return;
    const readings = this.#subscriber(this.#o.clientId, ['vitals', 'status'], ['events']);
    const alarms = this.#subscriber(`${this.#o.clientId}-alarms`, ['events'], []);
    this.#subscribers = [readings, alarms];
    // Started means every connection is up: an alert raised right after start leaves at once.
    await Promise.all([readings.start(), alarms.start()]);
  }

  #subscriber(clientId: string, channels: readonly Channel[], notHere: readonly Channel[]): GroupSubscriber {
    return new GroupSubscriber({
      url: this.#o.mqttUrl,
      clientId,
      username: this.#o.username,
      password: this.#o.password,
      filters: channels.map(allDevicesFilter),
      // A channel moved to the other connection (an earlier version had one) is dropped from this session.
      dropFilters: notHere.map(allDevicesFilter),
      handle: (group) =>
        this.#store(group).catch((error: unknown) => {
          this.metrics.storeFailures.inc();
          throw error;
        }),
      ...(this.#o.maxGroup ? { maxGroup: this.#o.maxGroup } : {}),
      ...(this.#o.keepaliveSec ? { keepaliveSec: this.#o.keepaliveSec } : {}),
      logger: this.#o.logger,
    });
  }

  #publisher(clientId: string): MqttClient {
    const client = mqtt.connect(this.#o.mqttUrl, {
      protocolVersion: 4,
      clientId,
      username: this.#o.username,
      password: this.#o.password,
      clean: false, // alert changes not yet acknowledged are sent again after a reconnect
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
    });
    client.on('error', (error) =>
      this.#warn(`mqtt-error:${clientId}`, { error: error.message, clientId }, 'MQTT error'),
    );
    client.on('offline', () => this.#warn(`mqtt-offline:${clientId}`, { clientId }, 'broker unreachable; retrying'));
    return client;
  }

  /** Disconnects (unacknowledged messages stay with the broker), lets the writer finish its batch. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping.abort();
    this.#live.close();
    const publishers = [this.#alertClient, this.#liveClient].filter((c) => c !== undefined);
    await Promise.all([
      ...this.#subscribers.map((s) => s.stop()),
      ...publishers.map((client) => client.endAsync(false)),
    ]);
    await this.#writer.stop();
    this.#lines.close();
    await this.alertService.stop();
    this.queue.close();
    this.alerts.close();
  }

  /**
   * Stores a group of messages: each is validated (a rejected one is counted, logged and still
   * acknowledged), the points of all are appended in one commit, and the alert engine runs on each,
   * in order. Resolves when the group may be acknowledged; a failure leaves all of it unacknowledged.
   */
  async #store(group: readonly Delivery[]): Promise<void> {
    this.metrics.groupMessages.observe(group.length);
    const now = this.#now();
    const accepted: Accepted[] = [];
    const points: string[] = [];
    // Seqs taken earlier in this group, per device and channel: a message sent twice may come twice in one group.
    const inGroup = new Map<SeqRing, Set<number>>();
    const counts = new Map<Channel, number>();
    for (const delivery of group) {
      const one = this.#accept(delivery, now, inGroup, counts);
      if (!one || one.points.length === 0) continue;
      accepted.push(one.accepted);
      for (const p of one.points) points.push(p);
    }
    for (const [channel, n] of counts) this.metrics.messages.inc({ channel }, n);
    if (points.length === 0) return;
    // Device events (falls, SOS: the alarm connection) never wait for room: they are few, and a full
    // queue of readings (InfluxDB slow or stopped) must not hold an alarm back from the alert engine.
    const readings = accepted.some((a) => a.message.channel !== 'events');
    if (readings && this.queue.size + points.length > this.queue.capacity) {
      this.metrics.backpressure.inc();
      this.#warn(
        'backpressure',
        { queued: this.queue.size },
        'queue full: holding the broker until InfluxDB catches up',
      );
      await this.queue.waitForRoom(points.length, this.#stopping.signal);
    }
    this.queue.append(
      points,
      partialsOf(
        accepted.flatMap((a) =>
          a.message.channel === 'vitals' && a.samples.length > 0
            ? [{ device: a.message.deviceId, patient: a.patient, samples: a.samples }]
            : [],
        ),
      ),
    );
    for (const { ring, seqs } of accepted) if (ring) for (const seq of seqs) ring.add(seq);
    this.metrics.pointsQueued.inc(points.length);
    this.metrics.queueDepth.set(this.queue.size);
    this.#writer.notify();
    await inSlices(accepted, this.#o.rulesSliceMs ?? RULES_SLICE_MS, ({ message, patient, samples, json }) => {
      this.#live.add(patient, message.deviceId, samples, now, json);
      this.#rules(message, patient, samples);
    });
  }

  /**
   * Live values go at QoS 0: each message is superseded by the next ones and the pages load the last
   * hour over HTTP, so neither the broker nor the web service keeps or acknowledges them; while the
   * broker is away, or reads them more slowly than they come (more than LIVE_BACKLOG_BYTES waiting
   * in the socket), they are dropped, not queued (the web service shows the readings that follow).
   */
  #publishLive(payload: Buffer): void {
    const client = this.#liveClient;
    if (!client?.connected || client.stream.writableLength > LIVE_BACKLOG_BYTES)
      return this.metrics.liveMessages.inc({ result: 'dropped' });
    this.metrics.liveMessages.inc({ result: 'published' });
    client.publish(liveValuesTopic(), payload, { qos: 0 }, (error) => {
      if (error) this.#warn('live-publish', { error: error.message }, 'could not publish live values');
    });
  }

  /** A message of a group: validated, its points (those not stored already), or undefined if rejected. */
  #accept(
    delivery: Delivery,
    now: number,
    inGroup: Map<SeqRing, Set<number>>,
    counts: Map<Channel, number>,
  ): { accepted: Accepted; points: string[] } | undefined {
    const parsed = parseDeviceMessage(delivery.topic, delivery.payload, { now });
    if (!parsed.ok) {
      this.metrics.rejected.inc({ code: parsed.error.code });
      this.#warn(
        `rejected:${parsed.error.code}:${delivery.topic}`,
        { topic: delivery.topic, code: parsed.error.code, reason: parsed.error.reason },
        'message rejected',
      );
      return undefined;
    }
    const message = parsed.value;
    counts.set(message.channel, (counts.get(message.channel) ?? 0) + 1);
    const patient = this.#o.registry.patientOf(message.deviceId);
    if (!patient) {
      this.metrics.rejected.inc({ code: 'unknown_device' });
      this.#warn(
        `unknown:${message.deviceId}`,
        { deviceId: message.deviceId },
        'message from a device that is not in the registry (revoked or deleted?); not stored',
      );
      return undefined;
    }
    const ring = isDataChannel(message.channel) ? this.#seen.of(message.deviceId, message.channel) : undefined;
    let taken = ring && inGroup.get(ring);
    if (ring && !taken) inGroup.set(ring, (taken = new Set()));
    const seen = (seq: number): boolean => {
      if (!ring || !taken || ring.has(seq) || taken.has(seq)) return true;
      taken.add(seq);
      return false;
    };
    const { points, seqs, samples } = this.#pointsOf(message, { device: message.deviceId, patient }, now, seen);
    const json =
      message.channel === 'vitals' && samples.length > 0 && samples.length === message.samples.length
        ? acceptedSamplesJson(delivery.payload)
        : undefined;
    return { accepted: { message, patient, ring, seqs, samples, json }, points };
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
    this.#alertClient?.publish(patientAlertsTopic(alert.patientId), JSON.stringify(alert), { qos: 1 }, (error) => {
      if (error) this.#warn('alert-publish', { error: error.message }, 'could not publish an alert change');
    });
  }

  /**
   * The points to store for a message (line protocol), and the seqs they carry (remembered once
   * stored); `seen` says whether a seq of the message's channel is stored already or taken earlier in
   * the group, and takes it otherwise.
   */
  #pointsOf(
    message: DeviceMessage,
    id: Identity,
    now: number,
    seen: (seq: number) => boolean,
  ): { points: string[]; seqs: number[]; samples: VitalSample[] } {
    switch (message.channel) {
      case 'vitals': {
        const fresh = message.samples.filter((s) => !seen(s.seq));
        if (fresh.length < message.samples.length) this.metrics.duplicates.inc(message.samples.length - fresh.length);
        const key = seriesKey('vitals', id);
        return {
          points: fresh.map((s) => vitalsLine(key, s, message.backfill)),
          seqs: fresh.map((s) => s.seq),
          samples: fresh,
        };
      }
      case 'events': {
        const { event } = message;
        if (seen(event.seq)) {
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
        return { points: [pointLine(eventPoint(id, event))], seqs: [event.seq], samples: [] };
      }
      case 'status':
        return { points: [pointLine(statusPoint(id, message.status === 'online', now))], seqs: [], samples: [] };
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
