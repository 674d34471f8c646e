/**
 * The browser's own RTP capabilities, learnt once per page and early. mediasoup-client's
 * `Device.load()` asks for them with two probe peer connections (one receiving, one sending): about
 * 30 ms on an idle 2-core machine, and the largest single step between "join" and the first frame
 * of the others' video. The call page starts them while the camera previews (`warmUp`), so joining
 * does not wait for them; every Device of the page (a rejoin makes a new one) reuses the answers.
 */
import { detectDevice } from 'mediasoup-client';
import { Chrome111 } from 'mediasoup-client/handlers/Chrome111';
import { Chrome74 } from 'mediasoup-client/handlers/Chrome74';
import { Firefox120 } from 'mediasoup-client/handlers/Firefox120';
import { Safari12 } from 'mediasoup-client/handlers/Safari12';
import type { HandlerFactory } from 'mediasoup-client/handlers/HandlerInterface';
import type { types } from 'mediasoup-client';

type Direction = 'sendonly' | 'recvonly';

/**
 * `base`, answering each direction's probe once: the first answer is kept, a failed probe is
 * forgotten so the next Device tries again.
 */
export function probingOnce(base: HandlerFactory): HandlerFactory {
  const answers = new Map<Direction, Promise<types.RtpCapabilities>>();
  return {
    ...base,
    getNativeRtpCapabilities({ direction }) {
      let answer = answers.get(direction);
      if (!answer) {
        answer = base.getNativeRtpCapabilities({ direction });
        answers.set(direction, answer);
        answer.catch(() => answers.delete(direction));
      }
      return answer;
    },
  };
}

/** The handler mediasoup-client would pick for this browser (the same detection), or none if unsupported. */
function builtinHandler(): HandlerFactory | undefined {
  switch (detectDevice()) {
    case 'Chrome111':
      return Chrome111.createFactory({});
    case 'Chrome74':
      return Chrome74.createFactory({});
    case 'Firefox120':
      return Firefox120.createFactory({});
    case 'Safari12':
      return Safari12.createFactory({});
    default:
      return undefined;
  }
}

let shared: HandlerFactory | null | undefined;

/** This page's handler, its probes shared; undefined in a browser mediasoup-client does not support. */
export function pageHandler(): HandlerFactory | undefined {
  if (shared === undefined) {
    const base = builtinHandler();
    shared = base ? probingOnce(base) : null;
  }
  return shared ?? undefined;
}

/** Starts both probes now (during the preview); a failure here is met again, and reported, on join. */
export function warmUp(): void {
  const handler = pageHandler();
  if (!handler) return;
  for (const direction of ['recvonly', 'sendonly'] as const)
    handler.getNativeRtpCapabilities({ direction }).catch(() => undefined);
}
