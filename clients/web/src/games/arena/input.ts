// Steering from the keyboard (WASD and the arrows) and from touch or a mouse drag (a virtual
// stick that appears where the finger lands).

const keyDirs: Record<string, [number, number]> = {
  KeyW: [0, -1],
  ArrowUp: [0, -1],
  KeyS: [0, 1],
  ArrowDown: [0, 1],
  KeyA: [-1, 0],
  ArrowLeft: [-1, 0],
  KeyD: [1, 0],
  ArrowRight: [1, 0],
};

/** Stick is the on-screen stick while a pointer steers, in CSS pixels. */
export interface Stick {
  ox: number;
  oy: number;
  x: number;
  y: number;
  radius: number;
}

export class Steering {
  private keys = new Set<string>();
  private pointer: number | null = null;
  private stickState: Stick | null = null;
  private readonly cleanup: (() => void)[] = [];

  constructor(surface: HTMLElement) {
    const on = <E extends Event>(t: EventTarget, type: string, f: (e: E) => void) => {
      t.addEventListener(type, f as EventListener);
      this.cleanup.push(() => t.removeEventListener(type, f as EventListener));
    };
    on<KeyboardEvent>(window, "keydown", (e) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (keyDirs[e.code]) {
        this.keys.add(e.code);
        e.preventDefault();
      }
    });
    on<KeyboardEvent>(window, "keyup", (e) => {
      this.keys.delete(e.code);
    });
    // Keys held while the window loses focus never see their keyup.
    on(window, "blur", () => this.release());
    on(document, "visibilitychange", () => {
      if (document.hidden) this.release();
    });
    on<PointerEvent>(surface, "pointerdown", (e) => {
      if (this.pointer !== null || e.button > 0) return;
      this.pointer = e.pointerId;
      surface.setPointerCapture(e.pointerId);
      const r = surface.getBoundingClientRect();
      const radius = Math.max(44, Math.min(72, Math.min(r.width, r.height) * 0.12));
      this.stickState = { ox: e.clientX - r.left, oy: e.clientY - r.top, x: e.clientX - r.left, y: e.clientY - r.top, radius };
      e.preventDefault();
    });
    on<PointerEvent>(surface, "pointermove", (e) => {
      if (e.pointerId !== this.pointer || !this.stickState) return;
      const r = surface.getBoundingClientRect();
      this.stickState.x = e.clientX - r.left;
      this.stickState.y = e.clientY - r.top;
    });
    const up = (e: PointerEvent) => {
      if (e.pointerId !== this.pointer) return;
      this.pointer = null;
      this.stickState = null;
    };
    on(surface, "pointerup", up);
    on(surface, "pointercancel", up);
  }

  /** stick is the virtual stick to draw, or null. */
  get stick(): Stick | null {
    return this.stickState;
  }

  /** direction is the current steering, each axis in [-1, 1], its length at most 1. */
  direction(): [number, number] {
    const s = this.stickState;
    if (s) {
      let dx = (s.x - s.ox) / s.radius;
      let dy = (s.y - s.oy) / s.radius;
      const l = Math.hypot(dx, dy);
      if (l < 0.15) return [0, 0]; // a dead zone, so a resting thumb does not drift
      if (l > 1) {
        dx /= l;
        dy /= l;
      }
      return [round(dx), round(dy)];
    }
    let dx = 0;
    let dy = 0;
    for (const k of this.keys) {
      const d = keyDirs[k]!;
      dx += d[0];
      dy += d[1];
    }
    dx = Math.max(-1, Math.min(1, dx));
    dy = Math.max(-1, Math.min(1, dy));
    if (dx !== 0 && dy !== 0) {
      // Diagonals as a unit vector; the server would normalise them anyway.
      return [round(dx * Math.SQRT1_2), round(dy * Math.SQRT1_2)];
    }
    return [dx, dy];
  }

  release(): void {
    this.keys.clear();
    this.pointer = null;
    this.stickState = null;
  }

  dispose(): void {
    this.release();
    this.cleanup.forEach((f) => f());
  }
}

// Inputs travel as float32: round to what float32 holds so that prediction replays exactly
// the value the server applies.
function round(v: number): number {
  return Math.fround(v);
}

function isTyping(t: EventTarget | null): boolean {
  return t instanceof HTMLElement && (t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
}
