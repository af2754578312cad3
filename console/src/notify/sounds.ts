// Alert sounds, synthesized with WebAudio: no audio files to fetch, and the console's
// CSP needs no media source. Each sound is a few short tones.

export const SOUNDS = ["chime", "bell", "pop", "ding", "knock"] as const;
export type SoundName = (typeof SOUNDS)[number];

type Tone = [freq: number, start: number, length: number, type: OscillatorType];

const TONES: Record<SoundName, Tone[]> = {
  chime: [
    [880, 0, 0.35, "sine"],
    [1318.5, 0.12, 0.45, "sine"],
  ],
  bell: [
    [660, 0, 0.9, "triangle"],
    [1320, 0, 0.6, "sine"],
    [990, 0.25, 0.7, "triangle"],
  ],
  pop: [[420, 0, 0.09, "square"]],
  ding: [[1568, 0, 0.5, "sine"]],
  knock: [
    [180, 0, 0.08, "square"],
    [180, 0.16, 0.08, "square"],
  ],
};

let ctx: AudioContext | null = null;

function context(): AudioContext | null {
  if (ctx) return ctx;
  const Ctor = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!Ctor) return null;
  ctx = new Ctor();
  return ctx;
}

/** Browsers start audio suspended until a user gesture: call from a click handler. */
export function unlockAudio(): void {
  const c = context();
  if (c && c.state === "suspended") void c.resume().catch(() => undefined);
}

/** Play a named sound at volume 0..1. Returns false when audio is unavailable. */
export function playSound(name: string, volume: number): boolean {
  const tones = TONES[name as SoundName];
  const c = context();
  if (!tones || !c || volume <= 0) return false;
  if (c.state === "suspended") void c.resume().catch(() => undefined);
  const now = c.currentTime;
  const master = c.createGain();
  master.gain.value = Math.min(1, volume) * 0.4;
  master.connect(c.destination);
  for (const [freq, start, length, type] of tones) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(1, now + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + length);
    osc.connect(gain).connect(master);
    osc.start(now + start);
    osc.stop(now + start + length + 0.05);
  }
  return true;
}
