import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PHI_OPTIONS,
  LAB_HEARTBEAT_INTERVAL_MS,
  LAB_PHI_OPTIONS,
  PHI_MAX,
  PhiAccrualDetector,
  phiOf,
  validatePhiOptions,
} from '../../src-node/protocols/failure-detector/phi-accrual.ts';
import { createRandom } from '../../src-node/protocols/random/prng.ts';

const SCAN_STEP_MS = 10;

/** Heartbeats at the given intervals, starting at time 0; returns the time of the last one. */
function feed(detector: PhiAccrualDetector, intervalsMs: number[]): number {
  let now = 0;
  detector.heartbeat(now);
  for (const interval of intervalsMs) {
    now += interval;
    detector.heartbeat(now);
  }
  return now;
}

/** Scans the silence after `lastMs` in 10 ms steps; returns the first silence at which phi ≥ threshold. */
function detectionTimeMs(detector: PhiAccrualDetector, lastMs: number, limitMs = 60_000): number {
  for (let silence = 0; silence <= limitMs; silence += SCAN_STEP_MS) {
    if (!detector.isAvailable(lastMs + silence)) return silence;
  }
  return Infinity;
}

describe('phi accrual failure detector', () => {
  it('phi is 0 before the first heartbeat', () => {
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    assert.equal(detector.phi(0), 0);
    assert.equal(detector.phi(1e9), 0);
    assert.equal(detector.lastHeartbeatMs, null);
  });

  // Reference: Akka's defaults (threshold 8, 1 s heartbeats, min std-dev 100 ms, 3 s
  // acceptable pause): mean used = 1000 + 3000, std-dev 100, phi = 8 at y ≈ 5.23.
  it('with 1 s heartbeats and Akka defaults, phi first reaches 8 about 4.5 s after the last heartbeat', () => {
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    const last = feed(detector, new Array(300).fill(1000));
    const detection = detectionTimeMs(detector, last);
    assert.ok(detection >= 4300 && detection <= 4700, `detected after ${detection} ms`);
    assert.equal(detector.lastHeartbeatMs, last);
  });

  // Reference: the book §3: an accrual detector "outputs a suspicion level" that grows with silence.
  it('phi rises monotonically with silence and stays finite', () => {
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    const last = feed(detector, new Array(50).fill(1000));
    let previous = -1;
    for (let silence = 0; silence <= 120_000; silence += 50) {
      const phi = detector.phi(last + silence);
      assert.ok(phi >= previous, `phi fell from ${previous} to ${phi} at ${silence} ms`);
      assert.ok(Number.isFinite(phi) && phi <= PHI_MAX);
      previous = phi;
    }
    assert.ok(previous > 1000, 'two minutes of silence is far beyond any threshold');
    assert.doesNotThrow(() => JSON.stringify({ phi: detector.phi(last + 1e12) }));
    assert.equal(detector.phi(last + 1e12), PHI_MAX);
  });

  it('jittery but regular heartbeats keep phi low', () => {
    const random = createRandom(7);
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    let now = 0;
    let maxPhi = 0;
    detector.heartbeat(now);
    for (let beat = 0; beat < 500; beat += 1) {
      const interval = random.int(800, 1200);
      maxPhi = Math.max(maxPhi, detector.phi(now + interval));
      now += interval;
      detector.heartbeat(now);
    }
    assert.ok(maxPhi < 1, `max phi just before a heartbeat was ${maxPhi}`);
  });

  it('keeps at most maxSampleSize intervals, and old ones leave the window', () => {
    const options = {
      ...DEFAULT_PHI_OPTIONS,
      maxSampleSize: 20,
      acceptableHeartbeatPauseMs: 0,
      minStdDeviationMs: 1,
      firstHeartbeatEstimateMs: 5000,
    };
    const detector = new PhiAccrualDetector(options);
    const slowLast = feed(detector, new Array(40).fill(5000));
    assert.equal(detector.sampleCount, 20);
    const slowDetection = detectionTimeMs(detector, slowLast);
    // Twenty fast intervals push every slow one out: detection now follows the fast rhythm.
    // (A jump from 5 s to 100 ms intervals stays "available", so every interval is recorded.)
    let now = slowLast;
    for (let beat = 0; beat < 20; beat += 1) {
      now += 100;
      detector.heartbeat(now);
    }
    assert.equal(detector.sampleCount, 20);
    const fastDetection = detectionTimeMs(detector, now);
    assert.ok(slowDetection > 4000, `slow history detects after ${slowDetection} ms`);
    assert.ok(fastDetection < 200, `fast history detects after ${fastDetection} ms`);
  });

  it('does not learn the interval that ends a suspected silence', () => {
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    const last = feed(detector, new Array(100).fill(1000));
    const before = detectionTimeMs(detector, last);
    detector.heartbeat(last + 60_000);
    assert.equal(detectionTimeMs(detector, last + 60_000), before);
  });

  it('treats a clock stepped backwards as no interval and no negative silence', () => {
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    const last = feed(detector, new Array(10).fill(1000));
    assert.ok(detector.phi(last - 5000) < 1);
    detector.heartbeat(last - 5000);
    assert.equal(detector.lastHeartbeatMs, last - 5000);
  });

  // The observer's own pause (SIGSTOP, CPU starvation) is not the peer's silence.
  it('forgive credits the time the observer was not running, without learning an interval', () => {
    const detector = new PhiAccrualDetector(DEFAULT_PHI_OPTIONS);
    const last = feed(detector, new Array(300).fill(1000));
    const before = detectionTimeMs(detector, last);
    detector.forgive(3000, last + 3500);
    assert.equal(detector.lastHeartbeatMs, last + 3000);
    assert.ok(detector.phi(last + 3500) < 1, 'half a second of real silence is no suspicion');
    assert.equal(detectionTimeMs(detector, last + 3000), before, 'the history is unchanged');
    detector.forgive(10_000, last + 4000);
    assert.equal(detector.lastHeartbeatMs, last + 4000, 'never forgiven past now');
  });

  it('phiOf matches Akka at the mean: -log10(1/2)', () => {
    assert.ok(Math.abs(phiOf(1000, 1000, 100) - Math.log10(2)) < 1e-12);
  });
});

