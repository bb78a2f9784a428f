import { LayerBook } from '../../src/layers/layer-book.js';
import { parseTlText } from '../../src/layers/tl-schema.js';

/** A LayerBook of two hand-written schemas, layer 1 (`oldText`, the internal one) and layer 2 (`newText`). */
export function tinyLayers(oldText: string, newText: string) {
  const source = (layer: number, text: string) => ({
    layer,
    from: `test layer ${layer}`,
    load: () => parseTlText(text, layer),
  });
  const book = new LayerBook([source(1, oldText), source(2, newText)], 1);
  return { book, oldSchema: book.schema(1), newSchema: book.schema(2) };
}
