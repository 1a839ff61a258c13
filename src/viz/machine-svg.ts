/**
 * A generated machine as SVG, laid out by Graphviz compiled to WebAssembly (@viz-js/viz), in-process:
 * no `dot` binary, no download (the wasm is inlined in the package's JavaScript).
 */
import type { Viz } from '@viz-js/viz';
import type { StateMachine } from '../metamodel/machine.ts';
import { renderDot } from './machine-graph.ts';

// Instantiating the wasm takes some tens of milliseconds: do it once, on first use, and only then
// load the module (1 MB), so that importing this file costs nothing until an SVG is asked for.
let viz: Promise<Viz> | undefined;

/** The machine's DOT graph (renderDot) as an SVG document, with Graphviz's XML prolog. */
export async function renderSvg(machine: StateMachine): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  return (await viz).renderString(renderDot(machine), { format: 'svg', engine: 'dot' });
}
