// The wire codec: every frame is one MessagePack map {t, id?, d?}.
//
// Decoding goes through @msgpack/msgpack. Encoding is done here by hand, because the protocol
// types numbers per field (dx is always a float32, seq always an integer) while
// @msgpack/msgpack picks a number's encoding from its value alone: it would write dx = 1 as the
// integer 1 and could not reproduce the server's bytes. The writer below takes the float32
// fields from a small schema per frame type and writes everything else in msgpack's smallest
// form, as the server does.

import { Decoder } from "@msgpack/msgpack";

/** Frame is the envelope of every message on the socket. */
export interface Frame {
  t: string;
  id?: number;
  d?: unknown;
}

/** FrameError reports bytes that are not a valid frame. */
export class FrameError extends Error {}

// Bounds on what one decoded frame may declare; the server never comes near them.
const decoder = new Decoder({
  maxStrLength: 64 * 1024,
  maxBinLength: 64 * 1024,
  maxArrayLength: 64 * 1024,
  maxMapLength: 4 * 1024,
  maxExtLength: 0,
});

/** decodeFrame decodes one binary message into its envelope. */
export function decodeFrame(bytes: Uint8Array | ArrayBuffer): Frame {
  let v: unknown;
  try {
    v = decoder.decode(bytes);
  } catch (e) {
    throw new FrameError(`malformed frame: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array) {
    throw new FrameError("frame is not a map");
  }
  const f = v as Record<string, unknown>;
  if (typeof f.t !== "string" || f.t === "") {
    throw new FrameError("frame has no type");
  }
  if (f.id !== undefined && typeof f.id !== "number") {
    throw new FrameError("frame id is not a number");
  }
  return f as unknown as Frame;
}

// A path pattern names a float32 field inside d: keys and array indexes joined by dots, "*"
// matching any array index.
const floatFields: Record<string, readonly string[]> = {
  input: ["dx", "dy"],
  snapshot: ["w", "h", "players.*.1", "players.*.2", "players.*.3", "players.*.4", "coins.*.1", "coins.*.2"],
};

const compiled = new Map<string, string[][]>(
  Object.entries(floatFields).map(([t, ps]) => [t, ps.map((p) => p.split("."))]),
);

/**
 * encodeFrame encodes a frame the way the server would write it. floats, when given, names the
 * float32 fields of d instead of the frame type's schema above (which is the arena's for
 * snapshots): a game that writes no floats passes [].
 */
export function encodeFrame(f: Frame, floats?: readonly string[]): Uint8Array<ArrayBuffer> {
  const w = new Writer(floats ? floats.map((p) => p.split(".")) : floatsOf(f.t));
  const n = 1 + (f.id !== undefined && f.id !== 0 ? 1 : 0) + (f.d !== undefined ? 1 : 0);
  w.mapHeader(n);
  w.str("t");
  w.str(f.t);
  if (f.id !== undefined && f.id !== 0) {
    w.str("id");
    w.int(f.id);
  }
  if (f.d !== undefined) {
    w.str("d");
    w.value(f.d);
  }
  return w.bytes();
}

function floatsOf(t: string): string[][] {
  return compiled.get(t) ?? [];
}

const utf8 = new TextEncoder();

class Writer {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  // The path from d to the value being written: map keys, and array indexes as numbers.
  private readonly path: (string | number)[] = [];

  constructor(private readonly floats: string[][]) {}

  bytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private u8(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  private head(code: number, n: number, size: 1 | 2 | 4): void {
    this.room(1 + size);
    this.buf[this.pos++] = code;
    if (size === 1) this.view.setUint8(this.pos, n);
    else if (size === 2) this.view.setUint16(this.pos, n);
    else this.view.setUint32(this.pos, n);
    this.pos += size;
  }

  mapHeader(n: number): void {
    if (n < 16) this.u8(0x80 | n);
    else if (n <= 0xffff) this.head(0xde, n, 2);
    else this.head(0xdf, n, 4);
  }

  arrayHeader(n: number): void {
    if (n < 16) this.u8(0x90 | n);
    else if (n <= 0xffff) this.head(0xdc, n, 2);
    else this.head(0xdd, n, 4);
  }

  str(s: string): void {
    const b = utf8.encode(s);
    const n = b.length;
    if (n < 32) this.u8(0xa0 | n);
    else if (n <= 0xff) this.head(0xd9, n, 1);
    else if (n <= 0xffff) this.head(0xda, n, 2);
    else this.head(0xdb, n, 4);
    this.room(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  bin(b: Uint8Array): void {
    const n = b.length;
    if (n <= 0xff) this.head(0xc4, n, 1);
    else if (n <= 0xffff) this.head(0xc5, n, 2);
    else this.head(0xc6, n, 4);
    this.room(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  int(v: number): void {
    if (v >= 0) {
      if (v <= 0x7f) this.u8(v);
      else if (v <= 0xff) this.head(0xcc, v, 1);
      else if (v <= 0xffff) this.head(0xcd, v, 2);
      else if (v <= 0xffffffff) this.head(0xce, v, 4);
      else {
        this.room(9);
        this.buf[this.pos++] = 0xcf;
        this.view.setBigUint64(this.pos, BigInt(v));
        this.pos += 8;
      }
      return;
    }
    if (v >= -32) this.u8(v & 0xff);
    else if (v >= -0x80) {
      this.room(2);
      this.buf[this.pos++] = 0xd0;
      this.view.setInt8(this.pos++, v);
    } else if (v >= -0x8000) {
      this.room(3);
      this.buf[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, v);
      this.pos += 2;
    } else if (v >= -0x80000000) {
      this.room(5);
      this.buf[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, v);
      this.pos += 4;
    } else {
      this.room(9);
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, BigInt(v));
      this.pos += 8;
    }
  }

  f32(v: number): void {
    this.room(5);
    this.buf[this.pos++] = 0xca;
    this.view.setFloat32(this.pos, v);
    this.pos += 4;
  }

  f64(v: number): void {
    this.room(9);
    this.buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        if (this.isFloat()) this.f32(v);
        else if (Number.isSafeInteger(v)) this.int(v);
        else this.f64(v);
        return;
      case "string":
        this.str(v);
        return;
      case "boolean":
        this.u8(v ? 0xc3 : 0xc2);
        return;
      case "bigint":
        this.int(Number(v));
        return;
      case "undefined":
        this.u8(0xc0);
        return;
      case "object":
        break;
      default:
        throw new TypeError(`cannot encode a ${typeof v}`);
    }
    if (v === null) {
      this.u8(0xc0);
    } else if (v instanceof Uint8Array) {
      this.bin(v);
    } else if (Array.isArray(v)) {
      this.arrayHeader(v.length);
      v.forEach((e, i) => {
        this.path.push(i);
        this.value(e);
        this.path.pop();
      });
    } else {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, e]) => e !== undefined);
      this.mapHeader(entries.length);
      for (const [k, e] of entries) {
        this.str(k);
        this.path.push(k);
        this.value(e);
        this.path.pop();
      }
    }
  }

  private isFloat(): boolean {
    const path = this.path;
    return this.floats.some(
      (p) => p.length === path.length && p.every((seg, i) => (seg === "*" ? typeof path[i] === "number" : seg === String(path[i]))),
    );
  }
}
