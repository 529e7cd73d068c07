// Drawing the arena on a canvas: the floor, the coins, the discs and a few effects.

import type { ArenaCoin } from "../../protocol.ts";
import type { Stick } from "./input.ts";
import { Rules } from "./predict.ts";

const palette = ["#60a5fa", "#f87171", "#34d399", "#c084fc", "#f472b6", "#22d3ee", "#fb923c", "#a3e635"];

/** colorOf gives each player id its own color. */
export function colorOf(id: number): string {
  return palette[(id - 1 + palette.length) % palette.length]!;
}

/** Disc is one player as drawn this frame. */
export interface Disc {
  id: number;
  x: number;
  y: number;
  vx: number;
  vy: number;
  name: string;
  me: boolean;
  away: boolean;
}

/** Effect is a short animation: a coin's sparkle or a score's +1. */
export interface Effect {
  kind: "sparkle" | "plus";
  x: number;
  y: number;
  born: number;
  color: string;
}

export interface Scene {
  w: number;
  h: number;
  discs: Disc[];
  coins: ArenaCoin[];
  coinBorn: Map<number, number>;
  effects: Effect[];
  stick: Stick | null;
  now: number;
  /** live is false between rounds; the coins left over are drawn faded. */
  live: boolean;
}

export class Renderer {
  private readonly ctx: CanvasRenderingContext2D;
  private cssW = 0;
  private cssH = 0;
  private dpr = 1;
  private floor: HTMLCanvasElement | null = null;
  private floorKey = "";
  private sprites = new Map<string, HTMLCanvasElement>();

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("this browser cannot draw on a canvas");
    this.ctx = ctx;
  }

  /** fit sizes the canvas's backing store to its box and the screen's pixel ratio. */
  private fit(): void {
    const r = this.canvas.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    if (r.width !== this.cssW || r.height !== this.cssH || dpr !== this.dpr) {
      this.cssW = r.width;
      this.cssH = r.height;
      this.dpr = dpr;
      this.canvas.width = Math.max(1, Math.round(r.width * dpr));
      this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    }
  }

  /**
   * rotated is true while the arena is drawn turned a quarter clockwise, to fill a portrait
   * screen; steering given in screen directions must then be turned back (toWorld).
   */
  rotated = false;
  private scale = 1;
  private ox = 0;
  private oy = 0;
  private worldH = 0;

  /** toWorld turns a direction on the screen into one in the arena. */
  toWorld(dx: number, dy: number): [number, number] {
    return this.rotated ? [dy, -dx] : [dx, dy];
  }

  // toScreen maps an arena point to CSS pixels on the canvas.
  private toScreen(x: number, y: number): [number, number] {
    return this.rotated ? [this.ox + (this.worldH - y) * this.scale, this.oy + x * this.scale] : [this.ox + x * this.scale, this.oy + y * this.scale];
  }

  draw(s: Scene): void {
    this.fit();
    const ctx = this.ctx;
    const { cssW, cssH, dpr } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH); // the page's background shows around the arena
    if (s.w <= 0 || s.h <= 0) return;

    // The arena, scaled to fit with a margin and centred; turned on a portrait screen.
    this.rotated = cssH > cssW * 1.15 && s.w > s.h;
    const dw = this.rotated ? s.h : s.w;
    const dh = this.rotated ? s.w : s.h;
    const margin = Math.min(cssW, cssH) < 500 ? 8 : 24;
    this.scale = Math.max(0.01, Math.min((cssW - 2 * margin) / dw, (cssH - 2 * margin) / dh));
    this.ox = (cssW - dw * this.scale) / 2;
    this.oy = (cssH - dh * this.scale) / 2;
    this.worldH = s.h;

    ctx.save();
    ctx.translate(this.ox, this.oy);
    if (this.rotated) {
      ctx.translate(s.h * this.scale, 0);
      ctx.rotate(Math.PI / 2);
    }
    ctx.scale(this.scale, this.scale);
    this.drawFloor(s.w, s.h, this.scale);
    for (const c of s.coins) this.drawCoin(c, s.coinBorn.get(c[0]) ?? 0, s.now, s.live);
    const discs = [...s.discs].sort((a, b) => Number(a.me) - Number(b.me)); // yours on top
    for (const d of discs) this.drawDisc(d, s.now);
    for (const e of s.effects) if (e.kind === "sparkle") this.drawSparkle(e, s.now);
    ctx.restore();

    // Text stays upright: names and +1s are drawn in screen space.
    for (const d of discs) this.drawFace(d);
    for (const e of s.effects) if (e.kind === "plus") this.drawPlus(e, s.now);
    if (s.stick) this.drawStick(s.stick);
  }

  private drawFloor(w: number, h: number, scale: number): void {
    const key = `${w}x${h}@${scale * this.dpr}`;
    if (key !== this.floorKey) {
      this.floorKey = key;
      this.floor = paintFloor(w, h, scale * this.dpr);
    }
    if (this.floor) this.ctx.drawImage(this.floor, -floorPad, -floorPad, w + 2 * floorPad, h + 2 * floorPad);
  }

  // sprite returns the cached image of a coin or a disc at the current scale. Shadows and
  // gradients are painted once per size here instead of every frame: on a phone, or a canvas
  // without a GPU, per-frame blur is what costs.
  private sprite(kind: string, color: string, r: number, glow: number): HTMLCanvasElement {
    const px = this.scale * this.dpr;
    const key = `${kind}:${color}:${r}:${px}`;
    let c = this.sprites.get(key);
    if (!c) {
      if (this.sprites.size > 64) this.sprites.clear();
      c = paintSprite(kind, color, r, glow, px);
      this.sprites.set(key, c);
    }
    return c;
  }

  private drawCoin(c: ArenaCoin, born: number, now: number, live: boolean): void {
    const age = Math.min((now - born) / 220, 1);
    const pop = age < 1 ? Math.max(easeOutBack(age), 0.01) : 1;
    const bob = Math.sin(now / 300 + c[0]) * 1.2;
    const r = Rules.coinRadius;
    const img = this.sprite("coin", "", r, 10);
    const half = (r + 10) * pop;
    this.ctx.globalAlpha = live ? 1 : 0.45;
    this.ctx.drawImage(img, c[1] - half, c[2] + bob - half, 2 * half, 2 * half);
    this.ctx.globalAlpha = 1;
  }

  private drawDisc(d: Disc, now: number): void {
    const ctx = this.ctx;
    const r = Rules.radius;
    ctx.save();
    ctx.globalAlpha = d.away ? 0.35 : 1;
    if (d.me) {
      // A soft pulsing halo marks you.
      const pulse = 0.5 + 0.5 * Math.sin(now / 420);
      ctx.fillStyle = `rgba(255,255,255,${0.06 + 0.06 * pulse})`;
      ctx.beginPath();
      ctx.arc(d.x, d.y, r + 9 + 2 * pulse, 0, Math.PI * 2);
      ctx.fill();
    }
    const img = this.sprite(d.me ? "me" : "disc", colorOf(d.id), r, 12);
    const half = r + 12;
    ctx.drawImage(img, d.x - half, d.y - half, 2 * half, 2 * half);
    ctx.restore();
  }

  // drawFace draws the eyes and the name in screen space, so that both stay upright when the
  // arena is turned.
  private drawFace(d: Disc): void {
    const ctx = this.ctx;
    const [x, y] = this.toScreen(d.x, d.y);
    const k = this.scale;
    const r = Rules.radius * k;

    // Eyes that look where the disc is going.
    const [vx, vy] = this.rotated ? [-d.vy, d.vx] : [d.vx, d.vy];
    const sp = Math.hypot(vx, vy);
    const lx = sp > 1 ? vx / sp : 0;
    const ly = sp > 1 ? vy / sp : 0.25;
    ctx.save();
    ctx.globalAlpha = d.away ? 0.35 : 1;
    for (const side of [-1, 1]) {
      const ex = x + (side * 5.5 + lx * 3) * k;
      const ey = y + (-3 + ly * 3) * k;
      ctx.fillStyle = "#ffffff";
      ctx.beginPath();
      ctx.arc(ex, ey, 3.6 * k, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = "#0f172a";
      ctx.beginPath();
      ctx.arc(ex + lx * 1.6 * k, ey + ly * 1.6 * k, 1.8 * k, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.restore();

    const size = Math.max(10, Math.round(12 * Math.min(this.scale, 1.3)));
    ctx.save();
    ctx.globalAlpha = d.away ? 0.45 : 1;
    ctx.font = `${d.me ? "700" : "600"} ${size}px system-ui, -apple-system, "Segoe UI", sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    const label = d.away ? `${d.name} (away)` : d.name;
    ctx.lineWidth = 3;
    ctx.lineJoin = "round";
    ctx.strokeStyle = "rgba(8,12,24,0.85)";
    ctx.strokeText(label, x, y - r - 5);
    ctx.fillStyle = d.me ? "#ffffff" : "rgba(226,232,240,0.92)";
    ctx.fillText(label, x, y - r - 5);
    ctx.restore();
  }

  private drawPlus(e: Effect, now: number): void {
    const t = (now - e.born) / 800;
    if (t < 0 || t >= 1) return;
    const ctx = this.ctx;
    const [x, y0] = this.toScreen(e.x, e.y);
    const k = Math.min(this.scale, 1.3);
    ctx.save();
    ctx.globalAlpha = 1 - t * t;
    ctx.font = `800 ${Math.max(12, Math.round(15 * k))}px system-ui, -apple-system, "Segoe UI", sans-serif`;
    ctx.textAlign = "center";
    ctx.lineWidth = 3;
    ctx.lineJoin = "round";
    ctx.strokeStyle = "rgba(8,12,24,0.8)";
    const y = y0 - (30 + 26 * easeOut(t)) * k;
    ctx.strokeText("+1", x, y);
    ctx.fillStyle = "#fcd34d";
    ctx.fillText("+1", x, y);
    ctx.restore();
  }

  private drawSparkle(e: Effect, now: number): void {
    const ctx = this.ctx;
    const t = (now - e.born) / 420;
    if (t < 0 || t >= 1) return;
    ctx.save();
    {
      ctx.globalAlpha = 1 - t;
      ctx.strokeStyle = "#fde68a";
      ctx.lineWidth = 2;
      const r = 6 + 18 * easeOut(t);
      for (let i = 0; i < 8; i++) {
        const a = (i / 8) * Math.PI * 2;
        ctx.beginPath();
        ctx.moveTo(e.x + Math.cos(a) * r * 0.55, e.y + Math.sin(a) * r * 0.55);
        ctx.lineTo(e.x + Math.cos(a) * r, e.y + Math.sin(a) * r);
        ctx.stroke();
      }
    }
    ctx.restore();
  }

  private drawStick(s: Stick): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.fillStyle = "rgba(255,255,255,0.07)";
    ctx.strokeStyle = "rgba(255,255,255,0.25)";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(s.ox, s.oy, s.radius, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    let dx = s.x - s.ox;
    let dy = s.y - s.oy;
    const l = Math.hypot(dx, dy);
    if (l > s.radius) {
      dx = (dx / l) * s.radius;
      dy = (dy / l) * s.radius;
    }
    ctx.fillStyle = "rgba(255,255,255,0.35)";
    ctx.beginPath();
    ctx.arc(s.ox + dx, s.oy + dy, s.radius * 0.42, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
  }
}

// floorPad is the room around the floor's image for the glow of its walls, in arena units.
const floorPad = 32;

// paintFloor draws the floor, its grid and its glowing walls once per size.
function paintFloor(w: number, h: number, pxPerUnit: number): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round((w + 2 * floorPad) * pxPerUnit));
  c.height = Math.max(1, Math.round((h + 2 * floorPad) * pxPerUnit));
  const ctx = c.getContext("2d")!;
  ctx.scale(pxPerUnit, pxPerUnit);
  ctx.translate(floorPad, floorPad);
  ctx.save();
  ctx.shadowColor = "rgba(59,130,246,0.4)";
  ctx.shadowBlur = 24 * pxPerUnit;
  ctx.fillStyle = "#131b34";
  roundRect(ctx, 0, 0, w, h, 10);
  ctx.fill();
  ctx.restore();
  const g = ctx.createRadialGradient(w / 2, h / 2, 0, w / 2, h / 2, Math.max(w, h) * 0.7);
  g.addColorStop(0, "#18234a");
  g.addColorStop(1, "#111933");
  ctx.fillStyle = g;
  roundRect(ctx, 0, 0, w, h, 10);
  ctx.fill();
  ctx.save();
  roundRect(ctx, 0, 0, w, h, 10);
  ctx.clip();
  ctx.lineWidth = 1 / pxPerUnit;
  for (let x = 50; x < w; x += 50) {
    ctx.strokeStyle = x % 200 === 0 ? "rgba(148,163,184,0.12)" : "rgba(148,163,184,0.05)";
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, h);
    ctx.stroke();
  }
  for (let y = 50; y < h; y += 50) {
    ctx.strokeStyle = y % 200 === 0 ? "rgba(148,163,184,0.12)" : "rgba(148,163,184,0.05)";
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(w, y);
    ctx.stroke();
  }
  ctx.restore();
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(96,165,250,0.55)";
  roundRect(ctx, 1.5, 1.5, w - 3, h - 3, 9);
  ctx.stroke();
  return c;
}

// paintSprite draws a coin or a disc of radius r (arena units) with its glow.
function paintSprite(kind: string, color: string, r: number, glow: number, pxPerUnit: number): HTMLCanvasElement {
  const half = r + glow;
  const c = document.createElement("canvas");
  c.width = c.height = Math.max(2, Math.ceil(2 * half * pxPerUnit));
  const ctx = c.getContext("2d")!;
  ctx.scale(c.width / (2 * half), c.height / (2 * half));
  ctx.translate(half, half);
  ctx.save();
  if (kind === "coin") {
    ctx.shadowColor = "rgba(251,191,36,0.6)";
    ctx.shadowBlur = 12 * pxPerUnit;
    const g = ctx.createRadialGradient(-r * 0.35, -r * 0.35, r * 0.1, 0, 0, r);
    g.addColorStop(0, "#fff3b0");
    g.addColorStop(0.45, "#fcd34d");
    g.addColorStop(1, "#d97706");
    ctx.fillStyle = g;
    ctx.beginPath();
    ctx.arc(0, 0, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.restore();
    ctx.strokeStyle = "rgba(120,53,15,0.55)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.arc(0, 0, r * 0.62, 0, Math.PI * 2);
    ctx.stroke();
    return c;
  }
  ctx.shadowColor = color;
  ctx.shadowBlur = 14 * pxPerUnit;
  const g = ctx.createRadialGradient(-r * 0.4, -r * 0.4, r * 0.2, 0, 0, r);
  g.addColorStop(0, lighten(color));
  g.addColorStop(1, color);
  ctx.fillStyle = g;
  ctx.beginPath();
  ctx.arc(0, 0, r, 0, Math.PI * 2);
  ctx.fill();
  ctx.restore();
  ctx.lineWidth = kind === "me" ? 3 : 1.5;
  ctx.strokeStyle = kind === "me" ? "#ffffff" : "rgba(0,0,0,0.35)";
  ctx.beginPath();
  ctx.arc(0, 0, r - (kind === "me" ? 1.5 : 0.75), 0, Math.PI * 2);
  ctx.stroke();
  return c;
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function lighten(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * 0.45);
  return `rgb(${mix(n >> 16)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
}

function easeOut(t: number): number {
  return 1 - (1 - t) * (1 - t);
}

function easeOutBack(t: number): number {
  const c = 1.70158;
  return 1 + (c + 1) * Math.pow(t - 1, 3) + c * Math.pow(t - 1, 2);
}
