import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAugmentConfig } from '../src/augment/from-config.js';
import { AugmentSchema, augmentIssues, zoomBounds } from '../src/config/augment.js';
import { describeIssues } from '../src/config/messages.js';
import { ConfigError } from '../src/errors.js';

/** What a user reads for a bad section: the config loader's messages, one `path: message` per line. */
function rejected(section: unknown): string[] {
  const parsed = AugmentSchema.safeParse(section);
  expect(parsed.success).toBe(false);
  return describeIssues(parsed.error!.issues, section, AugmentSchema).map((p) => `${p.path.join('.')}: ${p.message}`);
}

const issues = (s: unknown) =>
  augmentIssues(AugmentSchema.parse(s)).map((i) => `${i.severity} ${i.path}: ${i.message}`);

describe('AugmentSchema', () => {
  it('fills in Keras defaults: nothing moves, fill nearest', () => {
    expect(AugmentSchema.parse({})).toEqual({
      rotationRange: 0,
      widthShiftRange: 0,
      heightShiftRange: 0,
      zoomRange: 0,
      shearRange: 0,
      fillMode: 'nearest',
      cval: 0,
      horizontalFlip: false,
      verticalFlip: false,
    });
  });

  it.each([
    [{ rotationRange: 10, widthShiftRange: 0.1, heightShiftRange: 2, zoomRange: 0.1, shearRange: 15 }],
    [{ zoomRange: [0.9, 1.2], fillMode: 'constant', cval: 1 }],
    [{ fillMode: 'wrap', horizontalFlip: true }],
  ])('accepts %j', (section) => {
    expect(AugmentSchema.safeParse(section).success).toBe(true);
  });

  it.each([
    [{ rotation: 10 }, ['rotation: unknown key; did you mean rotationRange?']],
    [{ rotationRange: -5 }, ['rotationRange: expected a number in [0, 360], received -5']],
    [{ fillMode: 'mirror' }, ['fillMode: expected one of: constant, nearest, reflect, wrap, received "mirror"']],
    [{ zoomRange: [0.9] }, ['zoomRange: expected a list of 2 numbers, received [0.9]']],
    [{ horizontalFlip: 'yes' }, ['horizontalFlip: expected true or false, received "yes"']],
  ])('rejects %j saying what it expected and received', (section, messages) => {
    expect(rejected(section)).toEqual(messages);
  });

  it('reads a zoom number z as [1-z, 1+z] and a pair as written', () => {
    expect(zoomBounds({ zoomRange: 0.25 })).toEqual([0.75, 1.25]);
    expect(zoomBounds({ zoomRange: [0.8, 1.1] })).toEqual([0.8, 1.1]);
  });
});

describe('augmentIssues', () => {
  it('finds nothing wrong with a typical MNIST augmentation', () => {
    expect(issues({ rotationRange: 10, zoomRange: 0.1, widthShiftRange: 0.1, heightShiftRange: 0.1 })).toEqual([]);
  });

  it.each([
    [
      {},
      'warning augment: every range is 0 and flips are off, so augmentation changes nothing; set e.g. rotationRange: 10, or remove the section',
    ],
    [
      { zoomRange: 1.5 },
      'error augment.zoomRange: zoom factors must be above 0 (0 collapses the image to a point), zoomRange 1.5 means factors [-0.5, 2.5]; use a number below 1 (0.1 for [0.9, 1.1]) or [lo, hi] with 0 < lo <= hi',
    ],
    [
      { zoomRange: [0, 1] },
      'error augment.zoomRange: zoom factors must be above 0 (0 collapses the image to a point), received [0, 1]; use a number below 1 (0.1 for [0.9, 1.1]) or [lo, hi] with 0 < lo <= hi',
    ],
    [
      { zoomRange: [1.2, 0.8] },
      'error augment.zoomRange: expected [lo, hi] with lo <= hi, received [1.2, 0.8]; write [0.8, 1.2]',
    ],
    [
      { shearRange: 90 },
      'error augment.shearRange: expected a shear angle below 90 degrees (at 90 the image collapses to a line), received 90; MNIST augmentation uses 10 to 20',
    ],
    [
      { rotationRange: 90 },
      'warning augment.rotationRange: rotations up to 90 degrees can turn a 6 into a 9 or a 1 into a dash; MNIST augmentation usually stays within 10 to 20',
    ],
    [
      { rotationRange: 5, fillMode: 'constant', cval: 255 },
      'error augment.cval: expected a value in [0, 1] (pixels are scaled to [0, 1] before augmenting), received 255; use 0 for the black background or 1 for white',
    ],
    [
      { rotationRange: 5, cval: 0.5 },
      'warning augment.cval: cval is used only by fillMode: constant, and fillMode is nearest; set fillMode: constant or remove cval',
    ],
  ])('for %j says: %s', (section, message) => {
    expect(issues(section)).toEqual([message]);
  });

  it('warns about each flip, because a flipped digit is often another digit or none', () => {
    expect(
      augmentIssues(AugmentSchema.parse({ horizontalFlip: true, verticalFlip: true }), 'x.augment'),
    ).toMatchInlineSnapshot(`
      [
        {
          "message": "a flipped digit is often not the same digit (a mirrored 2 is not a 2, an upside-down 6 reads as 9), so the label no longer fits the image; flips suit photos, not digits: set it to false unless that is the point",
          "path": "x.augment.horizontalFlip",
          "severity": "warning",
        },
        {
          "message": "a flipped digit is often not the same digit (a mirrored 2 is not a 2, an upside-down 6 reads as 9), so the label no longer fits the image; flips suit photos, not digits: set it to false unless that is the point",
          "path": "x.augment.verticalFlip",
          "severity": "warning",
        },
      ]
    `);
  });
});

describe('loadAugmentConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mnist-run-augment-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const MODEL =
    'model:\n  layers:\n    - type: flatten\n    - type: dense\n      units: 10\n      activation: softmax\n';
  async function load(augment: string) {
    await writeFile(join(dir, 'x.yaml'), `${MODEL}${augment}`);
    return loadAugmentConfig(join(dir, 'x.yaml'), [], dir, 'x.yaml');
  }
  async function failure(augment: string): Promise<string> {
    const err = await load(augment).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }

  it('returns the checked section with its defaults and warnings', async () => {
    const { spec, warnings, loaded } = await load('augment:\n  rotationRange: 10\n  horizontalFlip: true\n');
    expect(spec).toMatchObject({ rotationRange: 10, fillMode: 'nearest', horizontalFlip: true });
    expect(warnings.map((w) => w.path)).toEqual(['augment.horizontalFlip']);
    expect(loaded.config.name).toBe('x');
  });

  it.each([
    ['', 'x.yaml: the config has no augment section; add one, e.g.\naugment:\n  rotationRange: 10\n  zoomRange: 0.1'],
    [
      'augment:\n  zoomRange: [1.1, 0.9]\n',
      'x.yaml:8:14 augment.zoomRange: expected [lo, hi] with lo <= hi, received [1.1, 0.9]; write [0.9, 1.1]',
    ],
    ['augment:\n  shear: 10\n  cval: -1\n', 'x.yaml:8:3 augment.shear: unknown key; did you mean shearRange?'],
  ])('fails on %j with a located message', async (augment, message) => {
    expect(await failure(augment)).toBe(message);
  });
});
