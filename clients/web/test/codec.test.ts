// The golden frames of PROTOCOL.md (server/wire/testdata/golden.json), decoded and re-encoded by
// the browser's codec: decoding must give the documented value, and encoding it again must give
// back the server's exact bytes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { decodeFrame, encodeFrame, FrameError } from "../src/codec.ts";
import { Close, ErrorCode, EventKind, FrameType } from "../src/protocol.ts";

interface Vector {
  name: string;
  hex: string;
  json: unknown;
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const goldenPath = join(root, "server", "wire", "testdata", "golden.json");
const vocabularyPath = join(root, "server", "wire", "testdata", "vocabulary.json");

function loadVectors(): Vector[] {
  let text: string;
  try {
    text = readFileSync(goldenPath, "utf8");
  } catch (e) {
    throw new Error(`the golden frames are missing at ${goldenPath}: ${(e as Error).message}`);
  }
  const v = JSON.parse(text) as Vector[];
  assert.ok(Array.isArray(v) && v.length > 0, "golden.json holds no vectors");
  return v;
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

// sameValue compares a decoded value with the documented JSON: numbers as float32 where the
// frame carried a float32 (JSON prints the shortest decimal, the decoder gives the exact value).
function sameValue(got: unknown, want: unknown, path: string): void {
  if (typeof want === "number") {
    assert.equal(typeof got, "number", `${path}: want a number, got ${JSON.stringify(got)}`);
    const g = got as number;
    assert.ok(g === want || Math.fround(want) === g, `${path}: got ${g}, want ${want}`);
    return;
  }
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${path}: want an array`);
    assert.equal((got as unknown[]).length, want.length, `${path}: length`);
    want.forEach((w, i) => sameValue((got as unknown[])[i], w, `${path}[${i}]`));
    return;
  }
  if (want !== null && typeof want === "object") {
    assert.ok(got !== null && typeof got === "object" && !Array.isArray(got), `${path}: want a map`);
    const g = got as Record<string, unknown>;
    assert.deepEqual(Object.keys(g).sort(), Object.keys(want).sort(), `${path}: keys`);
    for (const [k, w] of Object.entries(want)) sameValue(g[k], w, `${path}.${k}`);
    return;
  }
  assert.equal(got, want, path);
}

const vectors = loadVectors();

for (const v of vectors) {
  test(`golden ${v.name}: decodes to its documented value`, () => {
    const f = decodeFrame(Buffer.from(v.hex, "hex"));
    sameValue(f, v.json, v.name);
  });
  test(`golden ${v.name}: encodes back to the server's bytes`, () => {
    const f = decodeFrame(Buffer.from(v.hex, "hex"));
    // Liar's Dice writes no floats; the codec's own schema is the arena's.
    assert.equal(hexOf(encodeFrame(f, v.name.includes("liarsdice") ? [] : undefined)), v.hex);
  });
}

test("the golden frames cover the frames the page sends and reads", () => {
  const types = new Set(vectors.map((v) => (v.json as { t: string }).t));
  for (const t of ["welcome", "ping", "pong", "create", "join", "joined", "input", "snapshot", "event", "reauth", "reauth_ok", "reauth_required", "error"]) {
    assert.ok(types.has(t), `no golden frame of type ${t}`);
  }
});

test("an input with whole-number steering is still written as float32", () => {
  const b = encodeFrame({ t: "input", d: { seq: 1, dx: 1, dy: 0 } });
  // {t:"input", d:{seq:1, dx:1.0f, dy:0.0f}}
  assert.equal(hexOf(b), "82a174a5696e707574a16483a373657101a26478ca3f800000a26479ca00000000");
});

test("integers take msgpack's smallest form", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [65535, "cdffff"],
    [65536, "ce00010000"],
    [2 ** 32, "cf0000000100000000"],
    [-1, "ff"],
    [-33, "d0df"],
    [-129, "d1ff7f"],
    [-32769, "d2ffff7fff"],
  ];
  for (const [n, want] of cases) {
    const b = encodeFrame({ t: "x", d: { n } });
    assert.equal(hexOf(b).slice("82a174a178a16481a16e".length), want, `encoding ${n}`);
  }
});

test("bytes that are not a frame are refused", () => {
  const bad: [string, string][] = [
    ["empty", ""],
    ["an array", "9101"],
    ["a map without t", "81a16401"],
    ["t not a string", "81a17401"],
    ["truncated", "82a174a5696e70"],
    ["a huge declared array", "dd7fffffff"],
  ];
  for (const [what, hex] of bad) {
    assert.throws(() => decodeFrame(Buffer.from(hex, "hex")), FrameError, what);
  }
});

// The vocabulary, server/wire/testdata/vocabulary.json, names every constant of the server's
// server/wire/vocabulary.go by its Go name; protocol.ts holds each group under the same names
// without the Go prefix.
interface Vocabulary {
  types: Record<string, string>;
  close_codes: Record<string, number>;
  error_codes: Record<string, string>;
  event_kinds: Record<string, string>;
}

const vocabulary = JSON.parse(readFileSync(vocabularyPath, "utf8")) as Vocabulary;

function withoutPrefix(group: Record<string, string | number>, prefix: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(group)) {
    assert.ok(name.startsWith(prefix), `${name} lacks the prefix ${prefix}`);
    out[name.slice(prefix.length)] = value;
  }
  return out;
}

const groups: [string, Record<string, string | number>, Record<string, string | number>][] = [
  ["frame types", FrameType, withoutPrefix(vocabulary.types, "Type")],
  ["close codes", Close, withoutPrefix(vocabulary.close_codes, "Close")],
  ["error codes", ErrorCode, withoutPrefix(vocabulary.error_codes, "Code")],
  ["event kinds", EventKind, withoutPrefix(vocabulary.event_kinds, "Event")],
];

for (const [what, ours, server] of groups) {
  test(`protocol.ts names the server's ${what} as the server does`, () => {
    assert.ok(Object.keys(server).length > 0, `vocabulary.json holds no ${what}`);
    assert.deepEqual({ ...ours }, server);
  });
}

test("every golden error and event frame carries a code or kind protocol.ts knows", () => {
  const codes = new Set<string>(Object.values(ErrorCode));
  const kinds = new Set<string>(Object.values(EventKind));
  const seenCodes = new Set<string>();
  const seenKinds = new Set<string>();
  for (const v of vectors) {
    const f = decodeFrame(Buffer.from(v.hex, "hex")) as { t: string; d?: { code?: string; kind?: string } };
    assert.ok((Object.values(FrameType) as string[]).includes(f.t), `${v.name}: unknown type ${f.t}`);
    if (f.t === FrameType.Error) {
      assert.ok(codes.has(f.d!.code!), `${v.name}: unknown code ${f.d!.code}`);
      seenCodes.add(f.d!.code!);
    }
    if (f.t === FrameType.Event) {
      assert.ok(kinds.has(f.d!.kind!), `${v.name}: unknown kind ${f.d!.kind}`);
      seenKinds.add(f.d!.kind!);
    }
  }
  assert.deepEqual([...seenCodes].sort(), [...codes].sort(), "an error code without a golden frame");
  assert.deepEqual([...seenKinds].sort(), [...kinds].sort(), "an event kind without a golden frame");
});
