/**
 * How the broker's persistence stores a packet in SQLite: a compact binary layout for the PUBLISH
 * packets it stores all the time, v8.serialize for anything else.
 *
 * Why: every QoS 1 reading is stored once per persistent subscriber before it is acknowledged, and
 * v8.serialize of a packet object (a structured clone, with its host-object hook for the payload)
 * was 7 % of the broker's busy time under the broker benchmark, plus the garbage it made. The layout
 * below is a few writes into one buffer.
 *
 * Compact layout (version byte first; a v8.serialize blob starts with 0xFF, its own version tag, so
 * rows written before this format existed are told apart by their first byte and still read):
 *
 *   u8  COMPACT_V1
 *   u16 flags: bits 0-1 qos, 2 retain, 3 dup, then two bits per optional field (messageId,
 *       brokerId, brokerCounter, clientId): 0 absent, 1 present but undefined, 2 present
 *   u16 messageId, f64 brokerCounter
 *   u16 length + UTF-8 of brokerId, clientId and topic, in that order
 *   the payload, to the end
 *
 * The shapes kept apart (absent or undefined) are the ones aedes' conformance suite compares with
 * deepStrictEqual. Any other packet (a PUBREL, MQTT 5 properties, a field this layout has no room
 * for) is stored with v8.serialize, as every packet was before.
 */
import { deserialize, serialize } from 'node:v8';
import type { PersistedPacket } from './persistence.ts';

const COMPACT_V1 = 0x01;
/** The first byte of every v8.serialize output (kVersionTag). */
const V8_VERSION_TAG = 0xff;
const U16_MAX = 0xffff;

/** The fields the compact layout carries; a packet with any other own key is serialized by v8. */
const OPTIONAL = ['messageId', 'brokerId', 'brokerCounter', 'clientId'] as const;
const KNOWN = new Set<string>(['cmd', 'topic', 'payload', 'qos', 'retain', 'dup', ...OPTIONAL]);

const ABSENT = 0;
const UNDEFINED = 1;
const PRESENT = 2;

/** Why a stored packet could not be read back (a row this code cannot make sense of). */
export class StoredPacketError extends Error {
  override readonly name = 'StoredPacketError';
}

export function encodePacket(packet: PersistedPacket): Buffer {
  return compactable(packet) ? encodeCompact(packet) : serialize({ ...packet });
}

export function decodePacket(blob: Buffer): PersistedPacket {
  if (blob.length === 0) throw new StoredPacketError('empty stored packet');
  switch (blob[0]) {
    case COMPACT_V1:
      return decodeCompact(blob);
    case V8_VERSION_TAG:
      return deserialize(blob) as PersistedPacket;
    default:
      throw new StoredPacketError(`stored packet of unknown format ${blob[0]}`);
  }
}

function compactable(p: PersistedPacket): boolean {
  if (p.cmd !== 'publish' || typeof p.topic !== 'string' || !Buffer.isBuffer(p.payload)) return false;
  if (!(p.qos === 0 || p.qos === 1 || p.qos === 2) || typeof p.retain !== 'boolean' || typeof p.dup !== 'boolean')
    return false;
  for (const key in p) if (!KNOWN.has(key)) return false;
  const { messageId, brokerId, brokerCounter, clientId } = p as PersistedPacket & { clientId?: unknown };
  return (
    (messageId === undefined || (Number.isInteger(messageId) && messageId >= 0 && messageId <= U16_MAX)) &&
    (brokerId === undefined || (typeof brokerId === 'string' && Buffer.byteLength(brokerId) <= U16_MAX)) &&
    (brokerCounter === undefined || typeof brokerCounter === 'number') &&
    (clientId === undefined || (typeof clientId === 'string' && Buffer.byteLength(clientId) <= U16_MAX)) &&
    Buffer.byteLength(p.topic) <= U16_MAX
  );
}

function state(p: object, key: (typeof OPTIONAL)[number]): number {
  if (!Object.hasOwn(p, key)) return ABSENT;
  return (p as Record<string, unknown>)[key] === undefined ? UNDEFINED : PRESENT;
}

function encodeCompact(p: PersistedPacket): Buffer {
  const clientId = (p as { clientId?: string }).clientId;
  const brokerIdBytes = p.brokerId === undefined ? 0 : Buffer.byteLength(p.brokerId);
  const clientIdBytes = clientId === undefined ? 0 : Buffer.byteLength(clientId);
  const topicBytes = Buffer.byteLength(p.topic);
  const size = 1 + 2 + 2 + 8 + 2 + brokerIdBytes + 2 + clientIdBytes + 2 + topicBytes + p.payload.length;
  const out = Buffer.allocUnsafe(size);
  let flags = p.qos | (p.retain ? 4 : 0) | (p.dup ? 8 : 0);
  OPTIONAL.forEach((key, i) => (flags |= state(p, key) << (4 + 2 * i)));
  let at = out.writeUInt8(COMPACT_V1, 0);
  at = out.writeUInt16LE(flags, at);
  at = out.writeUInt16LE(p.messageId ?? 0, at);
  at = out.writeDoubleLE(p.brokerCounter ?? 0, at);
  at = out.writeUInt16LE(brokerIdBytes, at);
  if (p.brokerId !== undefined) at += out.write(p.brokerId, at, 'utf8');
  at = out.writeUInt16LE(clientIdBytes, at);
  if (clientId !== undefined) at += out.write(clientId, at, 'utf8');
  at = out.writeUInt16LE(topicBytes, at);
  at += out.write(p.topic, at, 'utf8');
  p.payload.copy(out, at);
  return out;
}

function decodeCompact(blob: Buffer): PersistedPacket {
  let at = 1;
  const need = (n: number) => {
    if (at + n > blob.length) throw new StoredPacketError(`stored packet truncated at byte ${at}`);
  };
  const u16 = () => (need(2), (at += 2), blob.readUInt16LE(at - 2));
  const text = () => {
    const n = u16();
    need(n);
    at += n;
    return blob.toString('utf8', at - n, at);
  };
  const flags = u16();
  const messageId = u16();
  need(8);
  const brokerCounter = blob.readDoubleLE(at);
  at += 8;
  const brokerId = text();
  const clientId = text();
  const topic = text();
  const qos = flags & 3;
  if (qos === 3) throw new StoredPacketError('stored packet with QoS 3');
  const packet: Record<string, unknown> = {
    cmd: 'publish',
    topic,
    payload: blob.subarray(at),
    qos,
    retain: (flags & 4) !== 0,
    dup: (flags & 8) !== 0,
  };
  const values = { messageId, brokerId, brokerCounter, clientId };
  OPTIONAL.forEach((key, i) => {
    const s = (flags >> (4 + 2 * i)) & 3;
    if (s !== ABSENT) packet[key] = s === PRESENT ? values[key] : undefined;
  });
  return packet as unknown as PersistedPacket;
}
