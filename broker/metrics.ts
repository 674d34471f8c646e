/** Broker counters, exposed in Prometheus text format on the metrics port. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * `routingWaiting`: messages waiting for a routing slot now; `connectionsBacklogged`: connections
 * whose output buffer is full now; `connectionsWaitingToRead`: device connections waiting for the
 * read budget; `messagesQueued`: messages in persistent sessions' queues now (all read at each
 * scrape).
 */
export function createBrokerMetrics(
  readNow: {
    routingWaiting?: () => number;
    connectionsBacklogged?: () => number;
    connectionsWaitingToRead?: () => number;
    messagesQueued?: () => number;
  } = {},
) {
  const {
    routingWaiting = () => 0,
    connectionsBacklogged = () => 0,
    connectionsWaitingToRead = () => 0,
    messagesQueued = () => 0,
  } = readNow;
  const registry = new Registry();
  return {
    registry,
    connectionsRefused: new Counter({
      name: 'vigie_broker_connections_refused_total',
      help: 'CONNECTs refused, by reason (bad_credentials: unknown id or wrong secret)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    refusalsHeld: new Gauge({
      name: 'vigie_broker_refusals_held',
      help: 'refusals of wrong credentials being held back before their CONNACK (a growing delay per source address)',
      registers: [registry],
    }),
    connectionsDropped: new Counter({
      name: 'vigie_broker_connections_dropped_total',
      help: 'connections the broker closed on an error, by transport and reason (protocol, packet_too_large, connect_timeout, keepalive_timeout, websocket, network)',
      labelNames: ['transport', 'reason'],
      registers: [registry],
    }),
    revokedDisconnected: new Counter({
      name: 'vigie_broker_revoked_disconnected_total',
      help: 'connections of devices revoked while connected, closed by the broker',
      registers: [registry],
    }),
    upgradesRefused: new Counter({
      name: 'vigie_broker_websocket_upgrades_refused_total',
      help: 'requests to the MQTT-over-WebSocket listener refused with a 4xx, by reason (unknown_path, no_mqtt_subprotocol, bad_handshake, bad_http)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    publishesWaiting: new Gauge({
      name: 'vigie_broker_publishes_waiting',
      help: "device publishes waiting for their client's publish rate (nothing more is read from those clients meanwhile)",
      registers: [registry],
    }),
    publishesPaced: new Counter({
      name: 'vigie_broker_publishes_paced_total',
      help: "device publishes that had to wait for their client's publish rate",
      registers: [registry],
    }),
    readsHeld: new Counter({
      name: 'vigie_broker_reads_held_total',
      help: "chunks read from devices' connections past the per-turn read budget, put back for a later turn (falls and SOS are read at once)",
      registers: [registry],
    }),
    connectionsWaitingToRead: new Gauge({
      name: 'vigie_broker_connections_waiting_to_read',
      help: "devices' connections whose next chunk waits for a later turn of the per-turn read budget",
      registers: [registry],
      collect() {
        this.set(connectionsWaitingToRead());
      },
    }),
    publishesRefused: new Counter({
      name: 'vigie_broker_publishes_refused_total',
      help: 'PUBLISHes refused by the ACL (the client is disconnected), by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    subscriptionsRefused: new Counter({
      name: 'vigie_broker_subscriptions_refused_total',
      help: 'SUBSCRIBE filters refused by the ACL (granted 0x80), by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    payloadsRejected: new Counter({
      name: 'vigie_broker_payloads_rejected_total',
      help: 'device messages acknowledged but not delivered because they failed protocol validation, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    messagesAccepted: new Counter({
      name: 'vigie_broker_messages_accepted_total',
      help: 'device messages accepted, by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    eventsAtQos0: new Counter({
      name: 'vigie_broker_events_at_qos0_total',
      help: 'device events published at QoS 0: taken at QoS 1 for the ingest, the device told to use QoS 1 (code qos)',
      registers: [registry],
    }),
    qos0Dropped: new Counter({
      name: 'vigie_broker_qos0_dropped_total',
      help: 'QoS 0 messages not delivered to a subscriber that had too much waiting to be written already (broker/qos0-shedding.ts)',
      registers: [registry],
    }),
    routingWaiting: new Gauge({
      name: 'vigie_broker_routing_waiting',
      help: 'messages waiting for one of the routing slots (all taken: subscribers slower than publishers); alarms do not wait (broker/alarm-lane.ts)',
      registers: [registry],
      collect() {
        this.set(routingWaiting());
      },
    }),
    connectionsBacklogged: new Gauge({
      name: 'vigie_broker_connections_backlogged',
      help: "MQTT connections whose output buffer is full, the broker's writes waiting for their peer to read: a subscriber slower than its messages, or one that stopped reading",
      registers: [registry],
      collect() {
        this.set(connectionsBacklogged());
      },
    }),
    messagesQueued: new Gauge({
      name: 'vigie_broker_messages_queued',
      help: "QoS 1 messages in persistent sessions' queues, sent and not yet acknowledged or waiting to be sent: mostly the ingest's backlog, which grows while it is away or slower than the watches",
      registers: [registry],
      collect() {
        this.set(messagesQueued());
      },
    }),
    alarmStoreSeconds: new Histogram({
      name: 'vigie_broker_alarm_store_seconds',
      help: "device events (falls, SOS) from the broker's check of their PUBLISH to stored in every subscriber's session; their PUBACK leaves at the end of that event-loop turn",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    clientsConnected: new Gauge({
      name: 'vigie_broker_clients_connected',
      help: 'connected MQTT clients',
      registers: [registry],
    }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