describe('the lab defaults (100 ms heartbeats)', () => {
  it('detect a crash in about 760 ms with calm heartbeats', () => {
    const detector = new PhiAccrualDetector(LAB_PHI_OPTIONS);
    const last = feed(detector, new Array(300).fill(LAB_HEARTBEAT_INTERVAL_MS));
    const detection = detectionTimeMs(detector, last);
    assert.ok(detection >= 700 && detection <= 820, `detected after ${detection} ms`);
  });

  it('survive occasional 50–200 ms hiccups on a calm localhost, and still detect within 1 s', () => {
    const random = createRandom(42);
    const detector = new PhiAccrualDetector(LAB_PHI_OPTIONS);
    let now = 0;
    let maxPhi = 0;
    detector.heartbeat(now);
    for (let beat = 0; beat < 2000; beat += 1) {
      const jitter = random.int(-10, 10);
      const hiccup = random.chance(5) ? random.int(50, 200) : 0;
      const interval = LAB_HEARTBEAT_INTERVAL_MS + jitter + hiccup;
      maxPhi = Math.max(maxPhi, detector.phi(now + interval));
      now += interval;
      detector.heartbeat(now);
    }
    assert.ok(maxPhi < 1, `max phi just before a heartbeat was ${maxPhi} (threshold 8)`);
    const detection = detectionTimeMs(detector, now);
    assert.ok(detection <= 1000, `detected after ${detection} ms`);
  });
});

describe('validatePhiOptions', () => {
  it('fills defaults', () => {
    assert.deepEqual(validatePhiOptions(undefined), DEFAULT_PHI_OPTIONS);
    assert.deepEqual(validatePhiOptions({ threshold: 5 }), { ...DEFAULT_PHI_OPTIONS, threshold: 5 });
  });

  it('rejects bad input with clear messages', () => {
    assert.throws(() => validatePhiOptions(3), /must be an object, got 3/);
    assert.throws(() => validatePhiOptions({ threshhold: 8 }), /unknown failure detector option "threshhold"; known: threshold/);
    assert.throws(() => validatePhiOptions({ threshold: '8' }), /threshold must be a finite number, got "8"/);
    assert.throws(() => validatePhiOptions({ maxSampleSize: 2.5 }), /maxSampleSize must be an integer/);
    assert.throws(() => validatePhiOptions({ minStdDeviationMs: 0 }), /minStdDeviationMs must be a number in/);
    assert.throws(() => validatePhiOptions({ acceptableHeartbeatPauseMs: -1 }), /acceptableHeartbeatPauseMs/);
    assert.throws(() => validatePhiOptions({ threshold: Infinity }), /finite/);
  });
});
