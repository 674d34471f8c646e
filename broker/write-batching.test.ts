import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchWrites } from './write-batching.ts';

/** A stream that records each batch it is asked to send (one writev = one system call on a socket). */
function recordingStream(): { stream: Writable; batches: string[][] } {
  const batches: string[][] = [];
  const stream = new Writable({
    writev(chunks, done) {
      batches.push(chunks.map((c) => String(c.chunk)));
      done();
    },
    write(chunk, _encoding, done) {
      batches.push([String(chunk)]);
      done();
    },
  });
  return { stream, batches };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('batchWrites', () => {
  it('sends the packets written during one turn of the event loop in one batch', async () => {
    const { stream, batches } = recordingStream();
    batchWrites(stream);
    stream.write('a');
    stream.write('b');
    stream.write('c');
    expect(batches).toEqual([]); // held until the end of the turn
    await expect.poll(() => batches).toEqual([['a', 'b', 'c']]);
  });

  it('sends a lone packet at the end of its turn, without waiting for another write', async () => {
    const { stream, batches } = recordingStream();
    batchWrites(stream);
    stream.write('a');
    await expect.poll(() => batches).toEqual([['a']]);
    await nextTurn();
    stream.write('alarm');
    await expect.poll(() => batches).toEqual([['a'], ['alarm']]);
  });

  it('keeps the callbacks and back-pressure of each write', async () => {
    const { stream } = recordingStream();
    batchWrites(stream);
    const written: string[] = [];
    const big = 'x'.repeat(stream.writableHighWaterMark);
    expect(stream.write('small', () => written.push('small'))).toBe(true);
    expect(stream.write(big, () => written.push('big'))).toBe(false); // the caller waits for 'drain'
    await expect.poll(() => written).toEqual(['small', 'big']);
  });

  it('does not cork a destroyed stream', () => {
    const { stream } = recordingStream();
    batchWrites(stream);
    stream.destroy();
    stream.on('error', () => undefined);
    stream.write('late');
    expect(stream.writableCorked).toBe(0);
  });

  it('sends what the turn has written at once when flushed, and batches the rest of the turn again', async () => {
    const { stream, batches } = recordingStream();
    const batch = batchWrites(stream);
    stream.write('reading');
    stream.write('alarm');
    batch.flush();
    expect(batches).toEqual([['reading', 'alarm']]); // now, not at the end of the turn
    stream.write('after');
    expect(batches).toEqual([['reading', 'alarm']]);
    await expect.poll(() => batches).toEqual([['reading', 'alarm'], ['after']]);
    expect(stream.writableCorked).toBe(0);
  });

  it('holds nothing on a write-through connection, and batches again when told', async () => {
    const { stream, batches } = recordingStream();
    const batch = batchWrites(stream);
    stream.write('held');
    batch.writeThrough(true);
    expect(batches).toEqual([['held']]); // what was held leaves with the switch
    stream.write('alarm');
    expect(batches).toEqual([['held'], ['alarm']]);
    batch.writeThrough(false);
    stream.write('a');
    stream.write('b');
    expect(batches).toEqual([['held'], ['alarm']]);
    await expect.poll(() => batches).toEqual([['held'], ['alarm'], ['a', 'b']]);
    expect(stream.writableCorked).toBe(0);
  });
});
