/** Ingest counters, exposed in Prometheus text format on the metrics port. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createIngestMetrics() {
  const registry = new Registry();
  return {
    registry,
    messages: new Counter({
      name: 'vigie_ingest_messages_total',
      help: 'device messages received, by channel',
      labelNames: ['channel'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'vigie_ingest_rejected_total',
      help: 'messages refused by validation, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'vigie_ingest_duplicates_total',
      help: 'readings or events received again (same device and seq) and not stored twice',
      registers: [registry],
    }),
    liveMessages: new Counter({
      name: 'vigie_ingest_live_messages_total',
      help: 'messages of live values for the web service, by result (published, or dropped while the broker was away)',
      labelNames: ['result'],
      registers: [registry],
    }),
    pointsQueued: new Counter({
      name: 'vigie_ingest_points_queued_total',
      help: 'points appended to the durable queue',
      registers: [registry],
    }),
    pointsWritten: new Counter({
      name: 'vigie_ingest_points_written_total',
      help: 'points written to InfluxDB',
      registers: [registry],
    }),
    minutesWritten: new Counter({
      name: 'vigie_ingest_minutes_written_total',
      help: '1-minute downsample points written to InfluxDB (a device, a minute)',
      registers: [registry],
    }),
    lateDownsampled: new Counter({
      name: 'vigie_ingest_late_downsampled_total',
      help: 'late ranges (a device each) folded into the 1-minute and 1-hour downsamples by hand',
      registers: [registry],
    }),
    downsampleFailures: new Counter({
      name: 'vigie_ingest_downsample_failures_total',
      help: 'by-hand downsample passes that failed (what is left is tried again)',
      registers: [registry],
    }),
    writeFailures: new Counter({
      name: 'vigie_ingest_write_failures_total',
      help: 'failed InfluxDB batch writes (retried)',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'vigie_ingest_dead_lettered_total',
      help: 'points InfluxDB refused for good, kept in the dead letters',
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'vigie_ingest_alerts_total',
      help: 'alarm events stored as alerts, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'vigie_ingest_notifications_total',
      help: 'notifications sent to people, by channel and result',
      labelNames: ['channel', 'result'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'vigie_ingest_queue_depth',
      help: 'points waiting on disk for InfluxDB',
      registers: [registry],
    }),
    backpressure: new Counter({
      name: 'vigie_ingest_backpressure_waits_total',
      help: 'times a group of messages waited for room in the full queue',
      registers: [registry],
    }),
    groupMessages: new Histogram({
      name: 'vigie_ingest_group_messages',
      help: 'messages stored and acknowledged together (how far the ingest reads ahead of its commits)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    }),
    storeFailures: new Counter({
      name: 'vigie_ingest_store_failures_total',
      help: 'groups of messages that could not be stored (not acknowledged: the broker delivers them again)',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'vigie_ingest_batch_write_seconds',
      help: 'time to write one batch to InfluxDB',
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
