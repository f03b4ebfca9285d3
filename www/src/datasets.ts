// The labelled image data sets the page ships (www/public/data/<name>/, four IDX files each):
// MNIST, fetched with the page's first training run, and Fashion-MNIST, fetched only when chosen.
// The same names as the crate's (crate/src/data/sets.rs) and `convplay train --dataset`.

export const DATA_SET_NAMES = ['mnist', 'fashion-mnist'] as const;
export type DataSetName = (typeof DATA_SET_NAMES)[number];

export interface DataSetInfo {
  /** As the page names it. */
  title: string;
  /** What one instance is, for "misclassified …" and similar. */
  item: string;
  /** Its folder, relative to the page's assets. */
  folder: string;
  /** The ten class names, in label order: travel with a model trained on it. */
  classes: string[];
}

export const DATA_SETS: Record<DataSetName, DataSetInfo> = {
  mnist: {
    title: 'MNIST',
    item: 'digit',
    folder: 'data/mnist/',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    item: 'image',
    folder: 'data/fashion-mnist/',
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  },
};

export function isDataSet(name: unknown): name is DataSetName {
  return typeof name === 'string' && (DATA_SET_NAMES as readonly string[]).includes(name);
}

/** The data set of a name, or an error that lists the names. */
export function dataSet(name: string): DataSetInfo {
  if (!isDataSet(name)) throw new Error(`unknown data set "${name}": use ${DATA_SET_NAMES.join(' or ')}`);
  return DATA_SETS[name];
}
