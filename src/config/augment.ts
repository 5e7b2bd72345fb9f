import { z } from 'zod';
import { type ConfigIssue, error, warning } from './issue.js';

/**
 * The config's `augment` section and its cross-field checks: on-the-fly augmentation of training
 * images, with Keras ImageDataGenerator's names and meanings (camelCased): each image gets its own
 * random rotation, shift, shear and zoom, drawn afresh every epoch. Validation and test images are
 * never augmented. The transforms themselves live in src/augment/, which imports this spec.
 */

const nonNegative = () => z.number().min(0);

const shiftRange = (axis: 'width' | 'height') =>
  nonNegative()
    .max(4096)
    .default(0)
    .describe(
      `random ${axis} shift: a fraction of the image ${axis} when below 1 (0.1 = up to ±10%), otherwise pixels (3 = up to ±3 px), as Keras (default 0)`,
    );

export const AugmentSchema = z
  .strictObject({
    rotationRange: nonNegative()
      .max(360)
      .default(0)
      .describe('random rotation in degrees, drawn uniformly from [-r, r] (default 0)'),
    widthShiftRange: shiftRange('width'),
    heightShiftRange: shiftRange('height'),
    zoomRange: z
      .union([nonNegative().max(100), z.tuple([z.number(), z.number()])])
      .default(0)
      .describe(
        'random zoom: a number z draws factors from [1-z, 1+z], or give [lo, hi]; as in Keras a factor above 1 shrinks the digit, and rows and columns get independent factors (default 0)',
      ),
    shearRange: nonNegative()
      .default(0)
      .describe('random shear angle in degrees, drawn from [-s, s], as Keras 2.x (default 0)'),
    fillMode: z
      .enum(['constant', 'nearest', 'reflect', 'wrap'])
      .default('nearest')
      .describe(
        'how pixels from outside the image are filled: constant (cval), nearest (edge pixel), reflect or wrap (default nearest, as Keras)',
      ),
    cval: z
      .number()
      .default(0)
      .describe(
        'the value of outside pixels for fillMode constant; pixels are in [0, 1] and 0 is the background (default 0)',
      ),
    horizontalFlip: z
      .boolean()
      .default(false)
      .describe('mirror left-right with probability 0.5; rarely right for digits (default false)'),
    verticalFlip: z
      .boolean()
      .default(false)
      .describe('flip upside down with probability 0.5; rarely right for digits (default false)'),
  })
  .describe('random transformations of each training image, as Keras ImageDataGenerator');

export type AugmentSpec = z.infer<typeof AugmentSchema>;

/** The zoom factors' range: Keras reads a number z as [1-z, 1+z]. */
export function zoomBounds(spec: Pick<AugmentSpec, 'zoomRange'>): [number, number] {
  const z = spec.zoomRange;
  return typeof z === 'number' ? [1 - z, 1 + z] : [z[0], z[1]];
}

type Check = (spec: AugmentSpec, path: string) => ConfigIssue[];

/** A mirrored 2 is not a 2, and an upside-down 6 reads as a 9: the label no longer fits the image. */
const flips: Check = (spec, path) =>
  (['horizontalFlip', 'verticalFlip'] as const)
    .filter((key) => spec[key])
    .map((key) =>
      warning(
        `${path}.${key}`,
        'a flipped digit is often not the same digit (a mirrored 2 is not a 2, an upside-down 6 reads as 9), ' +
          'so the label no longer fits the image; flips suit photos, not digits: set it to false unless that is the point',
      ),
    );

const zoom: Check = (spec, path) => {
  const [lo, hi] = zoomBounds(spec);
  const at = `${path}.zoomRange`;
  const given =
    typeof spec.zoomRange === 'number'
      ? `zoomRange ${spec.zoomRange} means factors [${lo}, ${hi}]`
      : `received [${lo}, ${hi}]`;
  if (lo <= 0) {
    return [
      error(
        at,
        `zoom factors must be above 0 (0 collapses the image to a point), ${given}; use a number below 1 (0.1 for [0.9, 1.1]) or [lo, hi] with 0 < lo <= hi`,
      ),
    ];
  }
  if (lo > hi) return [error(at, `expected [lo, hi] with lo <= hi, ${given}; write [${hi}, ${lo}]`)];
  return [];
};

/** At 90° the shear matrix's cos term is 0: every row lands on one line. */
const shear: Check = (spec, path) =>
  spec.shearRange >= 90
    ? [
        error(
          `${path}.shearRange`,
          `expected a shear angle below 90 degrees (at 90 the image collapses to a line), received ${spec.shearRange}; MNIST augmentation uses 10 to 20`,
        ),
      ]
    : [];

/** Past ~45° a 6 drifts toward a 9 and a 1 toward a dash. */
const rotation: Check = (spec, path) =>
  spec.rotationRange > 45
    ? [
        warning(
          `${path}.rotationRange`,
          `rotations up to ${spec.rotationRange} degrees can turn a 6 into a 9 or a 1 into a dash; MNIST augmentation usually stays within 10 to 20`,
        ),
      ]
    : [];

const fill: Check = (spec, path) => {
  const at = `${path}.cval`;
  if (spec.cval < 0 || spec.cval > 1) {
    return [
      error(
        at,
        `expected a value in [0, 1] (pixels are scaled to [0, 1] before augmenting), received ${spec.cval}; use 0 for the black background or 1 for white`,
      ),
    ];
  }
  if (spec.cval !== 0 && spec.fillMode !== 'constant') {
    return [
      warning(
        at,
        `cval is used only by fillMode: constant, and fillMode is ${spec.fillMode}; set fillMode: constant or remove cval`,
      ),
    ];
  }
  return [];
};

const noOp: Check = (spec, path) => {
  const [lo, hi] = zoomBounds(spec);
  const ranges = [spec.rotationRange, spec.widthShiftRange, spec.heightShiftRange, spec.shearRange];
  const moves = ranges.some((r) => r > 0) || lo !== 1 || hi !== 1 || spec.horizontalFlip || spec.verticalFlip;
  return moves
    ? []
    : [
        warning(
          path,
          'every range is 0 and flips are off, so augmentation changes nothing; set e.g. rotationRange: 10, or remove the section',
        ),
      ];
};

const CHECKS: Check[] = [noOp, rotation, zoom, shear, fill, flips];

/** Cross-field checks on a parsed spec; `path` is where it sits in the config (`augment`). */
export function augmentIssues(spec: AugmentSpec, path = 'augment'): ConfigIssue[] {
  return CHECKS.flatMap((check) => check(spec, path));
}
