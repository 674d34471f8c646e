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
});
